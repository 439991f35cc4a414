/**
 * A short REAL run for the browser test of report.html: the register workload
 * against a 3-node demo cluster (three OS processes on 127.0.0.1) in
 * `stale-reads` mode, with a seeded schedule of partitions (through the
 * userspace proxies), pauses and kill -9. Partitions let an isolated node
 * answer reads from its stale local copy, so the linearizability checker
 * finds a counterexample; a few writes carry an XSS payload that the report
 * must show as text.
 *
 * `runTest` writes the whole store folder (test.json, history.jsonl,
 * results.json, report.html, junit.xml, nodes/*.log) and stops every process
 * it started, whatever happens.
 */
import { linearizable } from "../../src/checker/linearizable/index.js";
import { kvModel } from "../../src/checker/models/index.js";
import { stats } from "../../src/checker/stats.js";
import { demoClient } from "../../src/client/demo.js";
import { demo } from "../../src/cluster/recipes/demo.js";
import { stagger } from "../../src/generator/index.js";
import type { GenContext } from "../../src/generator/types.js";
import type { Invocation } from "../../src/history/op.js";
import { nemesisForRun } from "../../src/runner/nemesis-for-run.js";
import { type RunTestOutcome, runTest } from "../../src/runner/run-test.js";
import type { RunOptions } from "../../src/runner/spec.js";
import { registerOp } from "../../src/tests/register.js";

/** The value some writes carry: rendered anywhere as markup, it would create an <img> and raise an alert. */
export const XSS_VALUE = "<img src=x onerror=alert(1)>";

export interface RealRun {
  outcome: RunTestOutcome;
  runDir: string;
  /** Op.index of the first invocation that writes {@link XSS_VALUE}. */
  xssIndex: number;
  /** Op.index of the first stuck op of the linearizability counterexample (undefined when the run was valid). */
  stuckIndex: number | undefined;
}

export interface RealRunOptions {
  storeDir: string;
  /** Seeds the workload and the fault schedule. Default 2024 (its schedule partitions early and often). */
  seed?: number;
  /**
   * Length of the main phase. Default 6000 ms: long enough for the seed-2024
   * schedule (three partitions cutting n3 off, a kill, then usually a pause)
   * and, with cluster start and the final phase, a run of ~7 s.
   */
  timeLimitMs?: number;
}

/** One op in this many writes the XSS value: a few dozen per run, on random keys, among real register ops. */
const XSS_ONE_IN = 30;

/**
 * A register op, an extra read, or now and then a write of the XSS value.
 * Why the extra reads: a worker on a cut-off node answers reads at once (from
 * its stale copy) but blocks on a write until the op timeout, so a read-heavy
 * mix gives the partitions many more stale reads to be caught by.
 */
function registerOrXssOp(ctx: GenContext): Invocation {
  const roll = ctx.random.int(1, XSS_ONE_IN);
  if (roll === 1) return { f: "write", key: ctx.random.int(0, 4), value: XSS_VALUE };
  // About half the ops are extra reads; the rest is the register workload itself.
  if (roll <= XSS_ONE_IN / 2) return { f: "read", key: ctx.random.int(0, 4), value: null };
  return registerOp(ctx);
}

/** Run the stale-reads test once; see the module doc. */
export async function realRun(config: RealRunOptions): Promise<RealRun> {
  const options: RunOptions = {
    seed: config.seed ?? 2024,
    timeLimitMs: config.timeLimitMs ?? 6_000,
    // Workers talk to node `worker % 3`: 9 workers put 3 on each node, so while a node is cut off
    // several workers read its stale copy (a cut-off worker's write blocks it until the op timeout).
    concurrency: 9,
    nodes: 3,
    nemesis: ["partition", "pause", "kill"],
    // Short faults, so a 6 s run sees several of them.
    nemesisIntervalMs: 600,
    opTimeoutMs: 500,
    storeDir: config.storeDir,
    keep: false,
    extra: {},
  };
  // Isolating one node (or splitting in halves) and faulting one node at a time: the shapes that leave a
  // reachable stale node. A short settle keeps the final phase quick.
  const plan = nemesisForRun(options, {
    partitionShapes: ["isolate", "halves"],
    targets: ["one"],
    settleMs: 300,
    recoveryTimeoutMs: 10_000,
  });
  const outcome = await runTest({
    definition: {
      name: "report-real-run",
      cluster: (ctx) =>
        plan.startCluster({
          recipe: (hooks) => demo({ mode: "stale-reads", peerUrl: hooks.peerUrl }),
          ctx,
        }),
      client: demoClient(),
      generator: stagger(5, registerOrXssOp),
      ...(plan.nemesis && { nemesis: plan.nemesis }),
      finalGenerator: Array.from({ length: 5 }, (_, key) => ({ f: "read", key, value: null })),
      checker: [stats(), linearizable({ model: kvModel, timeLimitMs: 20_000 })],
      describe: { workload: "register+xss", mode: "stale-reads" },
    },
    options,
    reproduce: `vitest run test/report/report-page.test.ts (realRun seed ${options.seed})`,
    log: () => {},
  });
  const xssIndex =
    outcome.history.find((op) => op.type === "invoke" && op.f === "write" && op.value === XSS_VALUE)?.index ??
    -1;
  // The checker names itself after its model ("linearizable(kv)").
  const linearizability = Object.entries(outcome.results.checkers).find(([name]) =>
    name.startsWith("linearizable"),
  )?.[1] as { counterexample?: { stuck?: number[] } } | undefined;
  return {
    outcome,
    runDir: outcome.runDir,
    xssIndex,
    stuckIndex: linearizability?.counterexample?.stuck?.[0],
  };
}
