/**
 * One first read of a history in a fresh process: what `crucible check` pays
 * to parse (JIT cold, heap small). `bench/linearizability.ts` runs it per
 * history. Prints one JSON line: ops, bytes, wall and CPU ms of
 * `readHistoryFile` alone (the module loading before it is not counted).
 * Run: npx tsx bench/parse-once.ts FILE
 */
import { statSync } from "node:fs";
import { readHistoryFile } from "../src/history/reader.js";

const path = process.argv[2];
if (!path) throw new Error("usage: parse-once.ts FILE");
const bytes = statSync(path).size;
const started = performance.now();
const cpuStarted = process.cpuUsage();
const { ops } = await readHistoryFile(path);
const cpu = process.cpuUsage(cpuStarted);
const wallMs = performance.now() - started;
console.log(JSON.stringify({ ops: ops.length, bytes, wallMs, cpuMs: (cpu.user + cpu.system) / 1000 }));
