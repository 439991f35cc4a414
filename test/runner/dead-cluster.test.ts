/**
 * Valid needs evidence: a cluster killed for good mid-run (every node, kill
 * -9, never restarted) fails every later op, and failed ops constrain
 * nothing, so the checkers all say valid. The run must not: it is unknown,
 * with the reasons (the cluster was not seen to recover, no final op
 * succeeded).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { unhandledExceptions } from "../../src/checker/exceptions.js";
import { linearizable } from "../../src/checker/linearizable/index.js";
import { kvModel } from "../../src/checker/models/index.js";
import { stats } from "../../src/checker/stats.js";
import { demoClient } from "../../src/client/demo.js";
import { startCluster } from "../../src/cluster/fixture.js";
import { demo } from "../../src/cluster/recipes/demo.js";
import { composeNemeses } from "../../src/faults/compose.js";
import { customNemesis } from "../../src/faults/custom.js";
import { recoveryNemesis } from "../../src/faults/schedule.js";
import { stagger } from "../../src/generator/index.js";
import { runTest } from "../../src/runner/run-test.js";
import { registerOp } from "../../src/tests/register.js";

const store = mkdtempSync(join(tmpdir(), "crucible-dead-cluster-"));
afterAll(() => rmSync(store, { recursive: true, force: true }));

it("a cluster killed for good is unknown, not valid, and says why", async () => {
  const killAll = customNemesis({
    name: "kill-all",
    faults: {
      "kill-all": async (_op, ctx) => {
        await Promise.all((ctx.cluster?.nodes ?? []).map((node) => node.kill("SIGKILL")));
        return { killed: ctx.cluster?.nodes.map((node) => node.name) };
      },
    },
  });
  const outcome = await runTest({
    definition: {
      name: "dead-cluster",
      cluster: (ctx) => startCluster(demo(), 3, { random: ctx.random, logDir: ctx.logDir, log: () => {} }),
      client: demoClient(),
      generator: stagger(5, registerOp),
      nemesis: {
        nemesis: composeNemeses([killAll, recoveryNemesis()]),
        generator: [
          { type: "sleep", f: "sleep", value: 1 },
          { f: "kill-all", value: null },
        ],
        finalGenerator: [{ f: "wait-for-recovery", value: { timeoutMs: 1_000, settleMs: 0 } }],
        kinds: ["kill-all"],
      },
      finalGenerator: Array.from({ length: 3 }, (_, key) => ({ f: "read", key, value: null })),
      checker: [stats(), unhandledExceptions(), linearizable({ model: kvModel })],
    },
    options: {
      seed: 3,
      timeLimitMs: 2_500,
      concurrency: 3,
      nodes: 3,
      nemesis: [],
      nemesisIntervalMs: 1_000,
      opTimeoutMs: 500,
      storeDir: store,
      keep: false,
      extra: {},
    },
    writeReports: false,
    log: () => {},
  });
  expect(outcome.results.checkers["linearizable(kv)"]!.valid).toBe(true);
  expect(outcome.results.valid).toBe("unknown");
  expect(outcome.results.evidence?.sufficient).toBe(false);
  const reasons = outcome.results.evidence!.reasons.join("\n");
  expect(reasons).toContain("the cluster was not seen to recover");
  expect(reasons).toContain("final-phase ops succeeded");
}, 60_000);
