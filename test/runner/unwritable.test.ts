/**
 * A client value JSON cannot hold never reaches the journal as it is: the op
 * becomes `info` with the reason, the run goes on, and the history reads back
 * whole (before: a function or Symbol was written as `"value":undefined`, a
 * BigInt or a circular object killed the run).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stats } from "../../src/checker/stats.js";
import type { Client } from "../../src/client/types.js";
import { limit } from "../../src/generator/index.js";
import { readHistoryFile } from "../../src/history/reader.js";
import { Runner } from "../../src/runner/runner.js";
import { runOptions, tempStore } from "./helpers.js";

describe("a client returning values JSON cannot hold", () => {
  it("turns each into an info op saying why, and the run completes with a readable history", async () => {
    const circular: Record<string, unknown> = { id: 1 };
    circular.self = circular;
    const odd: unknown[] = [() => 1, Symbol("s"), 2n ** 64n, circular, new Set([1])];
    let calls = 0;
    const client: Client = {
      name: "odd-values",
      async open() {
        return {
          async invoke() {
            const value = calls % 2 === 0 ? odd[(calls / 2) % odd.length] : calls;
            calls++;
            return { type: "ok", value };
          },
          async close() {},
        };
      },
    };
    const runDir = tempStore();
    const runner = new Runner({
      spec: {
        name: "odd",
        client,
        generator: limit(40, () => ({ f: "read", value: null })),
        checker: stats(),
      },
      options: runOptions({ concurrency: 1, timeLimitMs: 5_000 }),
      runDir,
    });
    const results = await runner.run();
    expect(results.complete).toBe(true);
    expect(results.stats.byType).toEqual({ ok: 20, fail: 0, info: 20 });
    const errors = new Set(runner.history.filter((op) => op.type === "info").map((op) => op.error));
    expect([...errors].sort()).toEqual(
      [
        "value is a function (JSON writes nothing for it)",
        "value is a Symbol (JSON writes nothing for it)",
        "value is a BigInt (JSON cannot write it; return a string or a number)",
        "value.self is circular (it contains itself)",
        "value is a Set (JSON writes it as {})",
      ]
        .map((reason) => `the client's ok completion cannot be written to the history: ${reason}`)
        .sort(),
    );
    const text = readFileSync(join(runDir, "history.jsonl"), "utf8");
    expect(text).not.toContain("undefined");
    const { ops, warnings } = await readHistoryFile(join(runDir, "history.jsonl"));
    expect(warnings).toEqual([]);
    expect(ops).toEqual(runner.history);
  });

  it("an invalid completion holding a BigInt is described, not a crash", async () => {
    const client: Client = {
      name: "invalid",
      async open() {
        return {
          invoke: async () => ({ type: "weird", value: 1n }) as never,
          async close() {},
        };
      },
    };
    const runner = new Runner({
      spec: {
        name: "invalid",
        client,
        generator: limit(3, () => ({ f: "read", value: null })),
        checker: stats(),
      },
      options: runOptions({ concurrency: 1, timeLimitMs: 5_000 }),
      runDir: tempStore(),
    });
    const results = await runner.run();
    expect(results.complete).toBe(true);
    const info = runner.history.find((op) => op.type === "info");
    expect(info?.error).toBe(
      "client returned an invalid completion: completion.value is a BigInt (JSON cannot write it; return a string or a number)",
    );
  });
});
