/**
 * Builds a Crucible history from imported events: dense indices, times
 * synthesized from line order when the source has none, and invocation /
 * completion pairing checked per process (errors name file:line).
 *
 * Events without a process (Elle's hand-written histories have none) are
 * paired by adjacency: each such invocation gets a fresh process number above
 * every real one, and a process-less completion closes the one process-less
 * invocation still open. Two open at once cannot be told apart, so that is an
 * error asking for `:process`.
 */
import { UsageError } from "../../errors/index.js";
import type { Key, Op, OpType, ProcessId } from "../op.js";

/** Synthesized time step between successive events when the source has no times: 1 ms. */
export const SYNTHETIC_STEP_NS = 1_000_000;

export interface ImportEvent {
  type: OpType;
  /** Undefined when the source gives none: paired by adjacency (see above). */
  process: ProcessId | undefined;
  f: string;
  value: unknown;
  key?: Key;
  /** Nanoseconds; synthesized from the event's position when absent. */
  time?: number;
  error?: string;
  /** Extra fields to keep on the op. */
  extra?: Record<string, unknown>;
}

export class HistoryBuilder {
  readonly ops: Op[] = [];
  private readonly open = new Map<ProcessId, { op: Op; line: number }>();
  private lastTime = 0;
  /** Whether every client event carried its own time (false: some times were synthesized). */
  timesKnown = true;
  private nextSyntheticProcess: number;
  private openWithoutProcess: number | undefined;

  /** `firstSyntheticProcess`: the number given to the first process-less invocation (above every real one). */
  constructor(
    private readonly file: string,
    firstSyntheticProcess = 0,
  ) {
    this.nextSyntheticProcess = firstSyntheticProcess;
  }

  /** Append one event read at `line`; throws `UsageError` on a pairing error. */
  add(input: ImportEvent, line: number): Op {
    const where = `${this.file}:${line}`;
    const event = { ...input, process: this.processOf(input, where) };
    if (input.time === undefined && event.process !== "nemesis") this.timesKnown = false;
    // Times must not go backwards: a synthesized time follows the last one seen.
    const time = event.time ?? this.lastTime + SYNTHETIC_STEP_NS;
    this.lastTime = Math.max(this.lastTime, time);
    const op: Op = {
      ...(event.extra ?? {}),
      index: this.ops.length,
      time,
      type: event.type,
      process: event.process,
      f: event.f,
      value: event.value,
    };
    if (event.key !== undefined) op.key = event.key;
    if (event.error !== undefined) op.error = event.error;
    if (event.process !== "nemesis") {
      const pending = this.open.get(event.process);
      if (event.type === "invoke") {
        if (pending) {
          throw new UsageError(
            `process ${event.process} invokes again while its operation from line ${pending.line} is still open; expected a completion (ok, fail or info) first`,
            where,
          );
        }
        this.open.set(event.process, { op, line });
      } else {
        if (!pending) {
          throw new UsageError(
            `a ${event.type} completion for process ${event.process} with no open invocation; expected an invoke first`,
            where,
          );
        }
        if (pending.op.f !== event.f) {
          throw new UsageError(
            `process ${event.process} completes :${event.f} but invoked :${pending.op.f} on line ${pending.line}`,
            where,
          );
        }
        this.open.delete(event.process);
      }
    }
    this.ops.push(op);
    return op;
  }

  private processOf(event: ImportEvent, where: string): ProcessId {
    if (event.process !== undefined) return event.process;
    if (event.type === "invoke") {
      if (this.openWithoutProcess !== undefined) {
        throw new UsageError(
          `an invocation without :process while another one without :process is still open; expected :process on concurrent operations, or each invocation followed by its completion`,
          where,
        );
      }
      this.openWithoutProcess = this.nextSyntheticProcess++;
      return this.openWithoutProcess;
    }
    const process = this.openWithoutProcess;
    if (process === undefined) {
      throw new UsageError(
        `a ${event.type} completion without :process and no open invocation without :process; expected its invoke first`,
        where,
      );
    }
    this.openWithoutProcess = undefined;
    return process;
  }
}

/** One above the largest numeric process among `events` (0 when none): where synthetic processes start. */
export function firstFreeProcess(events: readonly { process: ProcessId | undefined }[]): number {
  let max = -1;
  for (const event of events)
    if (typeof event.process === "number" && event.process > max) max = event.process;
  return max + 1;
}
