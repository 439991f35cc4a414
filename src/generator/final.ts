/**
 * The final phase: after the main phase (workload + faults) is exhausted or
 * stopped, the runner runs the test's final generator: heal every fault, let
 * the system settle, then read what it ended up with, so checkers can judge
 * convergence and lost writes. These helpers make that phase one line.
 */
import type { Key } from "../history/op.js";
import { lift } from "./lift.js";
import { phases } from "./phases.js";
import { clients, eachWorker, nemesis } from "./route.js";
import { sleep } from "./time.js";
import type { Generator, GeneratorLike } from "./types.js";

export interface FinalReadsOptions {
  /** Read each of these keys (in this order); omit for one key-less read. */
  keys?: readonly Key[];
  /** The op name; default "read". */
  f?: string;
  /** The value of each read invocation; default null (a read has no value until it completes). */
  value?: unknown;
}

/**
 * One read per key on every client worker, each worker independently
 * (`clients(eachWorker(...))`): with 5 workers and keys `["a", "b"]`, 10
 * reads. Why every worker: each may be connected to a different node, and
 * the final reads should show what every node converged to.
 *
 * @example finalReads({ keys: ["a", "b", "c"] })
 */
export function finalReads(options: FinalReadsOptions = {}): Generator {
  const f = options.f ?? "read";
  const value = options.value ?? null;
  const reads = options.keys === undefined ? [{ f, value }] : options.keys.map((key) => ({ f, key, value }));
  return clients(eachWorker(reads));
}

export interface FinalPhaseOptions {
  /** Nemesis ops that heal every fault (e.g. `[{ f: "resume-all", value: null }, { f: "start-all", value: null }]`). */
  heal?: GeneratorLike;
  /** How long to let the system settle after healing, ms; default 0 (no pause). */
  quiesceMs?: number;
  /** Client ops once it has settled, e.g. `finalReads(...)`. */
  reads?: GeneratorLike;
}

/**
 * A final phase in Jepsen's shape: `phases(nemesis(heal), sleep(quiesceMs),
 * clients(reads))`. Each step starts once everything before it completed.
 *
 * @example finalPhase({ heal: { f: "start-all", value: null }, quiesceMs: 2_000, reads: finalReads({ keys }) })
 */
export function finalPhase(options: FinalPhaseOptions): Generator {
  const steps: GeneratorLike[] = [];
  if (lift(options.heal ?? null) !== null) steps.push(nemesis(options.heal));
  if ((options.quiesceMs ?? 0) > 0) steps.push(clients(sleep(options.quiesceMs ?? 0)));
  if (lift(options.reads ?? null) !== null) steps.push(clients(options.reads));
  return phases(...steps);
}
