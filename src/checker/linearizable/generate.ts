/**
 * Synthetic register histories for tests and benchmarks: a real sequential
 * execution (every op takes effect at its own instant, in order) whose
 * invocations and completions are then spread around those instants, so the
 * history is linearizable by construction. Faults can then be injected: a read
 * of a value never written, or a stale read.
 *
 * Written values are unique (1, 2, 3, ...), as in Jepsen's register workloads.
 */
import type { Op } from "../../history/op.js";
import type { Random } from "../../random/random.js";

export interface GenerateRegisterOptions {
  random: Random;
  /** Client operations (each becomes an invoke and a completion). */
  ops: number;
  /** Keys; with more than one, ops carry `key` (the kv model). Default 1. */
  keys?: number;
  /** Processes with an op in flight at once. Default 5. */
  concurrency?: number;
  /** Share of reads; the rest are writes (and cas when `casShare` > 0). Default 0.5. */
  readShare?: number;
  /** Share of cas ops. Default 0. */
  casShare?: number;
  /** Share of writes whose outcome is unknown (`info`); they took effect. Default 0. */
  infoShare?: number;
  /** How far (in linearization steps) an op's call and return may stretch around its instant. Default 3. */
  spread?: number;
}

interface Planned {
  process: number;
  callAt: number;
  returnAt: number;
  f: string;
  key: number;
  value: unknown;
  output: unknown;
  type: "ok" | "fail" | "info";
}

/** A linearizable history of register ops, with `Op` times in ns (1 step = 1 µs). */
export function generateRegisterHistory(options: GenerateRegisterOptions): Op[] {
  const { random } = options;
  const keys = options.keys ?? 1;
  const concurrency = options.concurrency ?? 5;
  const readShare = options.readShare ?? 0.5;
  const casShare = options.casShare ?? 0;
  const infoShare = options.infoShare ?? 0;
  const spread = options.spread ?? 3;
  const values = new Array<number | null>(keys).fill(null);
  const freeAt = new Float64Array(concurrency);
  const processOf = Array.from({ length: concurrency }, (_, i) => i);
  let nextProcess = concurrency;
  let nextValue = 1;
  let point = 0;
  const planned: Planned[] = [];
  for (let k = 0; k < options.ops; k++) {
    // The worker free soonest runs this op; its instant must follow its previous return.
    let worker = 0;
    for (let w = 1; w < concurrency; w++) if (freeAt[w]! < freeAt[worker]!) worker = w;
    point = Math.max(point + 1, freeAt[worker]! + 0.5);
    const callAt = Math.max(freeAt[worker]! + 0.25 * random.float(), point - random.float() * spread);
    const returnAt = point + random.float() * spread;
    const key = keys === 1 ? 0 : random.int(0, keys - 1);
    const roll = random.float();
    let op: Planned;
    const base = { process: processOf[worker]!, callAt, returnAt, key };
    if (roll < readShare) {
      op = { ...base, f: "read", value: null, output: values[key], type: "ok" };
    } else if (roll < readShare + casShare) {
      const current = values[key] ?? null;
      const expected = random.chance(0.7) ? current : random.int(1, Math.max(1, nextValue - 1));
      const swapped = expected === current && current !== null;
      const fresh = nextValue++;
      if (swapped) values[key] = fresh;
      op = {
        ...base,
        f: "cas",
        value: [expected, fresh],
        output: [expected, fresh],
        type: swapped ? "ok" : "fail",
      };
    } else {
      const fresh = nextValue++;
      values[key] = fresh;
      const unknown = random.chance(infoShare);
      op = { ...base, f: "write", value: fresh, output: fresh, type: unknown ? "info" : "ok" };
    }
    planned.push(op);
    freeAt[worker] = returnAt;
    // Jepsen's rule: after an info op the worker continues as a fresh process.
    if (op.type === "info") processOf[worker] = nextProcess++;
  }
  return toHistory(planned, keys > 1);
}

function toHistory(planned: readonly Planned[], keyed: boolean): Op[] {
  const events: { at: number; op: Omit<Op, "index"> }[] = [];
  for (const p of planned) {
    const key = keyed ? { key: p.key } : {};
    events.push({
      at: p.callAt,
      op: { time: 0, type: "invoke", process: p.process, f: p.f, ...key, value: p.value },
    });
    events.push({
      at: p.returnAt,
      op: { time: 0, type: p.type, process: p.process, f: p.f, ...key, value: p.output },
    });
  }
  events.sort((a, b) => a.at - b.at);
  return events.map((event, index) => ({ ...event.op, index, time: Math.round(event.at * 1000) }) as Op);
}

/** Where to inject a fault. */
export type InjectedFault = "impossible-read" | "stale-read";

/**
 * A copy of `history` with one read corrupted: to a value never written, or
 * to a value that a later write had certainly overwritten before the read
 * began. Returns undefined when no read fits (tiny histories).
 */
export function injectFault(
  history: readonly Op[],
  fault: InjectedFault,
  random: Random,
): { history: Op[]; readIndex: number } | undefined {
  const ops = history.map((op) => ({ ...op }));
  const invokeAt = new Map<Op["process"], number>();
  const pairs: { invoke: number; completion: number }[] = [];
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    if (op.type === "invoke") invokeAt.set(op.process, i);
    else pairs.push({ invoke: invokeAt.get(op.process)!, completion: i });
  }
  const reads = pairs.filter((p) => ops[p.completion]!.f === "read" && ops[p.completion]!.type === "ok");
  const order = random.shuffle(reads);
  for (const read of order) {
    const r = ops[read.completion]!;
    if (fault === "impossible-read") {
      r.value = -1 - random.int(0, 1000);
      return { history: ops, readIndex: ops[read.invoke]!.index };
    }
    // Writes on this key, finished before the read began, in completion order.
    const writes = pairs.filter(
      (p) =>
        ops[p.completion]!.f === "write" &&
        ops[p.completion]!.type === "ok" &&
        ops[p.completion]!.key === r.key &&
        p.completion < read.invoke,
    );
    for (let a = 0; a < writes.length; a++) {
      const older = writes[a]!;
      if (writes.some((later) => later.invoke > older.completion)) {
        r.value = ops[older.completion]!.value;
        return { history: ops, readIndex: ops[read.invoke]!.index };
      }
    }
  }
  return undefined;
}
