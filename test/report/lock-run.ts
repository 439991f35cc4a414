/**
 * A small hand-made lock run folder for the hold-lane tests: a semaphore of 2
 * slots, 5 contenders (a1..a5), an interval log in raw CLOCK_MONOTONIC
 * nanoseconds (above 2^53, as on a host up for months) with the run's origin
 * in results.json, and results judged by the real bounded-concurrency checker.
 *
 * What happens, in seconds since the run started:
 * - a1 holds slot 0 from 1 to 9.5, but is paused from 5 to 7 (a loss event;
 *   window: heal + 3 s), so its overlap with a2 (slot 0 from 6 to 11) is excused;
 * - a3 holds slot 1 from 2 to 8, then a5 from 8 to 12.5;
 * - a4 takes slot 0 at 11 and is killed at 14 mid-hold: an open hold, which
 *   ends at the kill;
 * - a3 holds slot 1 again from 12 to 13 while a5 and a4 still hold: three
 *   holders where at most two may, with no loss event: a violation.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { checkBoundedConcurrency } from "../../src/checker/intervals/index.js";
import { summarize } from "../../src/history/analysis.js";
import { type Interval, parseIntervalLog } from "../../src/history/intervals.js";
import { type Op, opToJson } from "../../src/history/op.js";
import type { Results, TestInfo } from "../../src/history/results.js";

/** The run's time zero on CLOCK_MONOTONIC: about 9.4 days of uptime, above 2^53 ns. */
export const LOCK_RUN_ORIGIN_NS = 812_345_678_901_234_567n;
export const LOCK_LOSS_WINDOW_MS = 3000;

const S = 1e9;

interface Hold {
  holder: string;
  slot: number;
  token: number;
  startS: number;
  /** Undefined: no end record (killed mid-hold). */
  endS?: number;
}

export const LOCK_RUN_HOLDS: readonly Hold[] = [
  { holder: "a1", slot: 0, token: 10, startS: 1, endS: 9.5 },
  { holder: "a3", slot: 1, token: 11, startS: 2, endS: 8 },
  { holder: "a2", slot: 0, token: 12, startS: 6, endS: 11 },
  { holder: "a5", slot: 1, token: 13, startS: 8, endS: 12.5 },
  { holder: "a4", slot: 0, token: 14, startS: 11 },
  { holder: "a3", slot: 1, token: 15, startS: 12, endS: 13 },
];

/** The log as its holders would have appended it: a start record at each start, an end record at each end. */
export function lockRunIntervalLog(originNs = LOCK_RUN_ORIGIN_NS): string {
  const at = (s: number) => String(originNs + BigInt(Math.round(s * S)));
  const records: { time: number; line: string }[] = [];
  LOCK_RUN_HOLDS.forEach((hold, i) => {
    const base = { holder: hold.holder, pid: 4700 + i, start: at(hold.startS) };
    const fields = { slot: hold.slot, token: hold.token };
    records.push({ time: hold.startS, line: JSON.stringify({ ...base, ...fields }) });
    if (hold.endS !== undefined)
      records.push({ time: hold.endS, line: JSON.stringify({ ...base, end: at(hold.endS), ...fields }) });
  });
  records.sort((a, b) => a.time - b.time);
  return `${records.map((record) => record.line).join("\n")}\n`;
}

export function lockRunHistory(): Op[] {
  const drafts: { time: number; type: Op["type"]; process: number | "nemesis"; f: string; value: unknown }[] =
    [];
  const pair = (process: number | "nemesis", f: string, value: unknown, fromS: number, toS: number) => {
    drafts.push({ time: Math.round(fromS * S), type: "invoke", process, f, value });
    drafts.push({ time: Math.round(toS * S), type: "ok", process, f, value });
  };
  for (let t = 0.5; t < 16; t += 1) pair(0, "holders", null, t, t + 0.01);
  pair("nemesis", "actor-pause", { actors: ["a1"] }, 5, 5.01);
  pair("nemesis", "actor-resume", { actors: ["a1"] }, 7, 7.01);
  pair("nemesis", "actor-kill", { actors: ["a4"] }, 14, 14.01);
  drafts.sort((a, b) => a.time - b.time);
  return drafts.map((draft, index): Op => ({ index, ...draft }));
}

export interface LockRun {
  test: TestInfo;
  results: Results;
  history: Op[];
  intervals: Interval[];
  log: string;
}

export function lockRun(): LockRun {
  const history = lockRunHistory();
  const log = lockRunIntervalLog();
  const intervals = parseIntervalLog(log, "intervals.jsonl", { originNs: LOCK_RUN_ORIGIN_NS });
  const bounded = checkBoundedConcurrency(intervals, history, {
    limit: 2,
    lossWindowMs: LOCK_LOSS_WINDOW_MS,
  });
  const test: TestInfo = {
    name: "lock-lanes",
    seed: 7,
    startedAt: "2026-12-02T07:00:00.000Z",
    reproduce: "crucible run --workload lock --target etcd --max 2 --actors 5 --seed 7",
    argv: [],
    timeLimitMs: 16_000,
    concurrency: 1,
    nodes: 3,
    cluster: { name: "etcd" },
    nemesis: ["actor-pause", "actor-kill"],
    versions: { crucible: "0.1.0", node: process.version },
  };
  const results: Results = {
    valid: bounded.valid,
    checkers: { "bounded-concurrency": bounded },
    complete: true,
    stats: summarize(history),
    notes: [],
    intervalOriginNs: String(LOCK_RUN_ORIGIN_NS),
  };
  return { test, results, history, intervals, log };
}

/** Write the run folder: test.json, history.jsonl, results.json, intervals.jsonl. */
export async function writeLockRunDir(dir: string, run: LockRun): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "test.json"), JSON.stringify(run.test, null, 2));
  await writeFile(join(dir, "results.json"), JSON.stringify(run.results, null, 2));
  await writeFile(join(dir, "history.jsonl"), `${run.history.map(opToJson).join("\n")}\n`);
  await writeFile(join(dir, "intervals.jsonl"), run.log);
}
