/**
 * A client turns invocations into completions against a real system.
 *
 * The runner opens one connection per worker (`open`), calls `invoke` for
 * each op with an abort signal that fires at the per-op timeout, and closes
 * the connection at the end or after an `info` (the worker then reopens as a
 * fresh process). A thrown error or a timeout becomes an `info` completion:
 * the runner never crashes because a client did.
 *
 * Return `fail` only when you know the op did not take effect (a compare that
 * did not match, a refused write); return `info` or throw when you do not know.
 */
import type { Cluster, Node } from "../cluster/types.js";
import type { Completion, Op } from "../history/op.js";

export interface ClientOpenContext {
  /** The cluster under test; undefined for tests that run without one (benchmarks, simulations). */
  readonly cluster: Cluster | undefined;
  /** The node this connection should talk to (workers are spread over nodes round-robin). */
  readonly node: Node | undefined;
  readonly worker: number;
  readonly signal: AbortSignal;
}

export interface InvokeContext {
  /** Fires at the per-op timeout or when the run is stopped. */
  readonly signal: AbortSignal;
}

export interface ClientConnection {
  invoke(op: Op, ctx: InvokeContext): Promise<Completion>;
  close(): Promise<void>;
}

export interface Client {
  readonly name: string;
  /** Once per run, before any worker opens: create tables, keys, etc. */
  setup?(ctx: ClientOpenContext): Promise<void>;
  open(ctx: ClientOpenContext): Promise<ClientConnection>;
}
