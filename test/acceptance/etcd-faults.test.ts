/**
 * Acceptance (issue 5) against a real 3-member etcd: every fault kind runs
 * and heals while the register workload stays linearizable; and a partition
 * that isolates one follower makes serializable reads stale (found) while
 * linearizable reads stay correct. Runs as root put each member in its own
 * network namespace (`network: "auto"`); every run is checked for leftovers.
 */
import { afterAll, describe, expect, it } from "vitest";
import { linearizable } from "../../src/checker/linearizable/index.js";
import { kvModel } from "../../src/checker/models/index.js";
import { etcdClient } from "../../src/client/etcd.js";
import { etcd } from "../../src/cluster/recipes/etcd.js";
import { composeNemeses } from "../../src/faults/compose.js";
import { networkNemesis } from "../../src/faults/network-nemesis.js";
import { grudgeToJson, isolate } from "../../src/faults/partition.js";
import { faultScheduleOps, healOps, nemesisForKinds } from "../../src/faults/schedule.js";
import type { Nemesis, NemesisPackage } from "../../src/faults/types.js";
import { sleep, stagger } from "../../src/generator/index.js";
import type { Op } from "../../src/history/op.js";
import { Random } from "../../src/random/random.js";
import { nemesisForRun } from "../../src/runner/nemesis-for-run.js";
import { runTest } from "../../src/runner/run-test.js";
import type { RunOptions } from "../../src/runner/spec.js";
import registerTest, { registerOp } from "../../src/tests/register.js";
import {
  expectNoLeftovers,
  faultTrace,
  makeStore,
  namespacePrefixesIn,
  nemesisCompletions,
  removeStore,
  runOptions,
  watchLeftovers,
} from "./helpers.js";

const store = makeStore("etcd");
afterAll(() => removeStore(store));

const ALL_KINDS = ["kill", "pause", "partition", "latency", "clock"] as const;

/** The completion `f` that starts each kind, and the one that heals it. */
const FAULT_FS: Record<(typeof ALL_KINDS)[number], { start: readonly string[]; heal: string }> = {
  kill: { start: ["kill"], heal: "start" },
  pause: { start: ["pause"], heal: "resume" },
  partition: { start: ["start-partition"], heal: "stop-partition" },
  latency: { start: ["start-latency"], heal: "stop-latency" },
  clock: { start: ["bump-clock", "strobe-clock"], heal: "reset-clock" },
};

describe("3-member etcd under every fault kind", () => {
  // Seed 6's schedule opens with one fault of each kind: pause the leader, latency on n2,
  // kill n3, bump n1's clock, bridge partition (n1 ⇹ n2, n3 talks to both).
  const seed = 6;
  const intervalMs = 1_200;

  it("the seed's first five faults are one of each kind (so the run below covers them all)", () => {
    const ops = faultScheduleOps({
      kinds: [...ALL_KINDS],
      nodeNames: ["n1", "n2", "n3"],
      intervalMs,
      timeLimitMs: 12_000,
      random: new Random(seed).fork("nemesis-schedule"),
    });
    const faults = ops.filter((_, i) => i % 2 === 0).slice(0, 5);
    expect(faults.map((op) => op.f)).toEqual([
      "pause",
      "start-latency",
      "kill",
      "bump-clock",
      "start-partition",
    ]);
  });

  it("runs and heals kill, pause, partition, latency and clock; the history stays linearizable", async () => {
    const context = `etcd all-faults run, seed ${seed}`;
    // Faults at 1.2, 3.6, 6.0, 8.4 and 10.8 s: the fifth starts before the 12 s limit, and the final phase heals it.
    const options = runOptions(store, {
      seed,
      timeLimitMs: 12_000,
      nemesis: [...ALL_KINDS],
      nemesisIntervalMs: intervalMs,
      extra: { target: "etcd" },
    });
    const watch = watchLeftovers();
    const outcome = await runTest({ definition: registerTest, options, writeReports: false });
    const leftovers = await watch.finish(namespacePrefixesIn(outcome.results.notes));

    const trace = `${context}: ${faultTrace(outcome.history)}`;
    expect(outcome.results.error, trace).toBeUndefined();
    expect(outcome.results.valid, `${trace}\n${JSON.stringify(outcome.results.checkers)}`).toBe(true);
    // The partitions were made with namespaces (root), not the proxies' whole-node approximation.
    expect(namespacePrefixesIn(outcome.results.notes), trace).toHaveLength(1);

    const completions = nemesisCompletions(outcome.history);
    for (const kind of ALL_KINDS) {
      const { start, heal } = FAULT_FS[kind];
      const fault = completions.findIndex((op) => start.includes(op.f));
      expect(fault, `${trace}: no ${kind} fault`).toBeGreaterThanOrEqual(0);
      const op = completions[fault]!;
      if (kind === "clock") {
        // etcd is a Go binary: libfaketime cannot reach it, and the fault says so instead of pretending.
        expect(op.type, trace).toBe("fail");
        expect(op.error, trace).toMatch(/Go binary|vDSO/);
      } else {
        expect(op.type, `${trace}: ${kind} did not complete ok`).toBe("ok");
      }
      const healed = completions.slice(fault + 1).some((later) => later.f === heal && later.type === "ok");
      expect(healed, `${trace}: ${kind} was never healed by an ok ${heal}`).toBe(true);
    }
    const partition = completions.find((op) => op.f === "start-partition")!;
    expect(partition.value, trace).toMatchObject({ via: "netns", complete: true, uncut: [] });
    // The final phase healed everything and the cluster recovered (a leader, every member running).
    const last = completions.at(-1)!;
    expect(last.f, trace).toBe("wait-for-recovery");
    expect(last.type, trace).toBe("ok");

    expectNoLeftovers(leftovers, context);
  }, 120_000);
});

/**
 * `isolate-follower`: cut one follower (the first non-leader, by name) off
 * from the others, at execution time, so the isolated node is never the
 * leader whatever the election did. The grudge goes to the ordinary network
 * nemesis (namespaces as root); the completion names the isolated node.
 */
function isolateFollowerNemesis(): Nemesis {
  const network = networkNemesis();
  return {
    name: "isolate-follower",
    fs: ["isolate-follower"],
    async invoke(op, ctx) {
      const names = ctx.cluster?.nodes.map((node) => node.name) ?? [];
      const leader = await ctx.cluster?.leader?.();
      const follower = names.find((name) => name !== leader?.name);
      if (!leader || !follower) return { type: "fail", error: "no leader, so no follower to isolate" };
      const grudge = grudgeToJson(isolate(names, { node: follower }));
      const completion = await network.invoke(
        { ...op, f: "start-partition", value: { shape: "isolate", grudge } },
        ctx,
      );
      const report =
        completion.value !== null && typeof completion.value === "object" ? completion.value : {};
      return { ...completion, value: { isolated: follower, leader: leader.name, ...report } };
    },
  };
}

/** One follower isolated from 1 s to 4 s of the main phase, then healed. */
function isolateFollowerPackage(): NemesisPackage {
  return {
    nemesis: composeNemeses([isolateFollowerNemesis(), nemesisForKinds(["partition"])], "isolate-follower"),
    generator: [
      sleep(1_000),
      { f: "isolate-follower", value: null },
      sleep(3_000),
      { f: "stop-partition", value: null },
    ],
    finalGenerator: [
      ...healOps(["partition"]),
      { f: "wait-for-recovery", value: { timeoutMs: 30_000, settleMs: 500 } },
    ],
    kinds: ["partition"],
  };
}

async function runIsolatedFollower(readConsistency: "serializable" | "linearizable", seed: number) {
  // 9 workers (3 per member) and a 300 ms op timeout: the isolated member's workers do not
  // stay stuck on writes that cannot commit, and keep reading through the whole partition.
  const options: RunOptions = runOptions(store, {
    seed,
    timeLimitMs: 5_000,
    concurrency: 9,
    opTimeoutMs: 300,
    nemesis: ["partition"],
  });
  const plan = nemesisForRun(options);
  const watch = watchLeftovers();
  const outcome = await runTest({
    definition: {
      name: `etcd-isolated-follower-${readConsistency}`,
      cluster: (ctx) =>
        plan.startCluster({
          recipe: (hooks) => etcd({ advertisePeerUrl: hooks.advertisePeerUrl }),
          ctx,
          network: "auto",
        }),
      client: etcdClient({ readConsistency }),
      generator: stagger(5, registerOp),
      nemesis: isolateFollowerPackage(),
      finalGenerator: Array.from({ length: 5 }, (_, key) => ({ f: "read", key, value: null })),
      checker: linearizable({ model: kvModel, timeLimitMs: 30_000 }),
    },
    options,
    writeReports: false,
  });
  const leftovers = await watch.finish(namespacePrefixesIn(outcome.results.notes));
  const context = `etcd ${readConsistency} reads, isolated follower, seed ${seed}`;
  const trace = `${context}: ${faultTrace(outcome.history)}`;
  const isolation = nemesisCompletions(outcome.history).find((op: Op) => op.f === "isolate-follower");
  expect(isolation?.type, trace).toBe("ok");
  expect(isolation?.value, trace).toMatchObject({ via: "netns", complete: true });
  expect(outcome.results.error, trace).toBeUndefined();
  expectNoLeftovers(leftovers, context);
  return { outcome, trace };
}

describe("3-member etcd, one follower isolated by a partition", () => {
  const seed = 21;

  it("serializable reads on the isolated follower are stale: found, and the key is named", async () => {
    const { outcome, trace } = await runIsolatedFollower("serializable", seed);
    const verdict = outcome.results.checkers["linearizable(kv)"];
    expect(outcome.results.valid, trace).toBe(false);
    expect(verdict?.explanation, trace).toMatch(/key \d+/);
  }, 90_000);

  it("the same run with linearizable reads is valid", async () => {
    const { outcome, trace } = await runIsolatedFollower("linearizable", seed);
    expect(outcome.results.valid, `${trace}\n${JSON.stringify(outcome.results.checkers)}`).toBe(true);
  }, 90_000);
});
