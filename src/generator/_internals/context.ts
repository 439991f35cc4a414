/**
 * Building generator contexts: which workers exist, which are free, which
 * process each one runs as. The real runner and `simulate` share these
 * helpers, so a generator sees exactly the same kind of context in a unit
 * test as in a run.
 *
 * Worker ids are `0..concurrency-1` for client workers and `"nemesis"` for
 * the fault injector. A client worker starts as the process with its own
 * number; after an op of it ends `info`, it continues as
 * `nextProcess(process, concurrency)` (Jepsen's rule), so that process
 * numbers stay unique and `process % concurrency` is always the worker.
 */
import { invariant } from "../../errors/index.js";
import type { ProcessId } from "../../history/op.js";
import type { Random } from "../../random/random.js";
import type { GenContext, WorkerId } from "../types.js";

/**
 * The process a client worker becomes after one of its ops ended `info`:
 * `process + concurrency` (Jepsen's rule). The nemesis stays `"nemesis"`.
 * Why a new number: the old process may still be executing its op inside the
 * system, and a process must never have two ops in flight.
 */
export function nextProcess(process: ProcessId, concurrency: number): ProcessId {
  return process === "nemesis" ? "nemesis" : process + concurrency;
}

export interface WorkerTableOptions {
  /** Number of client workers, >= 1. */
  concurrency: number;
  /** Whether the test has a nemesis worker (it comes last in `workers`). */
  nemesis: boolean;
}

/**
 * The mutable bookkeeping behind contexts: busy/free per worker and the
 * current process of each. `freeWorkers()` returns an immutable snapshot that
 * is rebuilt only after a change, so building a context is O(1) amortized.
 */
export class WorkerTable {
  readonly concurrency: number;
  readonly hasNemesis: boolean;
  /** Client workers in order, then "nemesis" when present. */
  readonly workers: readonly WorkerId[];
  private readonly processes: ProcessId[];
  private readonly busyFlags: boolean[];
  private busyCount = 0;
  private freeSnapshot: readonly WorkerId[] | null = null;

  constructor(options: WorkerTableOptions) {
    const { concurrency, nemesis } = options;
    if (!(Number.isInteger(concurrency) && concurrency >= 1)) {
      throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
    }
    this.concurrency = concurrency;
    this.hasNemesis = nemesis;
    const workers: WorkerId[] = [];
    for (let worker = 0; worker < concurrency; worker++) workers.push(worker);
    if (nemesis) workers.push("nemesis");
    this.workers = workers;
    this.processes = workers.map((worker) => worker);
    this.busyFlags = workers.map(() => false);
  }

  /** The process a worker runs as now. Throws for an unknown worker (a programmer error). */
  readonly processOf = (worker: WorkerId): ProcessId => {
    const process = this.processes[this.slot(worker)];
    if (process === undefined) throw new RangeError(`unknown worker ${String(worker)}`);
    return process;
  };

  /**
   * The worker that runs, or ran, a process: `process % concurrency` for
   * client processes. It also answers for a process that was replaced after
   * an `info`, because generators are updated with that op's completion
   * (Jepsen updates before renumbering; so do `GeneratorDriver` and
   * `simulate`). Undefined for anything that never was a process here.
   */
  readonly workerOf = (process: ProcessId): WorkerId | undefined => {
    if (process === "nemesis") return this.hasNemesis ? "nemesis" : undefined;
    if (!(Number.isInteger(process) && process >= 0)) return undefined;
    const worker = process % this.concurrency;
    const current = this.processes[worker] as number;
    return process <= current ? worker : undefined;
  };

  isFree(worker: WorkerId): boolean {
    return !this.busyFlags[this.slot(worker)];
  }

  /** Workers with nothing in flight, in `workers` order; a fresh array after each change, shared until the next. */
  freeWorkers(): readonly WorkerId[] {
    if (this.freeSnapshot === null) {
      const free: WorkerId[] = [];
      for (let i = 0; i < this.workers.length; i++) if (!this.busyFlags[i]) free.push(this.workers[i]!);
      this.freeSnapshot = free;
    }
    return this.freeSnapshot;
  }

  /** Number of workers with an op (or a sleep) in flight. */
  get busy(): number {
    return this.busyCount;
  }

  markBusy(worker: WorkerId): void {
    const i = this.slot(worker);
    invariant(!this.busyFlags[i], `worker ${String(worker)} is already busy`);
    this.busyFlags[i] = true;
    this.busyCount++;
    this.freeSnapshot = null;
  }

  markFree(worker: WorkerId): void {
    const i = this.slot(worker);
    invariant(this.busyFlags[i], `worker ${String(worker)} is not busy`);
    this.busyFlags[i] = false;
    this.busyCount--;
    this.freeSnapshot = null;
  }

  /** After an `info`: the worker continues as `nextProcess(...)`. Returns the new process. */
  renumber(worker: WorkerId): ProcessId {
    const i = this.slot(worker);
    const next = nextProcess(this.processes[i]!, this.concurrency);
    this.processes[i] = next;
    return next;
  }

  private slot(worker: WorkerId): number {
    if (worker === "nemesis") {
      if (!this.hasNemesis) throw new RangeError("this test has no nemesis worker");
      return this.concurrency;
    }
    if (!(Number.isInteger(worker) && worker >= 0 && worker < this.concurrency)) {
      throw new RangeError(`unknown worker ${worker}`);
    }
    return worker;
  }
}

export interface MakeContextOptions {
  /** Nanoseconds since the test started. */
  time: number;
  /** The generator's seeded stream (the runner uses `root.fork("generator")`). */
  random: Random;
}

/** The context a generator sees right now. Cheap: one small object, no copies. */
export function makeContext(table: WorkerTable, options: MakeContextOptions): GenContext {
  return {
    time: options.time,
    workers: table.workers,
    freeWorkers: table.freeWorkers(),
    processOf: table.processOf,
    workerOf: table.workerOf,
    random: options.random,
  };
}

/** The same context with another random stream (what routing combinators hand their child). */
export function withRandom(ctx: GenContext, random: Random): GenContext {
  return {
    time: ctx.time,
    workers: ctx.workers,
    freeWorkers: ctx.freeWorkers,
    processOf: ctx.processOf,
    workerOf: ctx.workerOf,
    random,
  };
}

/** The same context seen through a subset of workers (what `clients`, `nemesis`, `eachWorker` hand their child). */
export function restrictContext(
  ctx: GenContext,
  workers: readonly WorkerId[],
  freeWorkers: readonly WorkerId[],
  random: Random = ctx.random,
): GenContext {
  return {
    time: ctx.time,
    workers,
    freeWorkers,
    processOf: ctx.processOf,
    workerOf: ctx.workerOf,
    random,
  };
}
