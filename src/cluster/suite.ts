/**
 * A cluster shared by a test suite, for any test framework (the engine knows
 * none): pass the framework's `beforeAll` / `afterAll` and the cluster starts
 * once for the suite and always stops. Report a failed test with
 * `testFailed(name)`: the node logs are printed (CockroachDB's log scope) and
 * the temp dir is kept so they can be read. `keyPrefix(name)` gives each test
 * its own key space, so tests can share one cluster, even in parallel.
 *
 * ```ts
 * import { afterAll, afterEach, beforeAll } from "vitest";
 * const suite = clusterSuite({ start: () => startCluster(etcd(), 3), beforeAll, afterAll });
 * afterEach((context) => {
 *   if (context.task.result?.state === "fail") suite.testFailed(context.task.name);
 * });
 * test("...", async () => { const urls = suite.cluster.clientUrls; ... });
 * ```
 */
import type { LocalCluster } from "./fixture.js";

export interface ClusterSuiteOptions {
  start: () => Promise<LocalCluster>;
  beforeAll: (fn: () => Promise<void>) => void;
  afterAll: (fn: () => Promise<void>) => void;
  /** Where failed tests' node logs go; default stderr. */
  print?: (text: string) => void;
  /** Log lines per node printed for a failed test; default 50. */
  logLines?: number;
}

export interface ClusterSuite {
  /** The suite's cluster; throws before `beforeAll` ran. */
  readonly cluster: LocalCluster;
  /** Print every node's log tail and keep the temp dir. */
  testFailed(testName: string): void;
  /** A key prefix unique to this test within the run, e.g. `t3-read-your-writes/`. */
  keyPrefix(testName: string): string;
}

export function clusterSuite(options: ClusterSuiteOptions): ClusterSuite {
  let cluster: LocalCluster | undefined;
  let counter = 0;
  const print = options.print ?? ((text: string) => process.stderr.write(`${text}\n`));
  options.beforeAll(async () => {
    cluster = await options.start();
  });
  options.afterAll(async () => {
    await cluster?.stop();
  });
  return {
    get cluster(): LocalCluster {
      if (!cluster) throw new Error("clusterSuite: the cluster is not started yet (use it inside tests)");
      return cluster;
    },
    testFailed(testName: string): void {
      if (!cluster) return;
      cluster.markFailed(`test ${JSON.stringify(testName)} failed`);
      print(`crucible: node logs for failed test ${JSON.stringify(testName)} (dir kept: ${cluster.runDir})`);
      print(cluster.logTails(options.logLines ?? 50));
    },
    keyPrefix(testName: string): string {
      counter++;
      const slug = testName
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, "-")
        .replace(/^-|-$/g, "")
        .slice(0, 40);
      return `t${counter}-${slug}/`;
    },
  };
}
