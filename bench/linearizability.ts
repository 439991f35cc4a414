/**
 * Linearizability checker figures, beside Porcupine's (Go) as measured on
 * this machine kind on the same files (issue 3):
 *   60 etcd histories: 0.4–0.5 s total check time;
 *   10-client kv pair: ~0.01 s partitioned per key, 5.4 s unpartitioned.
 * Run: npx tsx bench/linearizability.ts
 * Times are check time (import excluded), wall clock, one process; "peak RSS"
 * is the process's maximum resident set so far (so it only grows). Worker
 * figures under tsx include compiling the worker's sources in each thread
 * (~0.5 s); from dist/ a worker starts in tens of ms.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateRegisterHistory, injectFault } from "../src/checker/linearizable/generate.js";
import { checkLinearizable, checkLinearizableParallel } from "../src/checker/linearizable/index.js";
import { type AnyModel, models } from "../src/checker/models/index.js";
import { importHistoryFile } from "../src/history/import/index.js";
import type { Op } from "../src/history/op.js";
import { Random } from "../src/random/random.js";

const fixtures = join(dirname(fileURLToPath(import.meta.url)), "../test/fixtures/porcupine");
const expected = JSON.parse(readFileSync(join(fixtures, "expected.json"), "utf8")) as {
  etcd: Record<string, boolean>;
  kv: Record<string, boolean>;
};
const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const peakRss = (): number => process.resourceUsage().maxRSS * 1024;

function timed(
  history: readonly Op[],
  model: AnyModel,
  options: { partition?: boolean; fastPath?: boolean } = {},
) {
  const started = performance.now();
  const result = checkLinearizable(history, model, { timeLimitMs: 120_000, ...options });
  return { result, ms: performance.now() - started };
}

function row(name: string, ms: number, verdict: unknown, extra: string): void {
  console.log(`${name.padEnd(52)} ${ms.toFixed(1).padStart(9)} ms  ${String(verdict).padEnd(7)} ${extra}`);
}

console.log(`node ${process.version}; figures on a shared, busy 2-core machine are noisy\n`);

// 1. The 60 labelled etcd histories.
const etcd = await Promise.all(
  Object.keys(expected.etcd).map(async (name) => ({
    name,
    ops: (await importHistoryFile(join(fixtures, "etcd", name))).ops,
  })),
);
for (const round of ["cold (first run, JIT warming)", "warm (second run)"]) {
  let total = 0;
  let wrong = 0;
  let slowest = { name: "", ms: 0 };
  for (const { name, ops } of etcd) {
    const { result, ms } = timed(ops, models["cas-register"]!);
    total += ms;
    if (result.valid !== expected.etcd[name]) wrong++;
    if (ms > slowest.ms) slowest = { name, ms };
  }
  row(
    `etcd: 60 histories, ${round}`,
    total,
    wrong === 0 ? "agree" : `${wrong} WRONG`,
    `slowest ${slowest.name} ${slowest.ms.toFixed(1)} ms · Porcupine 400–500 ms`,
  );
}

// 2. The kv histories, with and without per-key partitioning.
for (const name of Object.keys(expected.kv)) {
  const { ops } = await importHistoryFile(join(fixtures, "kv", name));
  for (const partition of [true, false]) {
    const { result, ms } = timed(ops, models["porcupine-kv"]!, { partition });
    const porcupine = name.startsWith("c10")
      ? partition
        ? " · Porcupine ~10 ms"
        : " · Porcupine 5,400 ms"
      : "";
    row(
      `kv ${name} ${partition ? "partitioned per key" : "unpartitioned"}`,
      ms,
      result.valid === expected.kv[name] ? result.valid : `WRONG ${result.valid}`,
      `${result.stats.partitions} partition(s), cache peak ${mb(result.stats.peakCacheBytes)}${porcupine}`,
    );
  }
}

// 3. A generated 100,000-op, 10-key register history at concurrency 10 (valid by construction).
{
  const history = generateRegisterHistory({
    random: new Random(100),
    ops: 100_000,
    keys: 10,
    concurrency: 10,
  });
  const { result, ms } = timed(history, models.kv!);
  row(
    "generated 100,000 ops, 10 keys, concurrency 10",
    ms,
    result.valid,
    `cache peak ${mb(result.stats.peakCacheBytes)}, peak RSS ${mb(peakRss())} · target < 10 s`,
  );
  // The same on worker threads (forced: the default threshold keeps this history in-thread, as it does not pay).
  for (const round of ["first", "second"]) {
    const started = performance.now();
    const parallel = await checkLinearizableParallel(history, models.kv!, {
      timeLimitMs: 120_000,
      minOpsForWorkers: 0,
      minPartitionOpsForWorkers: 1,
    });
    row(
      `  the same on ${parallel.stats.workers} worker threads (${round} run)`,
      performance.now() - started,
      parallel.valid,
      `cache peak ${mb(parallel.stats.peakCacheBytes)}, peak RSS ${mb(peakRss())} (process, workers included)`,
    );
  }
  // Unpartitioned: a cache entry keeps only the window of the linearized set past its fully linearized
  // prefix, so even the whole history fits in a few MB (a whole-history bitset per entry filled the 512 MB
  // cap at 60,000 ops).
  for (const events of [120_000, 200_000]) {
    const part = history.slice(0, events).map((op, index) => ({ ...op, index }));
    const one = timed(part, models.kv!, { partition: false });
    row(
      `  first ${events.toLocaleString("en")} events of it, unpartitioned`,
      one.ms,
      one.result.valid,
      `cache peak ${mb(one.result.stats.peakCacheBytes)}, peak RSS ${mb(peakRss())}`,
    );
  }
}

// 3b. Where workers can pay: a 40,000-op 4-key history at concurrency 40, search alone (millions of steps).
{
  const history = generateRegisterHistory({
    random: new Random(7),
    ops: 40_000,
    keys: 4,
    concurrency: 40,
    spread: 20,
    casShare: 0.2,
    infoShare: 0.05,
  });
  const sequential = timed(history, models.kv!, { fastPath: false });
  row(
    "40,000 ops, 4 keys, concurrency 40, search only: sequential",
    sequential.ms,
    sequential.result.valid,
    `${sequential.result.stats.steps} steps, cache peak ${mb(sequential.result.stats.peakCacheBytes)}`,
  );
  const started = performance.now();
  const parallel = await checkLinearizableParallel(history, models.kv!, {
    fastPath: false,
    timeLimitMs: 120_000,
    minOpsForWorkers: 0,
    minPartitionOpsForWorkers: 1,
  });
  row(
    `  the same on ${parallel.stats.workers} worker threads`,
    performance.now() - started,
    parallel.valid,
    `cache peak ${mb(parallel.stats.peakCacheBytes)}, peak RSS ${mb(peakRss())} (process, workers included)`,
  );
}

// 4. The hard invalid cases: Porcupine runs for minutes and 4–9 GB on these.
{
  const random = new Random(3);
  const injected = injectFault(
    generateRegisterHistory({ random, ops: 3000, concurrency: 8, spread: 8 }),
    "impossible-read",
    random,
  )!;
  const { result, ms } = timed(injected.history, models.register!);
  row(
    "3,000-op register, concurrency 8, one impossible read",
    ms,
    result.valid,
    `${result.counterexample?.kind}, peak RSS ${mb(peakRss())} · Porcupine: minutes, 4–9 GB`,
  );
}
{
  const random = new Random(4);
  const injected = injectFault(
    generateRegisterHistory({ random, ops: 40_000, keys: 20, concurrency: 10 }),
    "stale-read",
    random,
  )!;
  const { result, ms } = timed(injected.history, models.kv!);
  row(
    "40,000-op 20-key history, one stale read",
    ms,
    result.valid,
    `${result.counterexample?.kind}, peak RSS ${mb(peakRss())} · Porcupine: minutes, 4–9 GB`,
  );
  console.log(`  explanation: ${result.explanation}`);
}
