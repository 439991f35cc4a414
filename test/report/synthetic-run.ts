/**
 * A realistic synthetic run for report tests and bench/report: workers doing
 * register reads/writes/cas on a few keys, a nemesis killing, pausing and
 * partitioning with latency spikes and timeouts (info ops, fresh process
 * numbers) during faults, an XSS value, and an invalid linearizability result
 * whose counterexample points at real op indices. Seeded: same seed, same run.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { summarize } from "../../src/history/analysis.js";
import { type Op, opToJson } from "../../src/history/op.js";
import type { Results, TestInfo } from "../../src/history/results.js";
import { Random } from "../../src/random/random.js";

export const XSS_VALUE = "<img src=x onerror=alert(1)>";

export interface SyntheticRun {
  test: TestInfo;
  results: Results;
  history: Op[];
  /** Op.index of the stuck op of the counterexample (its completion). */
  stuckIndex: number;
  /** Op.index of the invocation that carries the XSS value. */
  xssIndex: number;
}

export interface SyntheticRunOptions {
  seed: number;
  /** Client operations (pairs) to generate, about. */
  ops: number;
  concurrency: number;
  durationS: number;
  name?: string;
}

interface Draft {
  time: number;
  type: Op["type"];
  process: number | "nemesis";
  f: string;
  key?: number;
  value: unknown;
  error?: string;
}

const NS_PER_S = 1e9;

export function syntheticRun(options: SyntheticRunOptions): SyntheticRun {
  const random = new Random(options.seed, "synthetic-run");
  const durationNs = options.durationS * NS_PER_S;
  const drafts: Draft[] = [];
  // Faults: kill → start, pause → resume, start-partition → stop-partition, one after another with gaps.
  const faults: { start: number; end: number; f: string; heal: string }[] = [];
  const kinds = [
    ["kill", "start"],
    ["pause", "resume"],
    ["start-partition", "stop-partition"],
  ] as const;
  let t = durationNs * 0.08;
  for (let i = 0; t < durationNs * 0.85 && i < 100; i++) {
    const [f, heal] = kinds[i % kinds.length]!;
    const length = durationNs * (0.05 + random.float() * 0.06);
    faults.push({ start: t, end: t + length, f, heal });
    t += length + durationNs * (0.06 + random.float() * 0.06);
  }
  for (const fault of faults) {
    const nodes = [random.pick(["n1", "n2", "n3"])];
    drafts.push({ time: fault.start, type: "invoke", process: "nemesis", f: fault.f, value: nodes });
    drafts.push({ time: fault.start + 2e6, type: "info", process: "nemesis", f: fault.f, value: nodes });
    drafts.push({ time: fault.end, type: "invoke", process: "nemesis", f: fault.heal, value: null });
    drafts.push({ time: fault.end + 3e6, type: "info", process: "nemesis", f: fault.heal, value: null });
  }
  const inFault = (time: number) => faults.some((fault) => time >= fault.start && time <= fault.end);
  const perWorker = Math.ceil(options.ops / options.concurrency);
  const meanGapNs = durationNs / perWorker;
  let xssPlaced = false;
  for (let worker = 0; worker < options.concurrency; worker++) {
    let process = worker;
    let now = random.float() * meanGapNs;
    for (let i = 0; i < perWorker && now < durationNs; i++) {
      const f = random.pick(["read", "read", "write", "cas"]);
      const key = random.int(0, 4);
      let value: unknown =
        f === "read" ? null : f === "write" ? random.int(0, 9) : [random.int(0, 9), random.int(0, 9)];
      if (!xssPlaced && f === "write" && now > durationNs * 0.3) {
        value = XSS_VALUE;
        xssPlaced = true;
      }
      const faulty = inFault(now);
      const latencyNs =
        (faulty ? 5e6 + random.float() * 60e6 : 0.3e6 + random.float() * random.float() * 8e6) * 1;
      const roll = random.float();
      const type: Op["type"] = faulty && roll < 0.15 ? "info" : roll < (faulty ? 0.3 : 0.04) ? "fail" : "ok";
      drafts.push({ time: now, type: "invoke", process, f, key, value });
      const completionValue = f === "read" && type === "ok" ? random.int(0, 9) : value;
      drafts.push({
        time: now + (type === "info" ? 100e6 : latencyNs),
        type,
        process,
        f,
        key,
        value: completionValue,
        ...(type === "info" && { error: "timeout after 100 ms" }),
        ...(type === "fail" && { error: f === "cas" ? "precondition failed" : "connection refused" }),
      });
      now += (type === "info" ? 100e6 : latencyNs) + meanGapNs * (0.3 + 0.6 * random.float());
      if (type === "info") process += options.concurrency;
    }
  }
  drafts.sort((a, b) => a.time - b.time);
  const history: Op[] = drafts.map((draft, index) => ({ index, ...draft, time: Math.round(draft.time) }));
  const xssIndex = history.find((op) => op.value === XSS_VALUE && op.type === "invoke")?.index ?? -1;
  // Counterexample: an ok read in the middle of a fault on key 3, with the ops on key 3 before it.
  const middle = faults[Math.min(1, faults.length - 1)];
  const stuck =
    history.find(
      (op) =>
        op.type === "ok" && op.f === "read" && op.key === 3 && op.time >= (middle?.start ?? durationNs / 2),
    ) ?? history.find((op) => op.type === "ok")!;
  const prefix = history
    .filter((op) => op.type === "ok" && op.key === 3 && op.index < stuck.index)
    .map((op) => op.index)
    .slice(-40);
  const test: TestInfo = {
    name: options.name ?? "register-synthetic",
    seed: options.seed,
    startedAt: "2025-01-02T03:04:05.000Z",
    reproduce: `crucible run --target demo --workload register --nemesis kill,pause,partition --seed ${options.seed}`,
    argv: ["run", "--seed", String(options.seed)],
    timeLimitMs: options.durationS * 1000,
    concurrency: options.concurrency,
    nodes: 3,
    cluster: { name: "demo", variant: "fsync-off" },
    nemesis: ["kill", "pause", "partition"],
    versions: { crucible: "0.1.0", node: "v20.20.0" },
  };
  const stuckTime = (stuck.time / NS_PER_S).toFixed(3);
  const results: Results = {
    valid: false,
    checkers: {
      linearizable: {
        valid: false,
        explanation: `key 3: read ${JSON.stringify(stuck.value)} at ${stuckTime} s, but no write of it could have been the last one before that read began`,
        counterexample: { key: 3, linearizedPrefix: prefix, stuck: [stuck.index] },
      },
      stats: { valid: true },
      perf: { valid: "unknown", explanation: "latency budget not set" },
    },
    complete: true,
    stats: summarize(history),
    notes: ["partition via userspace proxy: etcd peers share one address, so one-way cuts are whole-node"],
  };
  return { test, results, history, stuckIndex: stuck.index, xssIndex };
}

/** Write a run folder the way the runner does: test.json, history.jsonl, results.json, nodes/*.log. */
export async function writeRunDir(dir: string, run: SyntheticRun): Promise<void> {
  await mkdir(join(dir, "nodes"), { recursive: true });
  await writeFile(join(dir, "test.json"), JSON.stringify(run.test, null, 2));
  await writeFile(join(dir, "results.json"), JSON.stringify(run.results, null, 2));
  await writeFile(join(dir, "history.jsonl"), `${run.history.map(opToJson).join("\n")}\n`);
  for (const node of ["n1", "n2", "n3"]) {
    await writeFile(
      join(dir, "nodes", `${node}.log`),
      `${node} started\n${node}: <script>alert(1)</script>\n`,
    );
  }
}
