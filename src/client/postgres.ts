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
 * others, see `_internals/pg-transaction.ts`) is `fail`; any other is `info`.
 *
 * Unknown reads are `fail` unless `failUnknownReads: false`.
 *
 * Each connection owns its socket (passed to `pg` as its stream), so an
 * abort destroys it at once, even when the server is paused and would never
 * answer a polite goodbye.
 */
import pg from "pg";
import type { Node } from "../cluster/types.js";
import type { Completion, Op } from "../history/op.js";
import { uniqueToken } from "./_internals/namespace.js";
import type { OutcomeRules } from "./_internals/outcome.js";
import { PgTransactionConnection, sslOf } from "./_internals/pg-transaction.js";
import { type RegisterCall, registerCall } from "./_internals/register-op.js";
import type { Client, ClientConnection, ClientOpenContext } from "./types.js";

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
    ...sslOf(node),
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
      const rules: OutcomeRules = { node: node.name, failUnknownReads: options.failUnknownReads ?? true };
      const statements = statementsFor(table);
      return new PgTransactionConnection({
        settings: settings(node),
        rules,
        isolation,
        requestTimeoutMs: options.requestTimeoutMsMax ?? 60_000,
        admit: (op) => {
          const call = registerCall(op);
          if (typeof call === "string") return call;
          if (typeof call.key !== "number" || !Number.isSafeInteger(call.key))
            return `the postgres register table has integer keys, got ${JSON.stringify(call.key)}`;
          return undefined;
        },
        body: (client, op) => registerStatement(client, statements, registerCall(op) as RegisterCall),
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
  ssl?: { ca: string };
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

/** The op's one statement; a cas whose compare did not match is a `fail` (rolled back, nothing changed). */
async function registerStatement(
  client: pg.Client,
  statements: Statements,
  call: RegisterCall,
): Promise<Completion> {
  switch (call.f) {
    case "read": {
      const result = await client.query<{ value: number | null }>(statements.read, [call.key]);
      return { type: "ok", value: result.rows[0]?.value ?? null };
    }
    case "write":
      await client.query(statements.write, [call.key, call.value]);
      return { type: "ok" };
    case "cas": {
      const result = await client.query(statements.cas, [call.key, call.expected, call.next]);
      return result.rowCount === 1
        ? { type: "ok" }
        : { type: "fail", error: "compare failed: the value was not the expected one" };
    }
  }
}
