/** Shared bits of the client tests: register ops and a bounded invoke. */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ClientConnection } from "../../src/client/types.js";
import type { Completion, Op } from "../../src/history/op.js";
import type { RunOptions } from "../../src/runner/spec.js";

let index = 0;

/** A register invocation on `key`. */
export function registerOp(f: "read" | "write" | "cas", key: number, value: unknown = null): Op {
  return { index: index++, time: 0, type: "invoke", process: 0, f, key, value };
}

/** Invoke with a deadline, as the runner does at its per-op timeout. */
export function invoke(connection: ClientConnection, op: Op, timeoutMs = 5_000): Promise<Completion> {
  return connection.invoke(op, { signal: AbortSignal.timeout(timeoutMs) });
}

export const neverAborted = (): AbortSignal => new AbortController().signal;

/** Run options for an end-to-end run of the built-in register test. */
export function e2eOptions(overrides: Partial<RunOptions>): RunOptions {
  return {
    seed: 4242,
    timeLimitMs: 8_000,
    concurrency: 5,
    nodes: 3,
    nemesis: ["kill", "pause"],
    nemesisIntervalMs: 1_500,
    opTimeoutMs: 1_000,
    storeDir: mkdtempSync(join(tmpdir(), "crucible-client-test-")),
    keep: false,
    extra: {},
    ...overrides,
  };
}

/** The `f` of every completed fault op (`kill`, `pause`, ...) in a run's history.jsonl. */
export function faultsIn(runDir: string): string[] {
  return readFileSync(join(runDir, "history.jsonl"), "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as { process: unknown; type: string; f: string })
    .filter((op) => op.process === "nemesis" && op.type !== "invoke")
    .map((op) => op.f);
}
