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
import { setOwn } from "./edn.js";

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
  add(event: ImportEvent, line: number): Op {
    const process = event.process ?? this.processOf(event, `${this.file}:${line}`);
    if (event.time === undefined && process !== "nemesis") this.timesKnown = false;
    // Times must not go backwards: a synthesized time follows the last one seen.
    const time = event.time ?? this.lastTime + SYNTHETIC_STEP_NS;
    this.lastTime = Math.max(this.lastTime, time);
    const index = this.ops.length;
    const op: Op =
      event.extra === undefined
        ? { index, time, type: event.type, process, f: event.f, value: event.value }
        : withExtra(event.extra, index, time, event.type, process, event.f, event.value);
    if (event.key !== undefined) op.key = event.key;
    if (event.error !== undefined) op.error = event.error;
    if (process !== "nemesis") {
      const pending = this.open.get(process);
      if (event.type === "invoke") {
        if (pending) {
          throw new UsageError(
            `process ${process} invokes again while its operation from line ${pending.line} is still open; expected a completion (ok, fail or info) first`,
            `${this.file}:${line}`,
          );
        }
        this.open.set(process, { op, line });
      } else {
        if (!pending) {
          throw new UsageError(
            `a ${event.type} completion for process ${process} with no open invocation; expected an invoke first`,
            `${this.file}:${line}`,
          );
        }
        if (pending.op.f !== event.f) {
          throw new UsageError(
            `process ${process} completes :${event.f} but invoked :${pending.op.f} on line ${pending.line}`,
            `${this.file}:${line}`,
          );
        }
        this.open.delete(process);
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

/**
 * `{ ...extra, index, time, type, process, f, value }`, built by assignment: the same own fields in the
 * same order, but a spread of a fresh object per op made every `add` about twenty times slower.
 */
function withExtra(
  extra: Record<string, unknown>,
  index: number,
  time: number,
  type: OpType,
  process: ProcessId,
  f: string,
  value: unknown,
): Op {
  const op: Record<string, unknown> = {};
  for (const name of Object.keys(extra)) {
    // Assigning `__proto__` would set the prototype; a spread makes it an own field.
    if (name === "__proto__") setOwn(op, name, extra[name]);
    else op[name] = extra[name];
  }
  op.index = index;
  op.time = time;
  op.type = type;
  op.process = process;
  op.f = f;
  op.value = value;
  return op as unknown as Op;
}

/** One above the largest numeric process among `events` (0 when none): where synthetic processes start. */
export function firstFreeProcess(events: readonly { process: ProcessId | undefined }[]): number {
  let max = -1;
  for (const event of events)
    if (typeof event.process === "number" && event.process > max) max = event.process;
  return max + 1;
}
