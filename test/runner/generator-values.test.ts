/**
 * A generator emitting an op JSON cannot hold (a BigInt, a cycle, a function,
 * a Symbol in its value) is the test's mistake: the run stops with a usage
 * error (exit 64) naming the generator and the part at fault, results.json
 * is written, and history.jsonl stays a valid history (before, a function
 * was journaled as `"value":undefined` and the run said valid; a BigInt
 * killed the run with a stack trace).
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { stats } from "../../src/checker/stats.js";
import { UsageError } from "../../src/errors/index.js";
import type { RunTestOutcome } from "../../src/runner/run-test.js";
import { runTest } from "../../src/runner/run-test.js";
import { noopClient, runOptions, tempStore } from "./helpers.js";

const store = tempStore();
afterAll(() => rmSync(store, { recursive: true, force: true }));

const circular: Record<string, unknown> = { n: 1 };
circular.self = circular;

const cases: [name: string, value: unknown, message: string][] = [
  ["bigint", { amount: 10n }, "op.value.amount is a BigInt"],
  ["circular", circular, "op.value.self"],
  ["function", () => 1, "op.value is a function"],
  ["symbol", Symbol("s"), "op.value is a Symbol"],
];

for (const [name, value, message] of cases) {
  it(`a generator emitting a ${name} is refused cleanly; the history stays valid`, async () => {
    let calls = 0;
    const logged: string[] = [];
    const error = await runTest({
      definition: {
        name: `generator-${name}`,
        client: noopClient,
        // A few good ops first: they must stay in the history, whole.
        generator: () => (calls++ < 3 ? { f: "write", value: calls } : { f: "write", value }),
        checker: stats(),
      },
      options: runOptions({ timeLimitMs: 2_000, storeDir: store }),
      writeReports: false,
      log: (line) => logged.push(line),
    }).then(
      (outcome: RunTestOutcome) => outcome,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(64);
    expect((error as UsageError).detail).toContain("the generator gave an op JSON cannot hold");
    expect((error as UsageError).detail).toContain(message);
    expect(logged.join("\n")).not.toMatch(/\n\s+at /);
    const runDir = logged.find((line) => line.startsWith("run folder: "))!.slice("run folder: ".length);
    expect(existsSync(join(runDir, "results.json"))).toBe(true);
    const results = JSON.parse(readFileSync(join(runDir, "results.json"), "utf8"));
    expect(results.valid).not.toBe(true);
    const lines = readFileSync(join(runDir, "history.jsonl"), "utf8").split("\n").filter(Boolean);
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const line of lines) {
      expect(line).not.toContain("undefined");
      expect(() => JSON.parse(line)).not.toThrow();
    }
  }, 30_000);
}
