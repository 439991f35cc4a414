/**
 * What a client reports when it cannot know an op's outcome, in one place so
 * that every client follows the same rules (see `../types.ts`):
 *
 * - nothing reached the server (connection refused, aborted before the
 *   connection was up, an op the client cannot express): `fail`;
 * - the request may have reached it (timeout, abort, reset after sending):
 *   `info`, except that an unknown *read* is `fail` when `failUnknownReads`
 *   is on (Jepsen's convention, the default): a read changes nothing, so
 *   dropping it loses no information and spares the checker a pending op.
 */
import { describeError } from "../../errors/index.js";
import type { Completion, Op } from "../../history/op.js";

export interface OutcomeRules {
  /** The node name put on every completion. */
  readonly node: string;
  /** Report a read whose outcome is unknown as `fail` (default true in every client). */
  readonly failUnknownReads: boolean;
}

/** The completion for "it may or may not have happened". */
export function unknownOutcome(op: Op, rules: OutcomeRules, error: string): Completion {
  return op.f === "read" && rules.failUnknownReads
    ? { type: "fail", error, node: rules.node }
    : { type: "info", error, node: rules.node };
}

/** The completion for "it certainly did not happen". */
export function definiteFailure(rules: OutcomeRules, error: string): Completion {
  return { type: "fail", error, node: rules.node };
}

/** Why a signal fired, in a few words ("timeout" for `AbortSignal.timeout`). */
export function abortReason(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason.name === "TimeoutError" ? "timeout" : reason.message;
  return reason === undefined ? "aborted" : String(reason);
}

/** The errno-style code of an error (`ECONNREFUSED`, ...), looking through `cause`. */
export function errorCode(error: unknown): string | undefined {
  for (let depth = 0, current = error; depth < 4 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A refused TCP connect: the server was not listening, so nothing was sent. */
export function isConnectionRefused(error: unknown): boolean {
  return errorCode(error) === "ECONNREFUSED";
}

/**
 * The words a client puts in an `info` op: an Error's message led by the errno
 * code found anywhere on its cause chain (a failed fetch keeps it on the
 * cause); anything else as {@link describeError} says it.
 */
export function errorText(error: unknown): string {
  if (error instanceof Error) {
    const code = errorCode(error);
    return code && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  }
  return describeError(error);
}
