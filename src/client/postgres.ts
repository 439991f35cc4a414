/**
 * A register client for PostgreSQL (through `pg`): one table
 * `(key int primary key, value int)`, each op one SERIALIZABLE transaction:
 *
 * - read  = `SELECT value ... WHERE key = $1` (no row: `null`);
 * - write = `INSERT ... ON CONFLICT (key) DO UPDATE` (an upsert);
 * - cas   = `UPDATE ... SET value = $new WHERE key = $1 AND value = $expected`,
 *   0 rows updated: `fail` (the compare did not match).
 *
 *   const client = postgresClient();
 *   await client.setup?.(ctx);      // creates the table (the runner calls it once)
 *
 * Why explicit transactions (`BEGIN`, statement, `COMMIT`, three round
 * trips) rather than one autocommit statement: they tell more outcomes
 * apart. A transaction whose `COMMIT` was never sent can never commit, so
 * anything that goes wrong before it (an abort, a timeout, a dropped
 * connection, a serialization failure) is a certain `fail`. Only a failure
 * while `COMMIT` is in flight is `info`. An error answer to `COMMIT` that
 * means a rollback (class 40 such as 40001 could not serialize, and a few
 * others: {@link COMMIT_REFUSED_CLASSES}) is `fail`; any other is `info`.
 *
 * Unknown reads are `fail` unless `failUnknownReads: false`.
 *
 * Each connection owns its socket (passed to `pg` as its stream), so an
 * abort destroys it at once, even when the server is paused and would never
 * answer a polite goodbye.
 */
import { Socket } from "node:net";
import pg from "pg";
import type { Node } from "../cluster/types.js";
import type { Completion, Op } from "../history/op.js";
import { uniqueToken } from "./_internals/namespace.js";
import {
  abortReason,
  definiteFailure,
  errorText,
  type OutcomeRules,
  unknownOutcome,
} from "./_internals/outcome.js";
import { admitRegisterCall, type RegisterCall } from "./_internals/register-op.js";
import type { Client, ClientConnection, ClientOpenContext, InvokeContext } from "./types.js";

export type PostgresIsolation = "serializable" | "repeatable read" | "read committed";

export interface PostgresClientOptions {
  /** The client's name in test specs and results. Default `"postgres"`. */
  name?: string;
  /**
   * The register table. Default `crucible_register_<unique token>`, fresh per
   * client, so runs sharing one server never meet. Letters, digits, `_` only.
   */
  table?: string;
  /** Isolation level of every transaction. Default `serializable`. */
  isolation?: PostgresIsolation;
  /** Report a read whose outcome is unknown as `fail`. Default true. */
  failUnknownReads?: boolean;
  /** Upper bound on one op in case the caller's signal never fires. Default 60,000 ms. */
  requestTimeoutMsMax?: number;
  /** User and database; default the node's `meta.user` / `meta.database`, else `postgres`. */
  user?: string;
  database?: string;
  /**
   * Test seam: awaited after the statement and before `COMMIT` is sent, so a
   * test can pause the server exactly then and see the `info` outcome.
   */
  beforeCommit?: (op: Op) => Promise<void>;
}

export interface PostgresClient extends Client {
  readonly table: string;
}

const ISOLATIONS = new Set<PostgresIsolation>(["serializable", "repeatable read", "read committed"]);

export function postgresClient(options: PostgresClientOptions = {}): PostgresClient {
  const table = options.table ?? `crucible_register_${uniqueToken()}`;
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(table)) {
    throw new RangeError(`postgresClient: table must be a plain identifier, got ${JSON.stringify(table)}`);
  }
  const isolation = options.isolation ?? "serializable";
  if (!ISOLATIONS.has(isolation)) throw new RangeError(`postgresClient: unknown isolation ${isolation}`);
  const settings = (node: Node): ConnectionSettings => ({
    host: node.host,
    port: node.port,
    user: options.user ?? stringMeta(node, "user") ?? "postgres",
    database: options.database ?? stringMeta(node, "database") ?? "postgres",
  });
  const nodeOf = (ctx: ClientOpenContext): Node => {
    const node = ctx.node ?? ctx.cluster?.nodes[0];
    if (!node) throw new Error("postgresClient needs a node to talk to (no node, no cluster)");
    return node;
  };
  return {
    name: options.name ?? "postgres",
    table,
    async setup(ctx: ClientOpenContext): Promise<void> {
      const client = new pg.Client({ ...settings(nodeOf(ctx)), connectionTimeoutMillis: 10_000 });
      await client.connect();
      try {
        await client.query(`CREATE TABLE IF NOT EXISTS ${table} (key int PRIMARY KEY, value int)`);
      } finally {
        await client.end();
      }
    },
    async open(ctx: ClientOpenContext): Promise<ClientConnection> {
      const node = nodeOf(ctx);
      return new PostgresConnection({
        settings: settings(node),
        rules: { node: node.name, failUnknownReads: options.failUnknownReads ?? true },
        statements: statementsFor(table),
        begin: `BEGIN ISOLATION LEVEL ${isolation.toUpperCase()}`,
        requestTimeoutMs: options.requestTimeoutMsMax ?? 60_000,
        ...(options.beforeCommit && { beforeCommit: options.beforeCommit }),
      });
    },
  };
}

function stringMeta(node: Node, field: string): string | undefined {
  const value = node.meta[field];
  return typeof value === "string" ? value : undefined;
}

interface ConnectionSettings {
  host: string;
  port: number;
  user: string;
  database: string;
}

interface Statements {
  read: string;
  write: string;
  cas: string;
}

function statementsFor(table: string): Statements {
  return {
    read: `SELECT value FROM ${table} WHERE key = $1`,
    write: `INSERT INTO ${table} (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
    cas: `UPDATE ${table} SET value = $3 WHERE key = $1 AND value = $2`,
  };
}

/**
 * SQLSTATE classes of an error answer to COMMIT that mean it rolled back:
 * 40 transaction rollback (40001 could not serialize, 40P01 deadlock),
 * 23 a deferred constraint, 22 data, 42 syntax/access, 25 invalid
 * transaction state. Others (57 operator intervention such as "terminating
 * connection", 08 connection, 53 resources, XX internal) can come after the
 * commit record was written, so they leave the outcome unknown.
 */
const COMMIT_REFUSED_CLASSES = new Set(["40", "23", "22", "42", "25"]);

/** Where an op was when it stopped: only `commit` can leave its outcome unknown. */
type Stage = "connect" | "statement" | "commit";

/** A `pg` client and the socket under it (ours, so an abort can destroy it at once). */
interface Session {
  client: pg.Client;
  socket: Socket;
  connected: Promise<void>;
}

interface PostgresConnectionConfig {
  settings: ConnectionSettings;
  rules: OutcomeRules;
  statements: Statements;
  /** `BEGIN ISOLATION LEVEL ...` */
  begin: string;
  requestTimeoutMs: number;
  beforeCommit?: (op: Op) => Promise<void>;
}

class PostgresConnection implements ClientConnection {
  readonly #config: PostgresConnectionConfig;
  #session: Session | undefined;
  #closed = false;

  constructor(config: PostgresConnectionConfig) {
    this.#config = config;
  }

  async invoke(op: Op, ctx: InvokeContext): Promise<Completion> {
    const { rules } = this.#config;
    const admitted = admitRegisterCall(op, rules, this.#closed);
    if ("failure" in admitted) return admitted.failure;
    const { call } = admitted;
    if (typeof call.key !== "number" || !Number.isSafeInteger(call.key)) {
      return definiteFailure(
        rules,
        `the postgres register table has integer keys, got ${JSON.stringify(call.key)}`,
      );
    }
    if (ctx.signal.aborted)
      return definiteFailure(rules, `aborted before sending: ${abortReason(ctx.signal)}`);

    const session = this.#session ?? this.#connect();
    let stage: Stage = "connect";
    // Whatever stops the op (abort, timeout, a dropped connection) rejects this race, and the socket goes.
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
      await step(session.client.query(this.#config.begin));
      const completion = await step(this.#statement(session.client, call));
      if (this.#config.beforeCommit) await step(this.#config.beforeCommit(op));
      stage = "commit";
      await step(session.client.query("COMMIT"));
      return completion;
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

  async #statement(client: pg.Client, call: RegisterCall): Promise<Completion> {
    const { statements, rules } = this.#config;
    switch (call.f) {
      case "read": {
        const result = await client.query<{ value: number | null }>(statements.read, [call.key]);
        return { type: "ok", value: result.rows[0]?.value ?? null, node: rules.node };
      }
      case "write":
        await client.query(statements.write, [call.key, call.value]);
        return { type: "ok", node: rules.node };
      case "cas": {
        const result = await client.query(statements.cas, [call.key, call.expected, call.next]);
        return result.rowCount === 1
          ? { type: "ok", node: rules.node }
          : { type: "fail", error: "compare failed: the value was not the expected one", node: rules.node };
      }
    }
  }

  /** Classify a failure by where it happened, and leave the connection usable or gone. */
  async #failed(op: Op, session: Session, stage: Stage, error: unknown): Promise<Completion> {
    const { rules } = this.#config;
    const sqlState = (error as { code?: unknown }).code;
    const answered = error instanceof pg.DatabaseError && typeof sqlState === "string";
    const message = answered ? `postgres ${sqlState}: ${error.message}` : errorText(error);
    if (answered && this.#session === session) {
      // The server answered with an error: the transaction is aborted (or never began); end it and keep the socket.
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
    // At COMMIT, only an error that PostgreSQL raises instead of committing is a certain rollback.
    if (stage === "commit" && !(answered && COMMIT_REFUSED_CLASSES.has(sqlState.slice(0, 2)))) {
      return unknownOutcome(op, rules, `during COMMIT: ${message}`);
    }
    return definiteFailure(rules, stage === "connect" ? `could not connect: ${message}` : message);
  }

  #connect(): Session {
    const socket = new Socket();
    const client = new pg.Client({ ...this.#config.settings, stream: () => socket });
    // A broken connection also surfaces as the failing query's rejection; this keeps it from being unhandled.
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
