import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "../../src/client/types.js";
import type { RunOptions } from "../../src/runner/spec.js";

/** A throwaway store dir for one test. */
export function tempStore(): string {
  return mkdtempSync(join(tmpdir(), "crucible-test-store-"));
}

export function runOptions(overrides: Partial<RunOptions> = {}): RunOptions {
  return {
    seed: 42,
    timeLimitMs: 200,
    concurrency: 4,
    nodes: 0,
    nemesis: [],
    nemesisIntervalMs: 1000,
    opTimeoutMs: 1000,
    storeDir: tempStore(),
    keep: false,
    extra: {},
    ...overrides,
  };
}

/** A client that completes every op ok at once (no I/O): the runner is all that is measured. */
export const noopClient: Client = {
  name: "noop",
  async open() {
    return {
      async invoke() {
        return { type: "ok" };
      },
      async close() {},
    };
  },
};
