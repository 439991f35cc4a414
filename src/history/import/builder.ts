/**
 * Builds a Crucible history from imported events: dense indices, times
 * synthesized from line order when the source has none, and invocation /
 * completion pairing checked per process (errors name file:line).
 */
import { UsageError } from "../../errors/index.js";
import type { Key, Op, OpType, ProcessId } from "../op.js";

/** Synthesized time step between successive events when the source has no times: 1 ms. */
export const SYNTHETIC_STEP_NS = 1_000_000;

export interface ImportEvent {
  type: OpType;
  process: ProcessId;
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

  constructor(private readonly file: string) {}

  /** Append one event read at `line`; throws `UsageError` on a pairing error. */
  add(event: ImportEvent, line: number): Op {
    const where = `${this.file}:${line}`;
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
}
