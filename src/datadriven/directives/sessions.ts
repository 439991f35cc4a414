/**
 * Named client sessions for the `exec`, `async`, `await` and `cancel`
 * directives.
 *
 * A session is a sequence of ops, one at a time, like one worker of the
 * runner. It holds one client connection per node it has talked to (opened
 * on first use), so `exec session=a node=n2` and `exec session=a node=n1`
 * keep their own connections. An op that ends `info` closes its connection
 * (the next op opens a fresh one), as the runner does, because the stream is
 * in an unknown state.
 *
 * `start` runs ops in the background (`async`); `await` waits for them and
 * returns their completions; `cancel` aborts the op in flight (it completes
 * `info`, or `fail` for a read) and skips the rest. A session runs one batch
 * at a time: starting another while one is pending is an error, so the order
 * of ops within a session is always the order written in the file.
 */

import type { ClientConnection } from "../../client/types.js";
import type { LocalNode } from "../../cluster/fixture.js";
import { describeError } from "../../errors/index.js";
import type { Completion, Invocation, Op } from "../../history/op.js";
import type { DataDrivenTarget } from "./target.js";

/** An op and how it completed. */
export interface OpResult {
  readonly invocation: Invocation;
  readonly completion: Completion;
}

/** Most sessions one file may open, so a generated file cannot exhaust sockets. */
export const MAX_SESSIONS = 1_000;

interface Pending {
  readonly node: string;
  /** True once every op of the batch completed (or the batch was canceled). */
  settled: boolean;
  readonly controller: AbortController;
  readonly results: OpResult[];
  readonly done: Promise<void>;
}

interface Session {
  readonly name: string;
  readonly worker: number;
  readonly connections: Map<string, ClientConnection>;
  pending: Pending | undefined;
}

/** A session's misuse (busy, nothing pending): the test file is wrong. */
export class SessionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SessionError";
  }
}

export class Sessions {
  private readonly sessions = new Map<string, Session>();
  private readonly lifetime = new AbortController();
  private opIndex = 0;

  constructor(private readonly target: DataDrivenTarget) {}

  /** Run `ops` in order on `session` against `node`; each op gets `opTimeoutMs`. */
  async run(options: {
    session: string;
    node: LocalNode;
    ops: readonly Invocation[];
    opTimeoutMs: number;
  }): Promise<OpResult[]> {
    const session = this.session(options.session);
    if (session.pending !== undefined)
      throw new SessionError(`session ${session.name} has async ops pending: await or cancel them first`);
    const results: OpResult[] = [];
    await this.runOps(session, options.node, options.ops, options.opTimeoutMs, results, this.lifetime.signal);
    return results;
  }

  /** Start `ops` in the background on `session` (`async`). */
  start(options: {
    session: string;
    node: LocalNode;
    ops: readonly Invocation[];
    opTimeoutMs: number;
  }): void {
    const session = this.session(options.session);
    if (session.pending !== undefined)
      throw new SessionError(
        `session ${session.name} already has async ops pending: await or cancel them first`,
      );
    const controller = new AbortController();
    const signal = AbortSignal.any([controller.signal, this.lifetime.signal]);
    const results: OpResult[] = [];
    const done = this.runOps(session, options.node, options.ops, options.opTimeoutMs, results, signal);
    const pending: Pending = { node: options.node.name, settled: false, controller, results, done };
    // A failure is reported by `await`; until then it must not count as unhandled.
    done.then(
      () => {
        pending.settled = true;
      },
      () => {
        pending.settled = true;
      },
    );
    session.pending = pending;
  }

  /** Wait up to `timeoutMs` for the pending ops of `session`; their completions. */
  async await(options: { session: string; timeoutMs: number }): Promise<OpResult[]> {
    const session = this.session(options.session);
    const pending = session.pending;
    if (pending === undefined) throw new SessionError(`session ${session.name} has no async ops to await`);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), options.timeoutMs);
    });
    try {
      const outcome = await Promise.race([pending.done.then(() => "done" as const), timedOut]);
      if (outcome === "timeout") {
        throw new Error(
          `session ${session.name}: ops still running after ${options.timeoutMs} ms ` +
            `(${pending.results.length} completed); is a link held or a node paused?`,
        );
      }
    } finally {
      clearTimeout(timer);
    }
    session.pending = undefined;
    return pending.results;
  }

  /** Abort the pending ops of `session`: the op in flight ends `info` (a read `fail`), the rest never run. */
  async cancel(options: { session: string; timeoutMs: number }): Promise<OpResult[]> {
    const session = this.session(options.session);
    const pending = session.pending;
    if (pending === undefined) throw new SessionError(`session ${session.name} has no async ops to cancel`);
    pending.controller.abort(new Error("canceled"));
    return this.await(options);
  }

  /** Close every connection to `node` (it was killed or restarted): the next op connects afresh. */
  async dropNode(node: string): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const session of this.sessions.values()) {
      // An op in flight sees the break itself (and closes its connection if it ends `info`).
      if (session.pending?.node === node && !session.pending.settled) continue;
      const connection = session.connections.get(node);
      if (connection === undefined) continue;
      session.connections.delete(node);
      closing.push(connection.close());
    }
    await Promise.allSettled(closing);
  }

  /** Abort everything pending and close every connection. */
  async close(): Promise<void> {
    this.lifetime.abort(new Error("closing"));
    const pending = [...this.sessions.values()].flatMap((session) =>
      session.pending ? [session.pending.done] : [],
    );
    await Promise.allSettled(pending);
    const connections = [...this.sessions.values()].flatMap((session) => [...session.connections.values()]);
    this.sessions.clear();
    await Promise.allSettled(connections.map((connection) => connection.close()));
  }

  private session(name: string): Session {
    let session = this.sessions.get(name);
    if (session === undefined) {
      if (this.sessions.size >= MAX_SESSIONS) throw new SessionError(`more than ${MAX_SESSIONS} sessions`);
      session = { name, worker: this.sessions.size, connections: new Map(), pending: undefined };
      this.sessions.set(name, session);
    }
    return session;
  }

  private async runOps(
    session: Session,
    node: LocalNode,
    ops: readonly Invocation[],
    opTimeoutMs: number,
    results: OpResult[],
    signal: AbortSignal,
  ): Promise<void> {
    for (const invocation of ops) {
      if (signal.aborted) return;
      const completion = await this.invoke(session, node, invocation, opTimeoutMs, signal);
      results.push({ invocation, completion });
    }
  }

  private async invoke(
    session: Session,
    node: LocalNode,
    invocation: Invocation,
    opTimeoutMs: number,
    signal: AbortSignal,
  ): Promise<Completion> {
    let connection = session.connections.get(node.name);
    if (connection === undefined) {
      connection = await this.target.client.open({
        cluster: this.target.clientCluster,
        node: this.target.clientNode(node),
        worker: session.worker,
        signal: this.lifetime.signal,
      });
      session.connections.set(node.name, connection);
    }
    const op: Op = {
      ...invocation,
      index: this.opIndex++,
      time: 0,
      type: "invoke",
      process: session.worker,
      f: invocation.f,
      value: invocation.value,
    };
    let completion: Completion;
    try {
      completion = await connection.invoke(op, {
        signal: AbortSignal.any([signal, AbortSignal.timeout(opTimeoutMs)]),
      });
    } catch (error) {
      // A client that throws means "unknown outcome", as in the runner.
      completion = { type: "info", error: describeError(error) };
    }
    if (completion.type === "info") {
      session.connections.delete(node.name);
      await connection.close().catch(() => {});
    }
    return completion;
  }
}
