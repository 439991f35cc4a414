/**
 * How fast the list-append isolation checker is, and how much memory it holds.
 *
 *   npx tsx bench/txn.ts [--sizes 100000,1000000] [--seed 1] [--form columns|ops]
 *
 * For each size, in a child process of its own (so one size's heap does not
 * count against the next): generate a list-append history of that many
 * transactions — 1 to 5 micro-ops each, half reads, half appends, over a
 * moving window of 100 keys (a key retires after 32 appends and a fresh one
 * takes its place, as Jepsen's `elle.list-append/gen` does), 10 concurrent
 * processes — from a simulated strict-serializable store (each transaction
 * takes effect at its completion), then check it with `listAppend()` under
 * strict-serializable (every edge kind: ww, wr, rw, process, real time).
 * `--form columns` (default) builds the history in columns as it generates
 * it (`TxnHistoryBuilder`: typed arrays, interned keys and values) and hands
 * the checker that; `--form ops` builds op objects, as a history read from a
 * file is, and the checker converts them. Same seed, same transactions.
 * Prints transactions checked per second (check time only, not generation),
 * by wall time and by CPU time (user + system of the process, which a machine
 * shared with other work disturbs less), the collections during the check
 * (count and ms), the history's own heap and RSS once its generation's
 * garbage is collected, the process's peak RSS (history included) and the
 * checker's peak above the history's RSS. An invocation's read micro-op
 * (`["r", k, null]`) is one shared tuple per key; every completion, read list
 * and op is its own object, as the checker must treat each op as independent
 * input.
 * Targets: ≥ 200,000 txn/s single-threaded; < 1 GB peak at 1,000,000.
 *
 * Then Elle's `huge-scc.edn` (test/fixtures/elle/), parsed by the EDN
 * importer and checked under strict-serializable: parse and check times.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { PerformanceObserver } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { listAppend, type TxnHistory, TxnHistoryBuilder } from "../src/checker/txn/index.js";
import { importHistoryFile } from "../src/history/import/index.js";
import type { Op } from "../src/history/op.js";
import { Random } from "../src/random/random.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const flag = (name: string, fallback: string): string => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1]! : fallback;
};
const seed = Number(flag("--seed", "1"));
const form = flag("--form", "columns");
if (form !== "columns" && form !== "ops") throw new Error(`--form must be columns or ops, not ${form}`);
const CONCURRENCY = 10;
const ACTIVE_KEYS = 100;
const APPENDS_PER_KEY_MAX = 32;

/** A strict-serializable list-append history of `count` transactions. */
export function generateHistory(count: number, random: Random): Op[] {
  const ops: Op[] = [];
  const lists = new Map<number, number[]>();
  const appendsTo = new Map<number, number>();
  const active = Array.from({ length: ACTIVE_KEYS }, (_, i) => i);
  let nextKey = ACTIVE_KEYS;
  const open: ({ micro: unknown[][] } | undefined)[] = new Array(CONCURRENCY);
  const readInvocations: unknown[][] = [];
  const readInvocation = (key: number): unknown[] => {
    readInvocations[key] ??= ["r", key, null];
    return readInvocations[key];
  };
  let started = 0;
  let completed = 0;
  // One microsecond per event: times only need to be increasing.
  const push = (process: number, type: "invoke" | "ok", value: unknown) =>
    ops.push({ index: ops.length, time: (ops.length + 1) * 1000, type, process, f: "txn", value });
  while (completed < count) {
    const worker = random.int(0, CONCURRENCY - 1);
    const txn = open[worker];
    if (txn === undefined) {
      if (started >= count) continue;
      const length = random.int(1, 5);
      const micro: unknown[][] = [];
      for (let i = 0; i < length; i++) {
        const slot = random.int(0, ACTIVE_KEYS - 1);
        const key = active[slot]!;
        // An invocation's read is the same immutable tuple for every read of a key (interned,
        // as a reader of a real history may intern equal values); completions get their own.
        if (random.int(0, 1) === 0) micro.push(readInvocation(key));
        else {
          const appended = (appendsTo.get(key) ?? 0) + 1;
          appendsTo.set(key, appended);
          micro.push(["append", key, appended]);
          // Retire a key after its last append: the window moves, lists stay short.
          if (appended >= APPENDS_PER_KEY_MAX) active[slot] = nextKey++;
        }
      }
      open[worker] = { micro };
      started++;
      push(worker, "invoke", micro);
      continue;
    }
    // Takes effect now, atomically: reads see every earlier completion, appends land in order.
    const done = txn.micro.map((op) => {
      const [f, key, value] = op as [string, number, unknown];
      let list = lists.get(key);
      if (list === undefined) {
        list = [];
        lists.set(key, list);
      }
      if (f === "append") {
        list.push(value as number);
        return op; // the same tuple as the invocation's: appends do not change on completion
      }
      return ["r", key, list.slice()];
    });
    open[worker] = undefined;
    completed++;
    push(worker, "ok", done);
  }
  return ops;
}

/**
 * The same history as `generateHistory` (same draws, same transactions),
 * built in columns as it is generated: no op objects at all. An open
 * transaction keeps its reads' handles until it completes and fills them in.
 */
export function generateColumns(count: number, random: Random): TxnHistory {
  const builder = new TxnHistoryBuilder("list-append", { transactions: count });
  const lists = new Map<number, number[]>();
  const appendsTo = new Map<number, number>();
  const active = Array.from({ length: ACTIVE_KEYS }, (_, i) => i);
  let nextKey = ACTIVE_KEYS;
  /** Per worker: its open transaction's row and, per micro-op, the key and the read handle (-1: an append). */
  const open: ({ row: number; keys: number[]; reads: number[]; appended: number[] } | undefined)[] =
    new Array(CONCURRENCY);
  let started = 0;
  let completed = 0;
  let position = 0;
  while (completed < count) {
    const worker = random.int(0, CONCURRENCY - 1);
    const txn = open[worker];
    if (txn === undefined) {
      if (started >= count) continue;
      const length = random.int(1, 5);
      const row = builder.invoke(worker, { position, time: (position + 1) * 1000 });
      position++;
      const pending = { row, keys: [] as number[], reads: [] as number[], appended: [] as number[] };
      for (let i = 0; i < length; i++) {
        const slot = random.int(0, ACTIVE_KEYS - 1);
        const key = active[slot]!;
        pending.keys.push(key);
        if (random.int(0, 1) === 0) {
          pending.reads.push(builder.read(key));
          pending.appended.push(0);
        } else {
          const appended = (appendsTo.get(key) ?? 0) + 1;
          appendsTo.set(key, appended);
          builder.write(key, appended);
          pending.reads.push(-1);
          pending.appended.push(appended);
          if (appended >= APPENDS_PER_KEY_MAX) active[slot] = nextKey++;
        }
      }
      open[worker] = pending;
      started++;
      continue;
    }
    // Takes effect now, atomically: reads see every earlier completion, appends land in order.
    for (let i = 0; i < txn.keys.length; i++) {
      const key = txn.keys[i]!;
      let list = lists.get(key);
      if (list === undefined) {
        list = [];
        lists.set(key, list);
      }
      if (txn.reads[i] === -1) list.push(txn.appended[i]!);
      else builder.observe(txn.reads[i]!, list);
    }
    builder.complete(txn.row, "ok", { position, time: (position + 1) * 1000 });
    position++;
    open[worker] = undefined;
    completed++;
  }
  return builder.build();
}

/** A full collection when the process runs with --expose-gc (the bench's children do). */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function measure(count: number): Promise<void> {
  const random = new Random(seed).fork(`bench-txn-${count}`);
  const history = form === "ops" ? generateHistory(count, random) : generateColumns(count, random);
  const opCount = form === "ops" ? (history as Op[]).length : (history as TxnHistory).eventCount;
  // The history's own footprint, garbage of its generation collected: the baseline the checker adds to.
  collectGarbage();
  const historyRss = process.memoryUsage().rss;
  const historyHeap = process.memoryUsage().heapUsed;
  let gcCount = 0;
  let gcMs = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gcCount++;
      gcMs += entry.duration;
    }
  });
  observer.observe({ entryTypes: ["gc"] });
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const result = listAppend().check(history);
  const checkMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuStarted);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const peakBytes = process.resourceUsage().maxRSS * 1024;
  // GC entries are delivered after the (synchronous) check returns: let them arrive.
  await new Promise((resolve) => setTimeout(resolve, 100));
  observer.disconnect();
  if (result.valid !== true)
    throw new Error(`generated history not valid: ${JSON.stringify(result).slice(0, 500)}`);
  process.stdout.write(
    `${JSON.stringify({
      transactions: count,
      ops: opCount,
      checkMs: Math.round(checkMs),
      txnPerSecond: Math.round(count / (checkMs / 1000)),
      cpuMs: Math.round(cpuMs),
      txnPerCpuSecond: Math.round(count / (cpuMs / 1000)),
      edges: result.stats.edges,
      gcCount,
      gcMs: Math.round(gcMs),
      historyHeapMiB: Math.round(historyHeap / 2 ** 20),
      historyRssMiB: Math.round(historyRss / 2 ** 20),
      peakRssMiB: Math.round(peakBytes / 2 ** 20),
      checkerPeakAboveHistoryMiB: Math.round((peakBytes - historyRss) / 2 ** 20),
    })}\n`,
  );
}

async function hugeScc(): Promise<void> {
  const file = join(root, "test/fixtures/elle/huge-scc.edn");
  if (!existsSync(file)) {
    process.stdout.write("huge-scc.edn: not found, skipped\n");
    return;
  }
  const parseStarted = performance.now();
  const { ops } = await importHistoryFile(file, { format: "edn", independent: false });
  const parseMs = performance.now() - parseStarted;
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const result = listAppend().check(ops);
  const checkMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuStarted);
  process.stdout.write(
    `| huge-scc.edn | ${ops.length / 2} txns | parse ${Math.round(parseMs)} ms | check ${Math.round(checkMs)} ms (CPU ${Math.round((cpu.user + cpu.system) / 1000)} ms) | ${result.valid} ${result.anomalyTypes.join(", ")} | largest SCC ${result.stats.largestComponent} |\n`,
  );
}

const runDirectly = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (!runDirectly) {
  // Imported (for generateHistory): run nothing.
} else if (process.argv.includes("--child")) {
  await measure(Number(flag("--child", "0")));
} else {
  const sizes = flag("--sizes", "100000,1000000").split(",").map(Number);
  process.stdout.write(
    `list-append checker, strict-serializable, ${CONCURRENCY} processes, ${ACTIVE_KEYS} keys (moving window), 1-5 micro-ops, seed ${seed}, history as ${form === "ops" ? "op objects" : "columns"}\n`,
  );
  process.stdout.write(
    "| transactions | check ms (wall) | txn/s (wall) | CPU ms | txn per CPU s | edges | GCs (ms) | history heap | history RSS | peak RSS | checker peak above history |\n|---|---|---|---|---|---|---|---|---|---|---|\n",
  );
  for (const size of sizes) {
    const child = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "--expose-gc",
        fileURLToPath(import.meta.url),
        "--child",
        String(size),
        "--seed",
        String(seed),
        "--form",
        form,
      ],
      { cwd: root, encoding: "utf8" },
    );
    if (child.status !== 0) throw new Error(`size ${size} failed: ${child.stderr}`);
    const row = JSON.parse(child.stdout.trim()) as Record<string, number>;
    process.stdout.write(
      `| ${row.transactions} | ${row.checkMs} | ${row.txnPerSecond} | ${row.cpuMs} | ${row.txnPerCpuSecond} | ${row.edges} | ${row.gcCount} (${row.gcMs}) | ${row.historyHeapMiB} MiB | ${row.historyRssMiB} MiB | ${row.peakRssMiB} MiB | ${row.checkerPeakAboveHistoryMiB} MiB |\n`,
    );
  }
  await hugeScc();
}
