/**
 * A whole run through the runner: the register workload on the demo server in
 * `stale-reads` mode, with a seeded schedule of partitions, pauses and clock
 * faults from `nemesisForRun`. The linearizability checker must find the
 * stale reads the partitions cause, and every fault must be journaled and
 * healed.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { linearizable } from "../../src/checker/linearizable/index.js";
import { kvModel } from "../../src/checker/models/index.js";
import { demoClient } from "../../src/client/demo.js";
import { demo } from "../../src/cluster/recipes/demo.js";
import { findLibfaketime } from "../../src/faults/clock.js";
import { stagger } from "../../src/generator/index.js";
import { nemesisForRun } from "../../src/runner/nemesis-for-run.js";
import { runTest } from "../../src/runner/run-test.js";
import type { RunOptions } from "../../src/runner/spec.js";
import { registerOp } from "../../src/tests/register.js";

const store = mkdtempSync(join(tmpdir(), "crucible-faults-run-"));
afterAll(() => rmSync(store, { recursive: true, force: true }));

describe.skipIf(!findLibfaketime())("a run with partitions, pauses and clock faults", () => {
  it("finds the demo server's stale reads, journals every fault and heals them all", async () => {
    const options: RunOptions = {
      seed: 2024,
      timeLimitMs: 8_000,
      // Nine workers and a short op timeout: a worker on the cut-off follower blocks on a forwarded write
      // until its timeout, so few workers and long timeouts leave too few reads there to catch it stale.
      concurrency: 9,
      nodes: 3,
      nemesis: ["partition", "pause", "clock"],
      nemesisIntervalMs: 800,
      opTimeoutMs: 300,
      storeDir: store,
      keep: false,
      extra: {},
    };
    const plan = nemesisForRun(options, { partitionShapes: ["isolate", "halves"], targets: ["one"] });
    const outcome = await runTest({
      definition: {
        name: "faults-stale-reads",
        cluster: (ctx) =>
          plan.startCluster({
            recipe: (hooks) => demo({ mode: "stale-reads", peerUrl: hooks.peerUrl }),
            ctx,
          }),
        client: demoClient(),
        generator: stagger(5, registerOp),
        nemesis: plan.nemesis!,
        finalGenerator: Array.from({ length: 5 }, (_, key) => ({ f: "read", key, value: null })),
        checker: linearizable({ model: kvModel, timeLimitMs: 20_000 }),
      },
      options,
      writeReports: false,
      log: () => {},
    });
    const nemesisOps = outcome.history.filter((op) => op.process === "nemesis" && op.type !== "invoke");
    const fs = new Set(nemesisOps.map((op) => op.f));
    expect(fs).toContain("start-partition");
    for (const partition of nemesisOps.filter((op) => op.f === "start-partition" && op.type === "ok")) {
      expect(partition.value).toMatchObject({ complete: true, via: "proxy" });
    }
    // The final phase healed everything and waited for recovery.
    const tail = nemesisOps.slice(-4).map((op) => op.f);
    expect(tail).toEqual(["resume", "stop-partition", "reset-clock", "wait-for-recovery"]);
    expect(nemesisOps.at(-1)!.type).toBe("ok");
    expect(outcome.results.valid).toBe(false);
  }, 60_000);
});
