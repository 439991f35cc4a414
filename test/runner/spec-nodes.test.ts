/**
 * A test file states its own node count (`defineTest({ nodes: 5 })`): the
 * cluster the run starts has that many nodes unless `--nodes` says
 * otherwise, and test.json and the summary say what ran, of which target.
 */
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stats } from "../../src/checker/stats.js";
import { demoClient } from "../../src/client/demo.js";
import { startCluster } from "../../src/cluster/fixture.js";
import { demo } from "../../src/cluster/recipes/demo.js";
import { UsageError } from "../../src/errors/index.js";
import { formatSummary } from "../../src/report/console.js";
import { runTest } from "../../src/runner/run-test.js";
import { type RunOptions, resolveRun, type TestSpec } from "../../src/runner/spec.js";
import { registerOp } from "../../src/tests/register.js";
import { noopClient, runOptions, tempStore } from "./helpers.js";

const store = tempStore();
afterAll(() => rmSync(store, { recursive: true, force: true }));

const base: TestSpec = { name: "sized", client: noopClient, generator: [], checker: stats() };

describe("resolveRun: the test's nodes", () => {
  it("replaces the default size, but not an explicit --nodes", async () => {
    const options = runOptions({ nodes: 3, storeDir: store });
    expect((await resolveRun({ ...base, nodes: 5 }, options)).options.nodes).toBe(5);
    expect((await resolveRun({ ...base, nodes: 5 }, { ...options, nodesExplicit: true })).options.nodes).toBe(
      3,
    );
    expect((await resolveRun(base, options)).options.nodes).toBe(3);
  });

  it("calls a definition function again with its own size, so what it built from options.nodes matches", async () => {
    const seen: number[] = [];
    const definition = (options: RunOptions): TestSpec => {
      seen.push(options.nodes);
      return {
        ...base,
        nodes: 5,
        describe: { names: Array.from({ length: options.nodes }, (_, i) => `n${i + 1}`) },
      };
    };
    const { spec, options } = await resolveRun(definition, runOptions({ nodes: 3, storeDir: store }));
    expect(seen).toEqual([3, 5]);
    expect(options.nodes).toBe(5);
    expect(spec.describe?.names).toEqual(["n1", "n2", "n3", "n4", "n5"]);
  });

  it("refuses a size that is not an integer from 1 to 99, naming the file", async () => {
    for (const nodes of [0, -1, 2.5, 100, Number.NaN, "5"]) {
      const error = await resolveRun(
        { ...base, nodes } as unknown as TestSpec,
        runOptions({ nodes: 3, storeDir: store }),
        "t.mjs",
      ).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error, String(nodes)).toBeInstanceOf(UsageError);
      expect((error as UsageError).message).toMatch(
        /^t\.mjs: not a valid test: `nodes` must be an integer from 1 to 99/,
      );
    }
  });

  it("refuses a definition whose nodes follows options.nodes (it could never settle)", async () => {
    const error = await resolveRun(
      (options) => ({ ...base, nodes: options.nodes + 1 }),
      runOptions({ nodes: 3, storeDir: store }),
      "t.mjs",
    ).catch((thrown: unknown) => thrown);
    expect((error as UsageError).message).toContain("expected a fixed size");
  });
});

it("a run of a 5-node test starts 5 demo nodes; test.json and the summary say so", async () => {
  const outcome = await runTest({
    definition: {
      name: "five-nodes",
      nodes: 5,
      cluster: (ctx) =>
        startCluster(demo(), ctx.options.nodes, { random: ctx.random, logDir: ctx.logDir, log: () => {} }),
      client: demoClient(),
      generator: registerOp,
      finalGenerator: [{ f: "read", key: 0, value: null }],
      checker: stats(),
    },
    options: runOptions({ nodes: 3, timeLimitMs: 300, concurrency: 2, storeDir: store }),
    writeReports: false,
    log: () => {},
  });
  const test = JSON.parse(readFileSync(join(outcome.runDir, "test.json"), "utf8"));
  expect(test.nodes).toBe(5);
  expect(test.cluster.name).toBe("demo");
  const summary = formatSummary(outcome.test, outcome.results);
  expect(summary).toMatch(/^ {2}cluster: 5 nodes of demo( \(variant [^)]+\))?$/m);
}, 60_000);
