/**
 * Transactional PostgreSQL clients for Jepsen's workloads, one transaction
 * per op at the isolation level asked for (`serializable` by default):
 *
 * - `postgresListAppendClient()`: ops `{ f: "txn", value: [["append", k, v],
 *   ["r", k, null], ...] }` on a table `(k int primary key, v text)` holding
 *   each list comma-joined. An append is one upsert that concatenates
 *   (`ON CONFLICT DO UPDATE SET v = v || ',' || new`), a read a `SELECT`
 *   whose list (`[]` for a missing row) fills the micro-op's value;
 * - `postgresRwRegisterClient()`: `["w", k, v]` upserts, `["r", k, null]`
 *   reads (`null` for a missing row) on `(k int primary key, v int)`;
 * - `postgresBankClient({ accounts, initialBalance, transfer })`: `transfer`
 *   `{ from, to, amount }` and `read` (every balance, `{ [id]: balance }`)
 *   on `(id int primary key, balance bigint)`. The `read-then-write`
 *   transfer (default) reads both balances, refuses an overdraft (`fail`)
 *   and writes the new values back: correct under serializable, and a lost
 *   update (money made or destroyed) under read committed, which is what the
 *   bank checker is for. `atomic` updates in place (`balance = balance - $1`).
 *
 * Outcomes (see `_internals/pg-transaction.ts`): anything before `COMMIT`,
 * including a retryable serialization failure (40001), is `fail`; a broken
 * connection while `COMMIT` is in flight is `info`. Keys and values are
 * integers; an op of another shape is refused with `fail` before anything
 * is sent. Each client uses a fresh table (`crucible_<kind>_<token>`), so
 * runs sharing a server never meet.
 */
import pg from "pg";
import type { Node } from "../cluster/types.js";
import type { Completion, Op } from "../history/op.js";
import { uniqueToken } from "./_internals/namespace.js";
import {
  type PgIsolation,
  type PgSettings,
  PgTransactionConnection,
  sslOf,
} from "./_internals/pg-transaction.js";
import type { Client, ClientConnection, ClientOpenContext } from "./types.js";

export type { PgIsolation as PostgresTxnIsolation } from "./_internals/pg-transaction.js";

export interface PostgresTxnClientOptions {
  /** The client's name in test specs and results. */
  name?: string;
  /** The table; default a fresh `crucible_<kind>_<token>`. Letters, digits, `_` only. */
  table?: string;
  /** Default `serializable`. */
  isolation?: PgIsolation;
  /** Upper bound on one op in case the caller's signal never fires. Default 60,000 ms. */
  requestTimeoutMsMax?: number;
  /** User and database; default the node's `meta.user` / `meta.database`, else `postgres`. */
  user?: string;
  database?: string;
  /** Test seam: awaited after the statements and before `COMMIT` is sent. */
  beforeCommit?: (op: Op) => Promise<void>;
}

export interface PostgresTxnClient extends Client {
  readonly table: string;
  readonly isolation: PgIsolation;
}

const ISOLATIONS = new Set<PgIsolation>(["serializable", "repeatable read", "read committed"]);

/** A micro-op: `["append", k, v]`, `["w", k, v]` or `["r", k, value]`. */
export type MicroOp = [string, unknown, unknown];

interface Kind {
  kind: string;
  defaultName: string;
  createTable(table: string): string[];
  admit(op: Op): string | undefined;
  body(table: string): (client: pg.Client, op: Op) => Promise<Completion>;
}

function baseClient(kind: Kind, options: PostgresTxnClientOptions): PostgresTxnClient {
  const table = options.table ?? `crucible_${kind.kind}_${uniqueToken()}`;
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(table))
    throw new RangeError(
      `postgres ${kind.kind} client: table must be a plain identifier, got ${JSON.stringify(table)}`,
    );
  const isolation = options.isolation ?? "serializable";
  if (!ISOLATIONS.has(isolation))
    throw new RangeError(`postgres ${kind.kind} client: unknown isolation ${isolation}`);
  const settings = (node: Node): PgSettings => ({
    host: node.host,
    port: node.port,
    user: options.user ?? stringMeta(node, "user") ?? "postgres",
    database: options.database ?? stringMeta(node, "database") ?? "postgres",
    ...sslOf(node),
  });
  const nodeOf = (ctx: ClientOpenContext): Node => {
    const node = ctx.node ?? ctx.cluster?.nodes[0];
    if (!node) throw new Error(`postgres ${kind.kind} client needs a node to talk to (no node, no cluster)`);
    return node;
  };
  const body = kind.body(table);
  return {
    name: options.name ?? kind.defaultName,
    table,
    isolation,
    async setup(ctx: ClientOpenContext): Promise<void> {
      const client = new pg.Client({ ...settings(nodeOf(ctx)), connectionTimeoutMillis: 10_000 });
      await client.connect();
      try {
        for (const statement of kind.createTable(table)) await client.query(statement);
      } finally {
        await client.end();
      }
    },
    async open(ctx: ClientOpenContext): Promise<ClientConnection> {
      const node = nodeOf(ctx);
      return new PgTransactionConnection({
        settings: settings(node),
        rules: { node: node.name, failUnknownReads: true },
        isolation,
        requestTimeoutMs: options.requestTimeoutMsMax ?? 60_000,
        admit: kind.admit,
        body,
        ...(options.beforeCommit && { beforeCommit: options.beforeCommit }),
      });
    },
  };
}

function stringMeta(node: Node, field: string): string | undefined {
  const value = node.meta[field];
  return typeof value === "string" ? value : undefined;
}

const isInt = (value: unknown): value is number => Number.isSafeInteger(value);

/** Why a txn op is not a list of micro-ops this client runs, or undefined. */
function admitTxn(op: Op, writeF: "append" | "w"): string | undefined {
  if (op.f !== "txn") return `expected f "txn", got ${JSON.stringify(op.f)}`;
  if (!Array.isArray(op.value) || op.value.length === 0)
    return "expected a non-empty list of micro-ops as value";
  for (const micro of op.value) {
    if (!Array.isArray(micro) || micro.length !== 3)
      return `expected micro-ops [f, k, v], got ${JSON.stringify(micro)}`;
    const [f, k, v] = micro as MicroOp;
    if (f !== "r" && f !== writeF) return `expected micro-op "r" or "${writeF}", got ${JSON.stringify(f)}`;
    if (!isInt(k)) return `the table has integer keys, got ${JSON.stringify(k)}`;
    if (f === writeF && !isInt(v)) return `the table holds integer values, got ${JSON.stringify(v)}`;
  }
  return undefined;
}

/** List-append over PostgreSQL: every read is the whole list, appends are atomic concatenations. */
export function postgresListAppendClient(options: PostgresTxnClientOptions = {}): PostgresTxnClient {
  return baseClient(
    {
      kind: "append",
      defaultName: "postgres-list-append",
      createTable: (table) => [`CREATE TABLE IF NOT EXISTS ${table} (k int PRIMARY KEY, v text NOT NULL)`],
      admit: (op) => admitTxn(op, "append"),
      body: (table) => async (client, op) => {
        const out: MicroOp[] = [];
        for (const [f, k, v] of op.value as MicroOp[]) {
          if (f === "append") {
            await client.query(
              `INSERT INTO ${table} AS t (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = t.v || ',' || excluded.v`,
              [k, String(v)],
            );
            out.push([f, k, v]);
          } else {
            const result = await client.query<{ v: string }>(`SELECT v FROM ${table} WHERE k = $1`, [k]);
            const text = result.rows[0]?.v;
            out.push([f, k, text === undefined || text === "" ? [] : text.split(",").map(Number)]);
          }
        }
        return { type: "ok", value: out };
      },
    },
    options,
  );
}

/** Read-write registers over PostgreSQL: `w` upserts, `r` reads (null for no row). */
export function postgresRwRegisterClient(options: PostgresTxnClientOptions = {}): PostgresTxnClient {
  return baseClient(
    {
      kind: "rw",
      defaultName: "postgres-rw-register",
      createTable: (table) => [`CREATE TABLE IF NOT EXISTS ${table} (k int PRIMARY KEY, v int)`],
      admit: (op) => admitTxn(op, "w"),
      body: (table) => async (client, op) => {
        const out: MicroOp[] = [];
        for (const [f, k, v] of op.value as MicroOp[]) {
          if (f === "w") {
            await client.query(
              `INSERT INTO ${table} (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = excluded.v`,
              [k, v],
            );
            out.push([f, k, v]);
          } else {
            const result = await client.query<{ v: number | null }>(`SELECT v FROM ${table} WHERE k = $1`, [
              k,
            ]);
            out.push([f, k, result.rows[0]?.v ?? null]);
          }
        }
        return { type: "ok", value: out };
      },
    },
    options,
  );
}

export interface PostgresBankClientOptions extends PostgresTxnClientOptions {
  /** Number of accounts, ids 0..accounts-1. Default 5. */
  accounts?: number;
  /** Each account's balance at setup. Default 10 (total = accounts × initialBalance). */
  initialBalance?: number;
  /** `read-then-write` (default: reads both balances, writes the new values) or `atomic` (in-place updates). */
  transfer?: "read-then-write" | "atomic";
}

export interface PostgresBankClient extends PostgresTxnClient {
  readonly accounts: number;
  readonly totalAmount: number;
}

/** Jepsen's bank over PostgreSQL: transfers between accounts and reads of every balance. */
export function postgresBankClient(options: PostgresBankClientOptions = {}): PostgresBankClient {
  const accounts = options.accounts ?? 5;
  const initialBalance = options.initialBalance ?? 10;
  if (!(isInt(accounts) && accounts >= 2))
    throw new RangeError(`postgresBankClient: accounts must be 2 or more, got ${accounts}`);
  if (!(isInt(initialBalance) && initialBalance >= 0))
    throw new RangeError(
      `postgresBankClient: initialBalance must be a non-negative integer, got ${initialBalance}`,
    );
  const style = options.transfer ?? "read-then-write";
  const client = baseClient(
    {
      kind: "bank",
      defaultName: "postgres-bank",
      createTable: (table) => [
        `CREATE TABLE IF NOT EXISTS ${table} (id int PRIMARY KEY, balance bigint NOT NULL)`,
        `INSERT INTO ${table} (id, balance) SELECT g, ${initialBalance} FROM generate_series(0, ${accounts - 1}) AS g ON CONFLICT (id) DO NOTHING`,
      ],
      admit: (op) => {
        if (op.f === "read") return undefined;
        if (op.f !== "transfer") return `expected f "read" or "transfer", got ${JSON.stringify(op.f)}`;
        const { from, to, amount } = (op.value ?? {}) as Record<string, unknown>;
        if (
          !isInt(from) ||
          !isInt(to) ||
          from === to ||
          from < 0 ||
          to < 0 ||
          from >= accounts ||
          to >= accounts
        )
          return `expected a transfer between two different accounts 0..${accounts - 1}, got ${JSON.stringify(op.value)}`;
        if (!isInt(amount) || amount <= 0)
          return `expected a positive integer amount, got ${JSON.stringify(amount)}`;
        return undefined;
      },
      body: (table) => async (pgClient, op) => {
        if (op.f === "read") {
          const result = await pgClient.query<{ id: number; balance: string }>(
            `SELECT id, balance FROM ${table} ORDER BY id`,
          );
          const balances: Record<string, number> = {};
          for (const row of result.rows) balances[String(row.id)] = Number(row.balance);
          return { type: "ok", value: balances };
        }
        const { from, to, amount } = op.value as { from: number; to: number; amount: number };
        if (style === "atomic") {
          const debit = await pgClient.query(
            `UPDATE ${table} SET balance = balance - $2 WHERE id = $1 AND balance >= $2`,
            [from, amount],
          );
          if (debit.rowCount !== 1) return { type: "fail", error: "insufficient funds" };
          await pgClient.query(`UPDATE ${table} SET balance = balance + $2 WHERE id = $1`, [to, amount]);
          return { type: "ok", value: op.value };
        }
        const read = async (id: number): Promise<number> => {
          const result = await pgClient.query<{ balance: string }>(
            `SELECT balance FROM ${table} WHERE id = $1`,
            [id],
          );
          return Number(result.rows[0]?.balance ?? Number.NaN);
        };
        const fromBalance = await read(from);
        const toBalance = await read(to);
        if (!(fromBalance >= amount))
          return { type: "fail", error: `insufficient funds: ${fromBalance} < ${amount}` };
        await pgClient.query(`UPDATE ${table} SET balance = $2 WHERE id = $1`, [from, fromBalance - amount]);
        await pgClient.query(`UPDATE ${table} SET balance = $2 WHERE id = $1`, [to, toBalance + amount]);
        return { type: "ok", value: op.value };
      },
    },
    options,
  );
  return { ...client, accounts, totalAmount: accounts * initialBalance };
}
