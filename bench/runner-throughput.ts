/**
 * Runner throughput: a no-op client, 32 workers, every op journaled to disk
 * (history.jsonl, one write(2) per op). Prints completed ops per second.
 * Target (issue 2): >= 100,000 ops/s on a 2-core machine.
 *
 *   npx tsx bench/runner-throughput.ts [ops=400000] [workers=32]
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "../src/client/types.js";
import { limit } from "../src/generator/index.js";
import { Runner } from "../src/runner/runner.js";

const totalOps = Number(process.argv[2] ?? 400_000);
const workers = Number(process.argv[3] ?? 32);

const noop: Client = {
  name: "noop",
  async open() {
    return { invoke: async () => ({ type: "ok" }), close: async () => {} };
  },
};

const runDir = mkdtempSync(join(tmpdir(), "crucible-bench-runner-"));
const op = { f: "write", value: 1 };
const runner = new Runner({
  spec: { name: "bench", client: noop, generator: limit(totalOps, () => op), checker: [] },
  options: {
    seed: 1,
    timeLimitMs: 600_000,
    concurrency: workers,
    nodes: 0,
    nemesis: [],
    nemesisIntervalMs: 1000,
    opTimeoutMs: 10_000,
    storeDir: runDir,
    keep: false,
    extra: {},
  },
  runDir,
});
await runner.start();
const startedMs = performance.now();
await runner.runMainPhase();
const elapsedMs = performance.now() - startedMs;
await runner.teardown();
const bytes = statSync(join(runDir, "history.jsonl")).size;
const opsPerSec = (totalOps * 1000) / elapsedMs;
console.log(
  `runner-throughput: ${totalOps} ops, ${workers} workers, ${(elapsedMs / 1000).toFixed(2)} s, ` +
    `${Math.round(opsPerSec).toLocaleString("en-US")} ops/s (target >= 100,000), ` +
    `journal ${(bytes / 1e6).toFixed(1)} MB (${runner.history.length} lines)`,
);
rmSync(runDir, { recursive: true, force: true });
