/**
 * The core of Jepsen's interpreter without the I/O: who is free, which
 * process each worker is, when to ask the generator, what to tell it. The
 * real runner adds clocks, clients and the journal around it; `simulate`
 * adds a fake clock and made-up completions. Both follow the same rules:
 *
 * 1. `poll(now)` asks the generator for the next op. Asking is speculative:
 *    nothing changes until you `take()` the op. If the answer is an op due
 *    later than `now`, wait until it is due *or* until a completion arrives;
 *    after a completion, poll again (the generator may decide differently
 *    now). On `pending`, wait for a completion (or a short poll interval)
 *    and poll again. `done` with nothing in flight means the phase is over.
 * 2. `take()` commits the polled op: the generator moves on and the worker
 *    becomes busy (`sleep` ops too; `log` ops do not occupy a worker).
 * 3. Journal the invocation, then `invoked(op)` (with its index and time).
 * 4. When it completes, journal the completion, then `completed(op)`: the
 *    worker is free, the generator hears about it, and after `info` the
 *    worker continues as a new process (updated first, renumbered second,
 *    as in Jepsen, so the generator can still map the old process to its
 *    worker). A finished sleep is `woke(worker)`; generators hear nothing.
 */
import { invariant, UsageError } from "../../errors/index.js";
import type { Op } from "../../history/op.js";
import { describeValue, unwritableReason } from "../../history/writable.js";
import type { Random } from "../../random/random.js";
import { lift } from "../lift.js";
import { synchronize } from "../phases.js";
import type { GenContext, Generator, GeneratorLike, GenOp, WorkerId } from "../types.js";
import { makeContext, WorkerTable } from "./context.js";

export interface GeneratorDriverOptions {
  generator: GeneratorLike;
  /** Number of client workers, >= 1. */
  concurrency: number;
  /** Whether there is a nemesis worker. */
  nemesis: boolean;
  /** The generator's stream; the runner and `simulate` use `new Random(seed).fork("generator")`. */
  random: Random;
}

export type Poll =
  | { readonly kind: "op"; readonly op: GenOp; readonly worker: WorkerId }
  | { readonly kind: "pending" }
  | { readonly kind: "done" };

const PENDING: Poll = Object.freeze({ kind: "pending" });
const DONE: Poll = Object.freeze({ kind: "done" });

/** The op for a message; never throws (a BigInt or a cycle in it is what a message may be about). */
function describe(op: GenOp): string {
  return describeValue(op, "op");
}

export class GeneratorDriver {
  readonly table: WorkerTable;
  readonly random: Random;
  private gen: Generator | null;
  private candidate: { op: GenOp; worker: WorkerId; next: Generator | null } | null = null;

  constructor(options: GeneratorDriverOptions) {
    this.table = new WorkerTable({ concurrency: options.concurrency, nemesis: options.nemesis });
    this.random = options.random;
    this.gen = lift(options.generator);
  }

  /** The context the generator sees at `timeNs`. */
  context(timeNs: number): GenContext {
    return makeContext(this.table, { time: timeNs, random: this.random });
  }

  /** The generator as it stands (null when exhausted). */
  get generator(): Generator | null {
    return this.gen;
  }

  /** Workers with an op or a sleep in flight. */
  get busy(): number {
    return this.table.busy;
  }

  /** Ask what comes next at `timeNs`. Speculative: see the module comment. */
  poll(timeNs: number): Poll {
    this.candidate = null;
    if (this.gen === null) return DONE;
    const step = this.gen.op(this.context(timeNs));
    if (step === null) return DONE;
    if (step.op === "pending") return PENDING;
    const op = step.op;
    // An op is plain data journaled as JSON: one JSON cannot hold is the test's mistake, refused before
    // anything is sent or written (a function or Symbol would otherwise vanish from the history).
    const unwritable = unwritableReason(op, "op");
    if (unwritable !== undefined)
      throw new UsageError(
        `the generator gave an op JSON cannot hold (${unwritable}): ops must be plain JSON data, e.g. { f: "write", value: 1 }`,
      );
    const worker = this.table.workerOf(op.process);
    // The message is built only on failure: describing an op costs more than a poll.
    const problem =
      worker === undefined
        ? "no worker has it"
        : this.table.processOf(worker) !== op.process
          ? "its worker moved on"
          : !this.table.isFree(worker)
            ? "its worker is busy"
            : undefined;
    if (problem !== undefined || worker === undefined)
      invariant(
        false,
        `the generator emitted an op for a process that is not a free worker's current process (${problem}): ${describe(op)}`,
      );
    this.candidate = { op, worker, next: step.next };
    return { kind: "op", op, worker };
  }

  /** Commit the op the last `poll` returned. Throws if something happened in between (poll again). */
  take(): { op: GenOp; worker: WorkerId } {
    const candidate = this.candidate;
    invariant(candidate !== null, "take() without a fresh poll(): poll again after every completion");
    this.candidate = null;
    this.gen = candidate.next;
    if (candidate.op.type !== "log") this.table.markBusy(candidate.worker);
    return { op: candidate.op, worker: candidate.worker };
  }

  /** The invocation of a taken op was journaled (with its index and time): the generator hears about it. */
  invoked(op: Op): void {
    this.candidate = null;
    if (this.gen !== null) this.gen = this.gen.update(this.context(op.time), op);
  }

  /**
   * A completion was journaled: free the worker, tell the generator, and
   * after `info` move a client worker to its next process. Returns the worker.
   */
  completed(op: Op): WorkerId {
    this.candidate = null;
    const worker = this.table.workerOf(op.process);
    invariant(worker !== undefined, `a completion for an unknown process: ${JSON.stringify(op)}`);
    this.table.markFree(worker);
    if (this.gen !== null) this.gen = this.gen.update(this.context(op.time), op);
    if (op.type === "info" && worker !== "nemesis") this.table.renumber(worker);
    return worker;
  }

  /** A `sleep` op ended: the worker is free again. Generators are not told. */
  woke(worker: WorkerId): void {
    this.candidate = null;
    this.table.markFree(worker);
  }

  /**
   * Switch to another generator, e.g. the final phase after the main one is
   * exhausted or stopped on command. With `synchronize` (the default) it
   * starts only once every op in flight has completed.
   */
  replace(generator: GeneratorLike, options: { synchronize?: boolean } = {}): void {
    this.candidate = null;
    this.gen = options.synchronize === false ? lift(generator) : lift(synchronize(generator));
  }
}
