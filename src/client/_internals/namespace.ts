/**
 * Names that keep runs apart when they share one server: a key prefix for
 * etcd and Redis, a table name for PostgreSQL.
 *
 * Made from the pid, the wall clock and a counter, not from randomness: the
 * name only has to differ between runs, and a seeded stream would give two
 * runs with the same seed the same name (the very clash it must avoid).
 */
let created = 0;

/** A short token unique to this process and call, e.g. `k3x9p2m1c4`: letters and digits only. */
export function uniqueToken(): string {
  created += 1;
  return `${process.pid.toString(36)}${Date.now().toString(36)}${created.toString(36)}`;
}
