/**
 * One `crucible check` worth of work in a fresh process (JIT cold, heap
 * small), as `bench/linearizability.ts` measures it per history: read the
 * file (`readHistoryFile`), check it once against MODEL (`checkLinearizable`,
 * in this thread), note the process's peak resident memory, and then, as
 * this machine's reference at this moment, parse the same lines with V8's
 * native `JSON.parse` (decoded, one call per line, no checks). A native
 * parser needs no JIT warm-up, so the two parse rates side by side tell the
 * reader's speed apart from the machine's state (one file measured 100–175
 * MB/s here in different hours, the reader unchanged). The module loading
 * before the first read is not counted.
 * Prints one JSON line: ops, bytes, parse wall and CPU ms, check wall and CPU
 * ms and verdict (without MODEL: no check), peak RSS bytes, JSON.parse CPU ms.
 * Run: npx tsx bench/check-once.ts FILE [MODEL]
 */
import { readFileSync, statSync } from "node:fs";
import { checkLinearizable } from "../src/checker/linearizable/index.js";
import { models } from "../src/checker/models/index.js";
import { readHistoryFile } from "../src/history/reader.js";

const [path, modelName] = process.argv.slice(2);
if (!path) throw new Error("usage: check-once.ts FILE [MODEL]");
const model = modelName === undefined ? undefined : models[modelName];
if (modelName !== undefined && !model) throw new Error(`no model ${modelName}`);
const cpuMs = (since: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};
const bytes = statSync(path).size;
let started = performance.now();
let cpuStarted = process.cpuUsage();
const { ops } = await readHistoryFile(path);
const parse = { cpuMs: cpuMs(cpuStarted), wallMs: performance.now() - started };
let check: { cpuMs: number; wallMs: number; valid: unknown } | undefined;
if (model) {
  started = performance.now();
  cpuStarted = process.cpuUsage();
  const result = checkLinearizable(ops, model, { timeLimitMs: 120_000 });
  check = { cpuMs: cpuMs(cpuStarted), wallMs: performance.now() - started, valid: result.valid };
}
const peakRssBytes = process.resourceUsage().maxRSS * 1024;
const count = ops.length;
ops.length = 0; // the reference parse gets the heap back

cpuStarted = process.cpuUsage();
const parsed: unknown[] = [];
for (const line of readFileSync(path, "utf8").split("\n")) if (line !== "") parsed.push(JSON.parse(line));
const jsonParseCpuMs = cpuMs(cpuStarted);
console.log(JSON.stringify({ ops: count, bytes, parse, check, peakRssBytes, jsonParseCpuMs }));
