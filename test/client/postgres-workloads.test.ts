/**
 * `crucible run --target postgres --workload bank|list-append` end to end
 * through the runner, against a real PostgreSQL 15 with kill and pause
 * faults: the bank's naive transfer is caught at read committed, the list
 * append workload records Elle's op shape, and bad flags are usage errors.
 */
import { rmSync } from "node:fs";
import { expect, test } from "vitest";
import { anomaliesForbiddenBy, type TxnCheckResult } from "../../src/checker/txn/index.js";
import { runOptionsFromFlags } from "../../src/cli/run.js";
import { UsageError } from "../../src/errors/index.js";
import { readHistoryFile } from "../../src/history/reader.js";
import { runTest } from "../../src/runner/run-test.js";
import postgresTxnTest from "../../src/tests/txn-workloads.js";
import { e2eOptions } from "./helpers.js";

test("--workload bank --isolation read-committed: the bank checker finds the lost updates", async () => {
  const options = e2eOptions({
    seed: 11,
    nodes: 1,
    timeLimitMs: 4_000,
    nemesis: ["pause"],
    extra: { target: "postgres", workload: "bank", isolation: "read-committed" },
  });
  try {
    const outcome = await runTest({ definition: postgresTxnTest, options, writeReports: false });
    expect(outcome.test.name).toBe("postgres-bank-read-committed");
    expect(outcome.results.error).toBeUndefined();
    const bank = outcome.results.checkers.bank as { valid: unknown; explanation?: string };
    expect(bank.valid).toBe(false);
    expect(bank.explanation).toMatch(/wrong-total|negative-value/);
  } finally {
    rmSync(options.storeDir, { recursive: true, force: true });
  }
}, 60_000);

test("--workload list-append: transactions of 1-5 micro-ops in Elle's shape", async () => {
  const options = e2eOptions({
    seed: 12,
    nodes: 1,
    timeLimitMs: 3_000,
    nemesis: ["kill"],
    extra: { target: "postgres", workload: "list-append" },
  });
  try {
    const outcome = await runTest({ definition: postgresTxnTest, options, writeReports: false });
    expect(outcome.test.name).toBe("postgres-list-append-serializable");
    const { ops } = await readHistoryFile(`${outcome.runDir}/history.jsonl`);
    const txns = ops.filter((op) => op.f === "txn" && op.type === "ok");
    expect(txns.length).toBeGreaterThan(20);
    for (const op of txns) {
      const value = op.value as [string, number, unknown][];
      expect(Array.isArray(value)).toBe(true);
      for (const [f, k, v] of value) {
        expect(["append", "r"]).toContain(f);
        expect(Number.isInteger(k)).toBe(true);
        if (f === "r") expect(Array.isArray(v)).toBe(true);
        else expect(Number.isInteger(v)).toBe(true);
      }
    }
    expect(txns.some((op) => (op.value as unknown[]).length > 1)).toBe(true);
  } finally {
    rmSync(options.storeDir, { recursive: true, force: true });
  }
}, 60_000);

test("bad workload flags are usage errors naming the flag", () => {
  const base = e2eOptions({ nodes: 1 });
  try {
    expect(() => postgresTxnTest({ ...base, extra: { target: "demo", workload: "bank" } })).toThrow(
      /runs on --target postgres/,
    );
    expect(() =>
      postgresTxnTest({ ...base, extra: { target: "postgres", workload: "bank", isolation: "snapshot" } }),
    ).toThrow(/--isolation must be one of/);
    expect(() =>
      runOptionsFromFlags({
        timeLimit: 1000,
        concurrency: 1,
        store: "store",
        nemesis: [],
        nemesisInterval: 1000,
        target: "postgres",
        demoMode: "linearizable",
        opTimeout: 1000,
        keep: false,
        json: false,
        isolation: "read-committed",
      }),
    ).toThrow(UsageError);
  } finally {
    rmSync(base.storeDir, { recursive: true, force: true });
  }
});

test("--workload list-append --isolation read-committed: nothing read committed forbids; what it allows is reported, not held against it", async () => {
  const options = e2eOptions({
    seed: 13,
    nodes: 1,
    timeLimitMs: 5_000,
    nemesis: [],
    extra: { target: "postgres", workload: "list-append", isolation: "read-committed" },
  });
  try {
    const outcome = await runTest({ definition: postgresTxnTest, options, writeReports: false });
    expect(outcome.test.name).toBe("postgres-list-append-read-committed");
    const result = outcome.results.checkers["list-append"] as TxnCheckResult;
    expect(result.consistencyModels).toEqual(["read-committed"]);
    // PostgreSQL's read committed prevents G0 and G1: finding either would be a checker bug.
    expect(result.anomalyTypes).toEqual([]);
    expect(result.valid).toBe(true);
    const forbidden = anomaliesForbiddenBy(["read-committed"]);
    for (const type of result.allowedAnomalyTypes) expect(forbidden.has(type), type).toBe(false);
    // Ten keys, ten workers, five seconds: read committed shows its read skew (G-single) and more.
    expect(result.allowedAnomalyTypes.length, JSON.stringify(result.stats)).toBeGreaterThan(0);
    for (const type of result.allowedAnomalyTypes)
      expect(result.notByAnomaly[type]!.length).toBeGreaterThan(0);
  } finally {
    rmSync(options.storeDir, { recursive: true, force: true });
  }
}, 60_000);
