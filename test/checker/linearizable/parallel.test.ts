import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { generateRegisterHistory, injectFault } from "../../../src/checker/linearizable/generate.js";
import {
  checkLinearizable,
  checkLinearizableParallel,
  type LinearizabilityResult,
  liveLinearizabilityWorkers,
} from "../../../src/checker/linearizable/index.js";
import { models } from "../../../src/checker/models/index.js";
import { importHistoryFile } from "../../../src/history/import/index.js";
import type { Op } from "../../../src/history/op.js";
import { Random } from "../../../src/random/random.js";
import { myKv } from "./fixtures/custom-model.js";

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, "../../fixtures/porcupine");
const expected = JSON.parse(readFileSync(join(fixtures, "expected.json"), "utf8")) as {
  etcd: Record<string, boolean>;
  kv: Record<string, boolean>;
};
/** Workers for any history with two partitions, so small fixtures exercise the worker path. */
const force = { minOpsForWorkers: 0, minPartitionOpsForWorkers: 1, maxWorkers: 2 } as const;

/** The part of a result that must not depend on how it was computed. */
function verdictOf(result: LinearizabilityResult) {
  return { valid: result.valid, explanation: result.explanation, counterexample: result.counterexample };
}

/**
 * Per key: n concurrent writes, each value twice (10, 10, 11, 11, ...), then a read of 5: exponentially many
 * orders to exhaust before "no" (no fast path). Two values only would not do: a write of the value held
 * keeps the state, and the search does not try the orders that differ only by where such a write goes.
 */
function exponentialKeyedHistory(keys: number, writes: number): Op[] {
  const ops: Op[] = [];
  const push = (op: Omit<Op, "index" | "time">) =>
    ops.push({ ...op, index: ops.length, time: ops.length } as Op);
  for (let k = 0; k < keys; k++) {
    for (let p = 0; p < writes; p++)
      push({ type: "invoke", process: k * 100 + p, f: "write", value: (p >> 1) + 10, key: k });
    for (let p = 0; p < writes; p++)
      push({ type: "ok", process: k * 100 + p, f: "write", value: (p >> 1) + 10, key: k });
    push({ type: "invoke", process: k * 100 + 99, f: "read", value: null, key: k });
    push({ type: "ok", process: k * 100 + 99, f: "read", value: 5, key: k });
  }
  return ops;
}

afterEach(() => {
  // Every check terminates its workers before it resolves, however it ends.
  expect(liveLinearizabilityWorkers()).toBe(0);
});

describe("parallel and sequential checks agree", () => {
  it("on Porcupine's kv histories (partitioned per key: the worker path)", async () => {
    for (const name of Object.keys(expected.kv)) {
      const { ops } = await importHistoryFile(join(fixtures, "kv", name));
      const sequential = checkLinearizable(ops, models["porcupine-kv"]!, { timeLimitMs: 30_000 });
      const parallel = await checkLinearizableParallel(ops, models["porcupine-kv"]!, {
        timeLimitMs: 30_000,
        ...force,
      });
      expect(parallel.stats.workers, name).toBe(2);
      expect(parallel.valid, name).toBe(expected.kv[name]);
      expect(verdictOf(parallel), name).toEqual(verdictOf(sequential));
    }
  });

  it("on Porcupine's etcd histories (one partition: checked in the calling thread)", async () => {
    for (const name of Object.keys(expected.etcd)) {
      const { ops } = await importHistoryFile(join(fixtures, "etcd", name));
      const parallel = await checkLinearizableParallel(ops, models["cas-register"]!, {
        timeLimitMs: 30_000,
        ...force,
      });
      expect(parallel.stats.workers, name).toBe(0);
      expect(parallel.valid, name).toBe(expected.etcd[name]);
    }
  });

  it("on generated keyed histories, valid and with a stale read found by the search alone", async () => {
    for (const seed of [1, 2]) {
      const random = new Random(seed);
      const history = generateRegisterHistory({
        random,
        ops: 4000,
        keys: 4,
        concurrency: 8,
        casShare: 0.2,
        infoShare: 0.05,
      });
      const injected = injectFault(history, "stale-read", random)!;
      for (const [h, verdict] of [
        [history, true],
        [injected.history, false],
      ] as const) {
        const options = { fastPath: false, timeLimitMs: 30_000 };
        const sequential = checkLinearizable(h, models.kv!, options);
        const parallel = await checkLinearizableParallel(h, models.kv!, { ...options, ...force });
        expect(parallel.stats.workers).toBe(2);
        expect(parallel.valid, `seed ${seed}`).toBe(verdict);
        expect(verdictOf(parallel)).toEqual(verdictOf(sequential));
      }
    }
  });
});

describe("parallel checks are bounded", () => {
  it("a time budget ends in unknown with progress, and no worker is left", async () => {
    const history = exponentialKeyedHistory(3, 26);
    const result = await checkLinearizableParallel(history, models.kv!, {
      fastPath: false,
      timeLimitMs: 300,
      ...force,
    });
    expect(result.stats.workers).toBe(2);
    expect(result.valid).toBe("unknown");
    expect(result.explanation).toMatch(/stopped \(time limit\)/);
    expect(result.progress?.partitionsTotal).toBe(3);
    expect(liveLinearizabilityWorkers()).toBe(0);
  });

  it("an abort while workers search ends in unknown, and no worker is left", async () => {
    const history = exponentialKeyedHistory(3, 26);
    const controller = new AbortController();
    const started = performance.now();
    const pending = checkLinearizableParallel(history, models.kv!, {
      fastPath: false,
      signal: controller.signal,
      timeLimitMs: 60_000,
      ...force,
    });
    // Abort once the workers are up (bounded: the check itself would run for minutes).
    for (let waited = 0; liveLinearizabilityWorkers() < 2 && waited < 200; waited++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(liveLinearizabilityWorkers()).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 200));
    controller.abort();
    const result = await pending;
    expect(result.valid).toBe("unknown");
    expect(result.explanation).toMatch(/stopped \(aborted\)/);
    expect(performance.now() - started).toBeLessThan(30_000);
    expect(liveLinearizabilityWorkers()).toBe(0);
  });
});

describe("models in workers", () => {
  const history = generateRegisterHistory({ random: new Random(5), ops: 2000, keys: 3, concurrency: 6 });

  it("a custom model without a module is checked in the calling thread", async () => {
    const result = await checkLinearizableParallel(history, myKv, force);
    expect(result.stats.workers).toBe(0);
    expect(result.valid).toBe(true);
    expect(result.model).toBe("my-kv");
  });

  it("a custom model with its module runs on workers", async () => {
    const url = new URL("./fixtures/custom-model.ts", import.meta.url).href;
    const injected = injectFault(history, "stale-read", new Random(6))!;
    const options = { fastPath: false, modelModule: { url, exportName: "myKv" }, ...force };
    const result = await checkLinearizableParallel(injected.history, myKv, options);
    expect(result.stats.workers).toBe(2);
    expect(verdictOf(result)).toEqual(
      verdictOf(checkLinearizable(injected.history, myKv, { fastPath: false })),
    );
  });

  it("a module that does not export the model is an error, not a wrong verdict", async () => {
    const url = new URL("./fixtures/custom-model.ts", import.meta.url).href;
    await expect(
      checkLinearizableParallel(history, { ...myKv }, { modelModule: { url, exportName: "myKv" }, ...force }),
    ).rejects.toThrow(/does not export/);
  });
});
