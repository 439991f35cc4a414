/**
 * Operations and histories, Jepsen-compatible.
 *
 * An op is plain data: `{ index, time, type, process, f, value, node?, error? }`.
 * Every client call appears twice in a history: an `invoke` when it starts and
 * a completion (`ok`, `fail` or `info`) when it ends, both from the same
 * `process`. `info` means the outcome is unknown (timeout, crash): checkers
 * must treat such an op as "may or may not have taken effect, at any time
 * after its invocation". A worker whose op ended `info` continues as a fresh
 * process number (Jepsen's rule), so a process never has two ops in flight.
 *
 * Values by model, so that any tool can read a history:
 * - register: `f` is `read` (value = what was read, `null` = no value),
 *   `write` (value = what was written) or `cas` (value = `[expected, new]`);
 * - keyed workloads carry `key`; per-key partitioning splits on it.
 */

export type OpType = "invoke" | "ok" | "fail" | "info";
export type CompletionType = Exclude<OpType, "invoke">;

/** A worker number, or `"nemesis"` for the fault injector. */
export type ProcessId = number | "nemesis";

export type Key = string | number;

export interface Op<V = unknown> {
  /** Position in the history, 0-based, dense. */
  index: number;
  /** Nanoseconds since the test started, from a monotonic clock. */
  time: number;
  type: OpType;
  process: ProcessId;
  f: string;
  value: V;
  /** The key of a keyed workload; what per-key partitioning splits on. */
  key?: Key;
  /** The node the client talked to, when known. */
  node?: string;
  /** Why an op failed or ended `info`, in words. */
  error?: string;
  /** Extra fields are allowed and preserved. */
  [extra: string]: unknown;
}

/** What a generator emits and a client receives: an op without its place in history yet. */
export interface Invocation<V = unknown> {
  f: string;
  value: V;
  key?: Key;
  [extra: string]: unknown;
}

/** What a client returns for an invocation. */
export interface Completion<V = unknown> {
  type: CompletionType;
  /** Defaults to the invocation's value when omitted (Jepsen's convention for writes). */
  value?: V;
  error?: string;
  node?: string;
  /**
   * The connection this op went over is dead (the client saw ECONNREFUSED,
   * a reset, a closed socket): the runner closes it and opens a new one, after
   * the same back-off as a failed open, before the worker's next op. Give it
   * with `fail` when the op certainly did not happen ("certainly failed, and
   * my connection is dead"); with `info` the connection is replaced anyway.
   * Not journaled.
   */
  connectionLost?: boolean;
  [extra: string]: unknown;
}

const KNOWN_FIELDS = new Set(["index", "time", "type", "process", "f", "key", "value", "node", "error"]);

/**
 * Serialize an op as one JSON line (no trailing newline), fields in the
 * documented order (index, time, type, process, f, key, value, node, error),
 * extra fields after them. Hand-assembled because it runs twice per op on
 * the runner's hot path.
 */
export function opToJson(op: Op): string {
  let out = `{"index":${op.index},"time":${op.time},"type":"${op.type}","process":${
    typeof op.process === "number" ? op.process : '"nemesis"'
  },"f":${JSON.stringify(op.f)}`;
  if (op.key !== undefined) out += `,"key":${JSON.stringify(op.key)}`;
  out += `,"value":${op.value === undefined ? "null" : JSON.stringify(op.value)}`;
  if (op.node !== undefined) out += `,"node":${JSON.stringify(op.node)}`;
  if (op.error !== undefined) out += `,"error":${JSON.stringify(op.error)}`;
  for (const field in op) {
    if (!KNOWN_FIELDS.has(field) && op[field] !== undefined) {
      out += `,${JSON.stringify(field)}:${JSON.stringify(op[field])}`;
    }
  }
  return `${out}}`;
}

export const isInvoke = (op: Op): boolean => op.type === "invoke";
export const isOk = (op: Op): boolean => op.type === "ok";
export const isFail = (op: Op): boolean => op.type === "fail";
export const isInfo = (op: Op): boolean => op.type === "info";
export const isClientOp = (op: Op): boolean => op.process !== "nemesis";
