/**
 * Log scopes (CockroachDB's `leaktest`/`log.Scope` idea): while a test runs
 * inside a scope, every cluster it starts is remembered, and when a cluster
 * stops its temp dir (data and logs) is not removed until the scope ends. If
 * the test failed, the scope prints each cluster's node log tails and keeps
 * the dirs, naming them; if it passed, the dirs go. A test does not have to
 * remember anything: the framework adapter opens and closes the scope around
 * every test (`crucible/cluster/vitest` as a vitest setup file).
 *
 * One scope is open at a time (tests of one file run one after another); a
 * scope opened while another is open closes the older one first.
 */
import type { LocalCluster } from "./fixture.js";

export interface LogScopeCloseOptions {
  /** The test failed: print log tails and keep the dirs. */
  readonly failed: boolean;
  /** Where the log tails go; default stderr. */
  readonly print?: (text: string) => void;
  /** Log lines per node; default 50. */
  readonly logLines?: number;
}

export class LogScope {
  /** Clusters started in this scope, in start order. */
  readonly clusters: LocalCluster[] = [];
  /** Dir removals postponed until the scope ends, by cluster. */
  private readonly removals = new Map<LocalCluster, () => void>();
  private closed = false;

  constructor(readonly name: string) {}

  adopt(cluster: LocalCluster): void {
    if (!this.closed) this.clusters.push(cluster);
  }

  /** Postpone removing a stopped cluster's dir; false when the scope is closed (remove it now). */
  postpone(cluster: LocalCluster, remove: () => void): boolean {
    if (this.closed || !this.clusters.includes(cluster)) return false;
    this.removals.set(cluster, remove);
    return true;
  }

  close(options: LogScopeCloseOptions): void {
    if (this.closed) return;
    this.closed = true;
    if (current === this) current = undefined;
    const print = options.print ?? ((text: string) => process.stderr.write(`${text}\n`));
    if (options.failed && this.clusters.length > 0) {
      for (const cluster of this.clusters) {
        cluster.markFailed(`test ${JSON.stringify(this.name)} failed`);
        print(
          `crucible: node logs of ${cluster.name} for failed test ${JSON.stringify(this.name)} (dir kept: ${cluster.runDir})`,
        );
        print(cluster.logTails(options.logLines ?? 50));
      }
      this.removals.clear();
      return;
    }
    for (const remove of this.removals.values()) remove();
    this.removals.clear();
  }
}

let current: LogScope | undefined;

/** Open a scope for the test `name`; clusters started from now on belong to it. */
export function openLogScope(name: string): LogScope {
  current?.close({ failed: false });
  current = new LogScope(name);
  return current;
}

/** The open scope, if any. */
export function currentLogScope(): LogScope | undefined {
  return current;
}
