/**
 * `crucible run --variant X` replays a randomized cluster configuration by
 * name (what the fixture logs as "replay with variant X"): the variant runs,
 * test.json records it and its replay command keeps the flag; a name the
 * recipe does not have, or odd text, is exit 64 before any node starts; a
 * test whose cluster() ignores the asked variant is refused, not run as
 * another configuration.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stats } from "../../src/checker/stats.js";
import { parseVariantName } from "../../src/cli/options.js";
import { runOptionsFromFlags } from "../../src/cli/run.js";
import { demoClient } from "../../src/client/demo.js";
import { startCluster } from "../../src/cluster/fixture.js";
import { demo } from "../../src/cluster/recipes/demo.js";
import { ExitCode, UsageError } from "../../src/errors/index.js";
import { runTest } from "../../src/runner/run-test.js";
import { registerOp } from "../../src/tests/register.js";
import { runOptions, tempStore } from "../runner/helpers.js";

const CLI = resolve("test/cli/fixtures/crucible.ts");
const store = tempStore();
afterAll(() => rmSync(store, { recursive: true, force: true }));

function crucible(args: string[]) {
  const result = spawnSync(process.execPath, ["--import", "tsx", CLI, ...args], {
    encoding: "utf8",
    timeout: 90_000,
    env: { ...process.env, CI: "1", NO_COLOR: "1" },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("--variant parsing", () => {
  it("passes the name to the run options; absent, the seed picks", () => {
    const flags = {
      timeLimit: 1000,
      concurrency: 1,
      store: "store",
      nemesis: [],
      nemesisInterval: 1000,
      demoMode: "linearizable",
      opTimeout: 1000,
      keep: false,
      json: false,
      target: "etcd",
    };
    expect(runOptionsFromFlags({ ...flags, variant: "pre-vote" }).variant).toBe("pre-vote");
    expect("variant" in runOptionsFromFlags(flags)).toBe(false);
  });

  it("refuses empty or odd names", () => {
    for (const bad of ["", " ", "a b", "../x", "-x", "x".repeat(65)])
      expect(() => parseVariantName(bad), JSON.stringify(bad)).toThrow(/expected a variant name/);
    expect(parseVariantName("small-snapshots")).toBe("small-snapshots");
  });
});

describe("crucible run --variant", () => {
  it("runs etcd as the variant asked for, recorded in test.json and its replay command", () => {
    const { code, stderr, stdout } = crucible([
      "run",
      "--target",
      "etcd",
      "--variant",
      "small-snapshots",
      "--nodes",
      "1",
      "--nemesis",
      "none",
      "--time-limit",
      "1",
      "--seed",
      "4",
      "--store",
      store,
    ]);
    expect({ code, stderr }).toEqual({ code: ExitCode.valid, stderr: expect.any(String) });
    const runDir = /run folder: (.+)/.exec(stdout + stderr)?.[1]?.trim();
    expect(runDir).toBeDefined();
    const test = JSON.parse(readFileSync(join(runDir!, "test.json"), "utf8"));
    expect(test.cluster).toEqual({ name: "etcd", variant: "small-snapshots" });
    expect(test.reproduce).toContain("--variant small-snapshots");
    expect(test.reproduce).toContain("--seed 4");
  }, 120_000);

  it("a variant the recipe does not have is exit 64 naming the flag and the variants", () => {
    const { code, stderr } = crucible(["run", "--variant", "bogus", "--time-limit", "1", "--store", store]);
    expect(code).toBe(ExitCode.usage);
    expect(stderr).toContain("--variant bogus: demo has no such variant; its variants: none");
    expect(stderr).not.toMatch(/\n\s+at /);
  }, 120_000);

  it("odd text is exit 64 at once", () => {
    const { code, stderr } = crucible(["run", "--variant", "a b", "--store", store]);
    expect(code).toBe(ExitCode.usage);
    expect(stderr).toContain("expected a variant name");
  }, 60_000);
});

it("a test whose cluster() ignores the asked variant is refused, not run as another configuration", async () => {
  const error = await runTest({
    definition: {
      name: "ignores-variant",
      cluster: (ctx) => startCluster(demo(), 1, { random: ctx.random, logDir: ctx.logDir, log: () => {} }),
      client: demoClient(),
      generator: registerOp,
      checker: stats(),
    },
    options: runOptions({ nodes: 1, storeDir: store, variant: "pre-vote" }),
    writeReports: false,
    log: () => {},
  }).catch((thrown: unknown) => thrown);
  expect(error).toBeInstanceOf(UsageError);
  expect((error as UsageError).detail).toContain(
    "the test's cluster() ran no variant; pass ctx.options.variant",
  );
  expect((error as UsageError).setting).toEqual({ name: "variant", value: "pre-vote" });
}, 60_000);
