/**
 * Running a generator in memory against a fake clock (Jepsen's `simulate`,
 * `perfect` and `imperfect`): the way to unit-test generators. No sleeps, no
 * processes, no wall clock: a seed and a completion model decide everything,
 * so the same inputs always give the same history, in milliseconds.
 */
import type { CompletionType, Op } from "../history/op.js";
import { Random } from "../random/random.js";
import { STREAMS } from "../random/streams.js";
import { GeneratorDriver } from "./_internals/driver.js";
import type { GeneratorLike, WorkerId } from "./types.js";

/** What a simulated system answers to one invocation. */
export interface SimulatedCompletion {
  type: CompletionType;
  /** Defaults to the invocation's value. */
  value?: unknown;
  error?: string;
  /** How long the op takes, in simulated nanoseconds; >= 0. */
  latencyNs: number;
}

/** Decides how each op ends; draws only from the `random` it is given (seeded by `simulate`). */
export type CompletionModel = (invoke: Op, random: Random) => SimulatedCompletion;

/** Every op succeeds after 10 ns (Jepsen's `perfect`). */
export const perfectCompletion: CompletionModel = () => ({ type: "ok", latencyNs: 10 });

export interface ImperfectOptions {
  /** Relative weight of `ok`; default 2. */
  ok?: number;
  /** Relative weight of `fail`; default 1. */
  fail?: number;
  /** Relative weight of `info` (outcome unknown: the worker moves to a new process); default 1. */
  info?: number;
  /** Latency of every op; default 10 ns. */
  latencyNs?: number;
}

/**
 * A seeded mix of outcomes: by default half `ok`, a quarter `fail`, a quarter
 * `info` (an `info` moves the worker to process + concurrency, Jepsen's rule).
 */
export function imperfectCompletion(options: ImperfectOptions = {}): CompletionModel {
  const weights = [options.ok ?? 2, options.fail ?? 1, options.info ?? 1];
  const types: readonly CompletionType[] = ["ok", "fail", "info"];
  const latencyNs = options.latencyNs ?? 10;
  return (_invoke, random) => {
    const type = types[random.weightedIndex(weights)]!;
    return type === "ok" ? { type, latencyNs } : { type, latencyNs, error: `simulated ${type}` };
  };
}

export interface SimulateOptions {
  /** Seeds the generator's stream (`new Random(seed).fork("generator")`, as in the runner) and the completions. */
  seed: number;
  /** Client workers, >= 1. */
  concurrency: number;
  /** Whether there is a nemesis worker; default false. */
  nemesis?: boolean;
  /** How ops end; default `perfectCompletion`. */
  completion?: CompletionModel;
  /** Run after the main generator is exhausted and every op it started has completed. */
  finalGenerator?: GeneratorLike;
  /** Stop invoking once the history has this many ops (invocations and completions); default 10,000. */
  maxOps?: number;
  /** Stop invoking ops due at or after this simulated time; default 1 hour. */
  maxTimeNs?: number;
}

export interface Simulation {
  /** Invocations and completions, indexed, with simulated times (ns). */
  history: Op[];
  /** Messages of `log` pseudo-ops, with their simulated times. */
  logs: { time: number; message: string }[];
  /** Why it ended: the generators were exhausted, or a bound was hit (ops in flight were still completed). */
  stoppedBy: "exhausted" | "maxOps" | "maxTime";
  /** The simulated clock at the end, ns. */
  timeNs: number;
}

interface Flight {
  readonly time: number;
  readonly worker: WorkerId;
  /** Null for a sleep. */
  readonly invoke: Op | null;
  readonly completion: SimulatedCompletion | null;
}

/** Insert keeping `queue` sorted by time; equal times keep their arrival order. */
function enqueue(queue: Flight[], flight: Flight): void {
  let i = queue.length;
  while (i > 0 && queue[i - 1]!.time > flight.time) i--;
  queue.splice(i, 0, flight);
}

/**
 * Run `gen` to exhaustion (bounded) against a fake clock and made-up
 * completions, with the same `GeneratorDriver` rules as the real runner:
 * an op is invoked when it is due, unless an op in flight completes first,
 * in which case the generator is asked again. The clock jumps from event to
 * event. Throws if the generator is pending with nothing in flight (it would
 * wait forever: e.g. a barrier no completion can lift).
 *
 * @example simulate(limit(4, repeat({ f: "read", value: null })), { seed: 1, concurrency: 2 }).history
 */
export function simulate(gen: GeneratorLike, options: SimulateOptions): Simulation {
  const root = new Random(options.seed);
  const completionRandom = root.fork(STREAMS.simulatedCompletions.label);
  const complete = options.completion ?? perfectCompletion;
  const maxOps = options.maxOps ?? 10_000;
  const maxTimeNs = options.maxTimeNs ?? 3600e9;
  // Each step takes an op or ends one; logs and sleeps add steps without adding history, so bound steps too.
  const maxSteps = 4 * maxOps + 10_000;
  const driver = new GeneratorDriver({
    generator: gen,
    concurrency: options.concurrency,
    nemesis: options.nemesis ?? false,
    random: root.fork(STREAMS.generator.label),
  });
  const history: Op[] = [];
  const logs: { time: number; message: string }[] = [];
  const inFlight: Flight[] = [];
  let finalPending = options.finalGenerator !== undefined;
  let stoppedBy: Simulation["stoppedBy"] = "exhausted";
  let invoking = true;
  let now = 0;

  for (let steps = 0; ; steps++) {
    if (invoking && (history.length >= maxOps || steps >= maxSteps)) {
      invoking = false;
      stoppedBy = "maxOps";
    }
    const poll = invoking ? driver.poll(now) : null;
    const next = inFlight[0];
    if (poll !== null && poll.kind === "op" && (next === undefined || poll.op.time <= next.time)) {
      if (poll.op.time >= maxTimeNs) {
        invoking = false;
        stoppedBy = "maxTime";
        continue;
      }
      now = Math.max(now, poll.op.time);
      const { op: genOp, worker } = driver.take();
      if (genOp.type === "log") {
        logs.push({ time: now, message: String(genOp.value) });
        continue;
      }
      if (genOp.type === "sleep") {
        enqueue(inFlight, { time: now + Number(genOp.value), worker, invoke: null, completion: null });
        continue;
      }
      const invoke: Op = {
        index: history.length,
        time: now,
        type: "invoke",
        process: genOp.process,
        f: genOp.f,
        value: genOp.value,
      };
      for (const field in genOp) if (!(field in invoke)) invoke[field] = genOp[field];
      history.push(invoke);
      driver.invoked(invoke);
      const completion = complete(invoke, completionRandom);
      if (!(Number.isFinite(completion.latencyNs) && completion.latencyNs >= 0)) {
        throw new RangeError(`completion model returned a bad latencyNs: ${completion.latencyNs}`);
      }
      enqueue(inFlight, { time: now + completion.latencyNs, worker, invoke, completion });
      continue;
    }
    if (next !== undefined) {
      inFlight.shift();
      now = Math.max(now, next.time);
      if (next.invoke === null || next.completion === null) {
        driver.woke(next.worker);
        continue;
      }
      const { invoke, completion } = next;
      const op: Op = {
        ...invoke,
        index: history.length,
        time: now,
        type: completion.type,
        value: completion.value === undefined ? invoke.value : completion.value,
      };
      if (completion.error !== undefined) op.error = completion.error;
      history.push(op);
      driver.completed(op);
      continue;
    }
    // Nothing in flight from here on.
    if (poll === null || poll.kind === "done") {
      if (invoking && finalPending) {
        finalPending = false;
        driver.replace(options.finalGenerator);
        continue;
      }
      break;
    }
    throw new Error(
      `the generator is pending at ${now} ns with nothing in flight, so it would wait forever (seed ${options.seed})`,
    );
  }
  return { history, logs, stoppedBy, timeNs: now };
}

/** Options of `perfect` and `imperfect`; Jepsen's defaults: seed 0, 2 client workers and a nemesis. */
export interface QuickSimulateOptions {
  seed?: number;
  concurrency?: number;
  nemesis?: boolean;
  maxOps?: number;
}

/** The history of `gen` when every op succeeds after 10 ns (Jepsen's `perfect`). */
export function perfect(gen: GeneratorLike, options: QuickSimulateOptions = {}): Op[] {
  return simulate(gen, {
    seed: options.seed ?? 0,
    concurrency: options.concurrency ?? 2,
    nemesis: options.nemesis ?? true,
    completion: perfectCompletion,
    ...(options.maxOps !== undefined && { maxOps: options.maxOps }),
  }).history;
}

/** The history of `gen` when ops end ok, fail or info at random (seeded), 10 ns each (Jepsen's `imperfect`). */
export function imperfect(gen: GeneratorLike, options: QuickSimulateOptions = {}): Op[] {
  return simulate(gen, {
    seed: options.seed ?? 0,
    concurrency: options.concurrency ?? 2,
    nemesis: options.nemesis ?? true,
    completion: imperfectCompletion(),
    ...(options.maxOps !== undefined && { maxOps: options.maxOps }),
  }).history;
}
