import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stats } from "../../src/checker/stats.js";
import type { Client } from "../../src/client/types.js";
import type { Nemesis } from "../../src/faults/types.js";
import { limit, phases, sleep } from "../../src/generator/index.js";
import { pairOps } from "../../src/history/analysis.js";
import { readHistoryFile } from "../../src/history/reader.js";
import { runTest } from "../../src/runner/run-test.js";
import { Runner } from "../../src/runner/runner.js";
import { noopClient, runOptions, tempStore } from "./helpers.js";

const write = { f: "write", value: 1 };

describe("Runner", () => {
  it("journals every invocation and completion, in pairs, to history.jsonl", async () => {
    // limit(500) ends the run; the time limit is only a backstop (a loaded CI machine needs more than 150 ms).
    const options = runOptions({ timeLimitMs: 10_000 });
    const runDir = tempStore();
    const runner = new Runner({
      spec: { name: "noop", client: noopClient, generator: limit(500, () => write), checker: stats() },
      options,
      runDir,
    });
    const results = await runner.run();
    expect(results.valid).toBe(true);
    expect(results.complete).toBe(true);
    const { ops, warnings } = await readHistoryFile(join(runDir, "history.jsonl"));
    expect(warnings).toEqual([]);
    expect(ops).toEqual(runner.history);
    expect(ops.length).toBe(1000);
    const pairs = pairOps(ops);
    expect(pairs.every((pair) => pair.completion?.type === "ok")).toBe(true);
    expect(ops.map((op) => op.index)).toEqual(ops.map((_, i) => i));
    // Time is monotonic.
    for (let i = 1; i < ops.length; i++) expect(ops[i]!.time).toBeGreaterThanOrEqual(ops[i - 1]!.time);
    // Never two ops in flight on one process.
    expect(new Set(ops.map((op) => op.process)).size).toBeLessThanOrEqual(options.concurrency);
  });

  it("turns a client that throws on every third op into info ops and a completed run", async () => {
    let calls = 0;
    const flaky: Client = {
      name: "flaky",
      async open() {
        return {
          async invoke() {
            calls++;
            if (calls % 3 === 0) throw new Error("boom on a third op");
            return { type: "ok" };
          },
          async close() {},
        };
      },
    };
    const runner = new Runner({
      spec: { name: "flaky", client: flaky, generator: limit(90, () => write), checker: stats() },
      options: runOptions({ concurrency: 3, timeLimitMs: 5_000 }),
      runDir: tempStore(),
    });
    const results = await runner.run();
    expect(results.complete).toBe(true);
    const infos = runner.history.filter((op) => op.type === "info");
    expect(infos.length).toBe(30);
    expect(infos[0]!.error).toContain("boom on a third op");
    // Jepsen's rule: after info a worker continues as a new process (old + concurrency).
    const processes = new Set(runner.history.map((op) => op.process as number));
    expect(Math.max(...processes)).toBeGreaterThanOrEqual(3);
    expect(results.stats.byType).toEqual({ ok: 60, fail: 0, info: 30 });
  });

  it("records a hung op as info after the per-op timeout and goes on", async () => {
    let calls = 0;
    const hangsOnce: Client = {
      name: "hangs-once",
      async open() {
        return {
          invoke(_op, { signal }) {
            calls++;
            if (calls === 1) return new Promise(() => {}); // never settles, ignores the signal
            if (signal.aborted) throw new Error("aborted");
            return Promise.resolve({ type: "ok" as const });
          },
          async close() {},
        };
      },
    };
    const runner = new Runner({
      spec: {
        name: "hang",
        client: hangsOnce,
        generator: limit(5, () => write),
        checker: stats(),
        concurrency: 1,
      },
      options: runOptions({ opTimeoutMs: 50, timeLimitMs: 10_000 }),
      runDir: tempStore(),
    });
    const results = await runner.run();
    expect(results.stats.byType).toEqual({ ok: 4, fail: 0, info: 1 });
    expect(runner.history[1]!.error).toMatch(/timed out after 50 ms/);
    expect(runner.history[2]!.process).toBe(1); // the worker moved on as process 0 + concurrency
  });

  it("records a connection that cannot be opened as fail (the op was never sent)", async () => {
    const refuses: Client = {
      name: "refuses",
      async open() {
        throw new Error("ECONNREFUSED");
      },
    };
    const runner = new Runner({
      spec: { name: "refused", client: refuses, generator: limit(3, () => write), checker: stats() },
      options: runOptions(),
      runDir: tempStore(),
    });
    const results = await runner.run();
    expect(results.stats.byType).toEqual({ ok: 0, fail: 3, info: 0 });
    expect(results.valid).toBe("unknown"); // stats: write never succeeded (missing evidence)
    expect(runner.history.find((op) => op.type === "fail")?.error).toContain(
      "could not open a connection: ECONNREFUSED",
    );
  });

  it("backs off before reopening after a failed open, so a dead node does not flood the history", async () => {
    const refuses: Client = {
      name: "refuses",
      async open() {
        throw new Error("ECONNREFUSED");
      },
    };
    const runner = new Runner({
      spec: { name: "refused-backoff", client: refuses, generator: () => write, checker: stats() },
      options: runOptions({ concurrency: 2, timeLimitMs: 500 }),
      runDir: tempStore(),
    });
    const results = await runner.run();
    // One attempt per worker per 100 ms backoff (plus the first): without the backoff this is thousands.
    expect(results.stats.byType.fail).toBeGreaterThan(0);
    expect(results.stats.byType.fail).toBeLessThanOrEqual(2 * (500 / 100 + 2));
  });

  it("a fail with connectionLost closes the connection and reopens after the back-off", async () => {
    let opens = 0;
    let closes = 0;
    const dies: Client = {
      name: "dies",
      async open() {
        opens++;
        return {
          // The connection is dead: every op certainly failed, and says so.
          invoke: async () => ({ type: "fail", error: "ECONNREFUSED", connectionLost: true }),
          close: async () => {
            closes++;
          },
        };
      },
    };
    const runner = new Runner({
      spec: { name: "conn-lost", client: dies, generator: () => write, checker: stats() },
      options: runOptions({ concurrency: 2, timeLimitMs: 500 }),
      runDir: tempStore(),
    });
    const results = await runner.run();
    // Each op ends its connection: one open per op, one op per worker per 100 ms back-off (plus the first).
    expect(results.stats.byType.fail).toBeGreaterThan(2);
    expect(results.stats.byType.fail).toBeLessThanOrEqual(2 * (500 / 100 + 2));
    expect(opens).toBeGreaterThanOrEqual(results.stats.byType.fail);
    expect(closes).toBeGreaterThanOrEqual(results.stats.byType.fail - 2);
    // Not journaled: it is an instruction to the runner, not a fact about the op.
    expect(runner.history.some((op) => "connectionLost" in op)).toBe(false);
  });

  it("routes nemesis ops to the nemesis, heals in the final phase and tears down", async () => {
    const events: string[] = [];
    const nemesis: Nemesis = {
      name: "recording",
      fs: ["break", "heal"],
      async invoke(op) {
        events.push(op.f);
        return { type: "ok" };
      },
      async teardown() {
        events.push("teardown");
      },
    };
    const runner = new Runner({
      spec: {
        name: "nemesis",
        client: noopClient,
        generator: limit(20, () => write),
        nemesis: {
          nemesis,
          generator: [{ f: "break", value: null }],
          finalGenerator: [{ f: "heal", value: null }],
          kinds: ["break"],
        },
        finalGenerator: [{ f: "read", value: null }],
        checker: stats(),
      },
      options: runOptions({ timeLimitMs: 2_000 }),
      runDir: tempStore(),
    });
    await runner.run();
    expect(events).toEqual(["break", "heal", "teardown"]);
    const nemesisOps = runner.history.filter((op) => op.process === "nemesis");
    expect(nemesisOps.map((op) => `${op.type}:${op.f}`)).toEqual([
      "invoke:break",
      "ok:break",
      "invoke:heal",
      "ok:heal",
    ]);
    // The final read runs after the heal completed.
    const healDone = runner.history.findIndex((op) => op.f === "heal" && op.type === "ok");
    const finalRead = runner.history.findIndex((op) => op.f === "read" && op.type === "invoke");
    expect(finalRead).toBeGreaterThan(healDone);
  });

  it("stops cleanly on interrupt: history kept, run marked incomplete", async () => {
    const stop = new AbortController();
    const slow: Client = {
      name: "slow",
      async open() {
        return {
          invoke: (_op, { signal }) =>
            new Promise((resolve, reject) => {
              const timer = setTimeout(() => resolve({ type: "ok" }), 20);
              signal.addEventListener("abort", () => {
                clearTimeout(timer);
                reject(new Error("aborted"));
              });
            }),
          async close() {},
        };
      },
    };
    setTimeout(() => stop.abort(), 150);
    const outcome = await runTest({
      definition: { name: "interrupted", client: slow, generator: () => write, checker: stats() },
      options: runOptions({ timeLimitMs: 60_000 }),
      signal: stop.signal,
      writeReports: false,
    });
    expect(outcome.results.complete).toBe(false);
    const { ops } = await readHistoryFile(join(outcome.runDir, "history.jsonl"));
    expect(ops.length).toBeGreaterThan(0);
    expect(ops.length % 2).toBe(0); // every invocation got its completion, aborted ones as info
    const stored = JSON.parse(readFileSync(join(outcome.runDir, "results.json"), "utf8"));
    expect(stored.complete).toBe(false);
  });

  it("stores test.json with the seed, results.json and a latest link", async () => {
    const options = runOptions({ seed: 7 });
    const outcome = await runTest({
      definition: {
        name: "stored test",
        client: noopClient,
        generator: limit(10, () => write),
        checker: stats(),
      },
      options,
      writeReports: false,
    });
    const test = JSON.parse(readFileSync(join(outcome.runDir, "test.json"), "utf8"));
    expect(test.seed).toBe(7);
    expect(test.name).toBe("stored test");
    const latest = readFileSync(join(options.storeDir, "stored-test", "latest", "test.json"), "utf8");
    expect(JSON.parse(latest).seed).toBe(7);
    expect(JSON.parse(readFileSync(join(outcome.runDir, "results.json"), "utf8")).valid).toBe(true);
  });
});

describe("Runner sleeps", () => {
  it("a sleep holds its worker, is journaled nowhere, and every op keeps its index", async () => {
    const runner = new Runner({
      spec: {
        name: "sleepy",
        client: noopClient,
        generator: phases(
          limit(2, () => write),
          sleep(60),
          limit(2, () => write),
        ),
        checker: stats(),
      },
      options: runOptions({ concurrency: 1, timeLimitMs: 5_000 }),
      runDir: tempStore(),
    });
    const results = await runner.run();
    expect(results.valid).toBe(true);
    const ops = runner.history;
    expect(ops.map((op) => op.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(ops.some((op) => op.f === "sleep")).toBe(false);
    expect(ops[4]!.time - ops[3]!.time).toBeGreaterThanOrEqual(55e6);
  });

  it("an interrupt ends a sleep at once", async () => {
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 100);
    const started = performance.now();
    const outcome = await runTest({
      definition: {
        name: "long sleep",
        client: noopClient,
        generator: phases(
          limit(1, () => write),
          sleep(60_000),
          limit(1, () => write),
        ),
        checker: stats(),
      },
      options: runOptions({ concurrency: 1, timeLimitMs: 120_000 }),
      signal: stop.signal,
      writeReports: false,
    });
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(outcome.results.complete).toBe(false);
  });
});
