/**
 * How fast Jepsen histories are read, in each form `crucible check` takes.
 *
 *   npx tsx bench/history-import.ts [--txns 100000]
 *
 * Writes one list-append history of `--txns` transactions (1–5 micro-ops over
 * a moving window of 100 keys, each retired after 32 appends as Elle's
 * generator does, so reads stay short; values unique, 10 processes, invocations and
 * completions interleaved, as a real run's would be) in three forms — Jepsen
 * EDN one map per line, Jepsen's JSON export (one array), Crucible's own
 * `history.jsonl` — then imports each with `importHistoryFile` (auto
 * detection included) and prints the wall time, the CPU time (user + system,
 * less sensitive to a busy machine), ops per second (by wall time), the file's
 * size and the process's peak RSS after each (the RSS includes the bench's
 * own copy of the history and texts, so it bounds the import's from above). Each form is imported 3 times; the median
 * is printed. The history is deterministic (seeded), so runs compare.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { importHistoryFile } from "../src/history/import/index.js";
import { Random } from "../src/random/random.js";

const txnsAt = process.argv.indexOf("--txns");
const txnCount = txnsAt >= 0 ? Number(process.argv[txnsAt + 1]) : 100_000;
if (!(Number.isSafeInteger(txnCount) && txnCount > 0)) throw new Error("--txns must be a positive integer");

const KEYS = 100;
const APPENDS_PER_KEY_MAX = 32;
const PROCESSES = 10;

interface Row {
  index: number;
  time: number;
  type: "invoke" | "ok";
  process: number;
  value: [string, number, number | number[] | null][];
}

/** A list-append history where every process has one transaction in flight at a time. */
function history(): Row[] {
  const random = new Random(2026);
  const lists = new Map<number, number[]>();
  const window = Array.from({ length: KEYS }, (_, i) => i);
  const appends = new Map<number, number>();
  let nextKey = KEYS;
  const rows: Row[] = [];
  const open: (Row | undefined)[] = Array.from({ length: PROCESSES });
  let time = 0;
  let started = 0;
  while (started < txnCount || open.some((row) => row !== undefined)) {
    const process = random.int(0, PROCESSES - 1);
    time += random.int(1_000, 50_000);
    const pending = open[process];
    if (pending) {
      // Complete it: apply appends, fill reads.
      const value = pending.value.map(([f, k, v]): [string, number, number | number[] | null] => {
        const list = lists.get(k) ?? [];
        lists.set(k, list);
        if (f === "append") {
          list.push(v as number);
          return [f, k, v];
        }
        return [f, k, [...list]];
      });
      rows.push({ index: rows.length, time, type: "ok", process, value });
      open[process] = undefined;
    } else if (started < txnCount) {
      const length = random.int(1, 5);
      const value: Row["value"] = [];
      for (let i = 0; i < length; i++) {
        const slot = random.int(0, KEYS - 1);
        const k = window[slot]!;
        if (random.float() < 0.5) {
          value.push(["r", k, null]);
          continue;
        }
        value.push(["append", k, started * 5 + i]);
        const count = (appends.get(k) ?? 0) + 1;
        appends.set(k, count);
        if (count >= APPENDS_PER_KEY_MAX) window[slot] = nextKey++;
      }
      const row: Row = { index: rows.length, time, type: "invoke", process, value };
      rows.push(row);
      open[process] = row;
      started++;
    }
  }
  return rows;
}

const edn = (row: Row): string =>
  `{:index ${row.index}, :time ${row.time}, :type :${row.type}, :process ${row.process}, :f :txn, :value [${row.value
    .map(([f, k, v]) => `[:${f} ${k} ${v === null ? "nil" : Array.isArray(v) ? `[${v.join(" ")}]` : v}]`)
    .join(" ")}]}`;
const json = (row: Row) => ({ ...row, f: "txn" });

const dir = mkdtempSync(join(tmpdir(), "crucible-bench-import-"));
try {
  const rows = history();
  const files = {
    "EDN, one map per line": join(dir, "h.edn"),
    "Jepsen JSON array": join(dir, "h.json"),
    "Crucible history.jsonl": join(dir, "history.jsonl"),
  };
  writeFileSync(files["EDN, one map per line"], `${rows.map(edn).join("\n")}\n`);
  writeFileSync(
    files["Jepsen JSON array"],
    `[\n${rows.map((row) => JSON.stringify(json(row))).join(",\n")}\n]\n`,
  );
  writeFileSync(
    files["Crucible history.jsonl"],
    `${rows.map((row) => JSON.stringify(json(row))).join("\n")}\n`,
  );
  console.log(`${txnCount} transactions, ${rows.length} ops`);
  for (const [name, path] of Object.entries(files)) {
    const times: number[] = [];
    const cpuTimes: number[] = [];
    let format = "";
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const cpuStarted = process.cpuUsage();
      const imported = await importHistoryFile(path);
      times.push(performance.now() - started);
      const cpu = process.cpuUsage(cpuStarted);
      cpuTimes.push((cpu.user + cpu.system) / 1000);
      format = imported.format;
      if (imported.ops.length !== rows.length) throw new Error(`${name}: read ${imported.ops.length} ops`);
    }
    const median = times.sort((a, b) => a - b)[1]!;
    const cpuMedian = cpuTimes.sort((a, b) => a - b)[1]!;
    const rssMb = (process.resourceUsage().maxRSS / 1024).toFixed(0);
    const sizeMb = (statSync(path).size / 1e6).toFixed(1);
    console.log(
      `${name.padEnd(24)} (${format.padEnd(11)}) ${median.toFixed(0).padStart(6)} ms (CPU ${cpuMedian.toFixed(0).padStart(6)} ms)  ${Math.round(
        rows.length / (median / 1000),
      )
        .toLocaleString("en-US")
        .padStart(10)} ops/s  ${sizeMb} MB file  peak RSS ${rssMb} MB`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
