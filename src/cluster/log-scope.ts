/**
 * Log scopes (CockroachDB's `leaktest`/`log.Scope` idea): while a test runs
 * inside a scope, every cluster it starts is remembered, and when a cluster
 * stops its temp dir (data and logs) is not removed until the scope ends. If
 * the test failed, the scope prints each cluster's node log tails and keeps
 * the dirs, naming them; if it passed, the dirs go. A test does not have to
 * remember anything: the framework adapter opens and closes the scope around
 * every test (`crucible/cluster/vitest` as a vitest setup file,
 * `crucible/cluster/node-test` imported by a node:test file or preloaded
 * with `--import`).
 *
 * Scopes nest for frameworks whose tests have subtests (node:test's
 * `t.test`): a scope opened with `{ nested: true }` sits inside the innermost
 * open one. A cluster belongs to the scope that was innermost when it
 * started. When a nested scope passes, the dirs of its stopped clusters go
 * and its still-running clusters pass to the enclosing scope (whoever stops
 * them later decides); when it fails, it prints and keeps its own clusters
 * and marks the enclosing scopes failed too, because a test with a failed
 * subtest has failed (node:test reports it so, though its hooks see the
 * parent's own body as passed). A scope opened without `nested` closes every
 * open scope first: vitest's tests do not nest, and a scope left open by a
 * hook that never ran must not swallow the next test's clusters.
 *
 * Tests of one file that run concurrently (`concurrency > 1`) are not told
 * apart: a cluster belongs to the innermost scope opened last.
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

export interface OpenLogScopeOptions {
  /** Open inside the innermost open scope instead of closing the open ones (a subtest). Default false. */
  readonly nested?: boolean;
}

export class LogScope {
  /** Clusters started in this scope, in start order. */
  readonly clusters: LocalCluster[] = [];
  /** Dir removals postponed until the scope ends, by cluster. */
  private readonly removals = new Map<LocalCluster, () => void>();
  private closed = false;
  /** A nested scope of this one failed: this one fails when it closes. */
  private nestedFailed = false;

  constructor(
    readonly name: string,
    /** The enclosing scope, when this one is nested. */
    readonly parent?: LogScope,
  ) {}

  /** Whether {@link close} has run. */
  get isClosed(): boolean {
    return this.closed;
  }

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
    // Nested scopes still open (a subtest whose hook never ran) end with this one, as passed.
    for (const inner of open.filter((scope) => scope.isInside(this))) inner.close({ failed: false });
    this.closed = true;
    open = open.filter((scope) => scope !== this);
    const failed = options.failed || this.nestedFailed;
    const print = options.print ?? ((text: string) => process.stderr.write(`${text}\n`));
    if (failed) {
      for (let ancestor = this.parent; ancestor; ancestor = ancestor.parent) ancestor.nestedFailed = true;
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
    const parent = this.parent && !this.parent.closed ? this.parent : undefined;
    if (parent) {
      for (const cluster of this.clusters) if (!this.removals.has(cluster)) parent.adopt(cluster);
    }
    this.removals.clear();
  }

  private isInside(outer: LogScope): boolean {
    for (let scope = this.parent; scope; scope = scope.parent) if (scope === outer) return true;
    return false;
  }
}

/** Open scopes, outermost first. */
let open: LogScope[] = [];

/** Open a scope for the test `name`; clusters started from now on belong to it. */
export function openLogScope(name: string, options: OpenLogScopeOptions = {}): LogScope {
  if (!options.nested) {
    for (const scope of [...open].reverse()) scope.close({ failed: false });
  }
  const scope = new LogScope(name, options.nested ? open.at(-1) : undefined);
  open.push(scope);
  return scope;
}

/** The innermost open scope, if any: the one a cluster starting now belongs to. */
export function currentLogScope(): LogScope | undefined {
  return open.at(-1);
}

/**
 * Postpone removing a stopped cluster's dir until the verdict of the open
 * scope it belongs to; false when it belongs to none (remove it now).
 */
export function postponeRemoval(cluster: LocalCluster, remove: () => void): boolean {
  return open.some((scope) => scope.postpone(cluster, remove));
}
