/**
 * One PostgreSQL connection that runs each op as one explicit transaction
 * (`BEGIN ISOLATION LEVEL ...`, the op's statements, `COMMIT`) and turns what
 * happened into a completion by where it stopped, as `postgresClient` does:
 *
 * - before `COMMIT` was sent (connect, `BEGIN`, a statement, a serialization
 *   failure 40001, a deadlock, a dropped connection): `fail`, since a
 *   transaction whose `COMMIT` was never sent never commits;
 * - an error answer to `COMMIT` that means a rollback (SQLSTATE classes 40,
 *   23, 22, 42, 25): `fail`;
 * - anything else while `COMMIT` is in flight (a broken connection, a
 *   timeout, "terminating connection"): `info`, the outcome is unknown.
 *
 * The body may also decide a definite `fail` itself (an insufficient balance):
 * it returns the completion and the transaction is rolled back, not committed.
 * Each connection owns its socket, so an abort destroys it at once.
 */
import { Socket } from "node:net";
import pg from "pg";
import type { Node } from "../../cluster/types.js";
import type { Completion, Op } from "../../history/op.js";
import type { ClientConnection, InvokeContext } from "../types.js";
import { abortReason, definiteFailure, errorText, type OutcomeRules, unknownOutcome } from "./outcome.js";
import { nodeCa } from "./tls.js";

export type PgIsolation = "serializable" | "repeatable read" | "read committed";

export interface PgSettings {
  host: string;
  port: number;
  user: string;
  database: string;
  /** TLS, verifying the server against the cluster's CA (a node started with TLS refuses plain connections). */
  ssl?: { ca: string };
}

/** `pg`'s `ssl` setting for `node`: TLS against its CA when it runs with TLS on, nothing otherwise. */
export function sslOf(node: Node): { ssl?: { ca: string } } {
  const ca = nodeCa(node);
  return ca ? { ssl: { ca: ca.toString("utf8") } } : {};
}

/** SQLSTATE classes of an error answer to COMMIT that mean it rolled back. */
const COMMIT_REFUSED_CLASSES = new Set(["40", "23", "22", "42", "25"]);

/** The op's statements inside the transaction; returns the completion (a `fail` rolls back instead of committing). */
export type TransactionBody = (client: pg.Client, op: Op) => Promise<Completion>;

export interface PgTransactionConfig {
  settings: PgSettings;
  rules: OutcomeRules;
  isolation: PgIsolation;
  requestTimeoutMs: number;
  body: TransactionBody;
  /** Checks an op before anything is sent: a reason to refuse it (`fail`), or undefined. */
  admit?: (op: Op) => string | undefined;
  /** Test seam: awaited after the body and before `COMMIT` is sent. */
  beforeCommit?: (op: Op) => Promise<void>;
}

type Stage = "connect" | "statement" | "commit";

interface Session {
  client: pg.Client;
  socket: Socket;
  connected: Promise<void>;
}

export class PgTransactionConnection implements ClientConnection {
  readonly #config: PgTransactionConfig;
  #session: Session | undefined;
  #closed = false;

  constructor(config: PgTransactionConfig) {
    this.#config = config;
  }

  async invoke(op: Op, ctx: InvokeContext): Promise<Completion> {
    const { rules } = this.#config;
    if (this.#closed) return definiteFailure(rules, "the connection is closed");
    const refused = this.#config.admit?.(op);
    if (refused !== undefined) return definiteFailure(rules, refused);
    if (ctx.signal.aborted)
      return definiteFailure(rules, `aborted before sending: ${abortReason(ctx.signal)}`);
    const session = this.#session ?? this.#connect();
    let stage: Stage = "connect";
    let stop: (reason: Error) => void = () => {};
    const stopped = new Promise<never>((_, reject) => {
      stop = reject;
    });
    stopped.catch(() => {});
    const onAbort = (): void => stop(new Error(`aborted: ${abortReason(ctx.signal)}`));
    ctx.signal.addEventListener("abort", onAbort, { once: true });
    const timer = setTimeout(
      () => stop(new Error(`no answer within ${this.#config.requestTimeoutMs} ms`)),
      this.#config.requestTimeoutMs,
    );
    const step = <T>(promise: Promise<T>): Promise<T> => Promise.race([promise, stopped]);
    try {
      await step(session.connected);
      stage = "statement";
      await step(session.client.query(`BEGIN ISOLATION LEVEL ${this.#config.isolation.toUpperCase()}`));
      const completion = await step(this.#config.body(session.client, op));
      if (completion.type === "fail") {
        await step(session.client.query("ROLLBACK"));
        return { node: rules.node, ...completion };
      }
      if (this.#config.beforeCommit) await step(this.#config.beforeCommit(op));
      stage = "commit";
      await step(session.client.query("COMMIT"));
      return { node: rules.node, ...completion };
    } catch (error) {
      return this.#failed(op, session, stage, error);
    } finally {
      clearTimeout(timer);
      ctx.signal.removeEventListener("abort", onAbort);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#drop();
  }

  async #failed(op: Op, session: Session, stage: Stage, error: unknown): Promise<Completion> {
    const { rules } = this.#config;
    const sqlState = (error as { code?: unknown }).code;
    const answered = error instanceof pg.DatabaseError && typeof sqlState === "string";
    const message = answered ? `postgres ${sqlState}: ${error.message}` : errorText(error);
    if (answered && this.#session === session) {
      const rollback = await Promise.race([
        session.client.query("ROLLBACK").then(
          () => true,
          () => false,
        ),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1_000).unref()),
      ]);
      if (!rollback) this.#drop();
    } else {
      this.#drop();
    }
    if (stage === "commit" && !(answered && COMMIT_REFUSED_CLASSES.has(sqlState.slice(0, 2)))) {
      return unknownOutcome(op, rules, `during COMMIT: ${message}`);
    }
    return definiteFailure(rules, stage === "connect" ? `could not connect: ${message}` : message);
  }

  #connect(): Session {
    const socket = new Socket();
    const client = new pg.Client({ ...this.#config.settings, stream: () => socket });
    client.on("error", () => this.#session?.client === client && this.#drop());
    const connected = client.connect().then(() => undefined);
    connected.catch(() => {});
    const session: Session = { client, socket, connected };
    this.#session = session;
    return session;
  }

  #drop(): void {
    const session = this.#session;
    this.#session = undefined;
    session?.socket.destroy();
  }
}
