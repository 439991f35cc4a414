/**
 * The workloads `crucible run --workload` knows, and the isolation levels of
 * `--isolation`: apart from the tests so the CLI can list them without
 * loading clients. `register` is the built-in register test (any target);
 * `lock` the lock-service workload on etcd (`lock.ts`); `sync` the
 * multi-actor sync test (`sync.ts`, run by `cli/sync.ts`); the others are
 * PostgreSQL transaction workloads (`txn-workloads.ts`).
 */
export const WORKLOADS = ["register", "lock", "sync", "list-append", "rw-register", "bank"] as const;
export type Workload = (typeof WORKLOADS)[number];

export const POSTGRES_ISOLATIONS = ["serializable", "repeatable-read", "read-committed"] as const;
export type PostgresIsolationFlag = (typeof POSTGRES_ISOLATIONS)[number];
