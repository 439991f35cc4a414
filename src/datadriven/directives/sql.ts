/**
 * SQL directives against a real PostgreSQL (Materialize coordtest's SQL
 * knobs), for `crucible datadriven --target postgres`:
 *
 * ```
 * sql [session=name] [timeout=10s]          run the statements; print each one's result
 * async-sql session=name [timeout=10s]      start them in the named session; print nothing
 * await-sql session=name [timeout=10s]      wait for them; print their results
 * async-cancel session=name                 cancel what the session runs (pg_cancel_backend); print nothing
 * wait-sql [timeout=5s]                     rerun until every value of every row is true; print nothing
 * ```
 *
 * Sessions. `sql` without `session=` runs in a **new session** each time (a
 * fresh connection, closed after the directive), as coordtest's does; with
 * `session=` it runs in that named session and waits. A named session is one
 * connection, opened on first use and kept for the file, so a transaction
 * can span directives (`sql session=t1` `BEGIN`, later `sql session=t1`
 * `COMMIT`), which is how isolation tests interleave two transactions.
 *
 * Blocking. `async-sql` returns at once; a statement that waits on a row
 * lock leaves its session **pending** while the next directives run.
 * `await-sql` prints the results once they come, or, when `timeout=` passes
 * first, `(still running after 200ms)` and leaves the session pending: that
 * output is how a file states "this statement blocks". A session runs one
 * batch at a time: `sql`/`async-sql` on a pending session is an error.
 *
 * Statements. The input is split into statements at `;` (outside quotes,
 * dollar quotes and comments) and they run one at a time; the first error
 * ends the batch (the rest are not sent), as PostgreSQL's simple query
 * protocol does. Output, one block per statement, in order:
 *
 * - a statement that returns rows prints one line per row, values separated
 *   by single spaces (`1 10`), `NULL` for null, `t`/`f` for booleans; a text
 *   value that is empty, holds a space or a quote, or reads `NULL` is
 *   printed as a JSON string; no rows prints `(0 rows)`;
 * - any other statement prints its command (the first word of PostgreSQL's
 *   tag: `BEGIN`, `COMMIT`, `CREATE`; a `COMMIT` of a failed transaction
 *   prints `ROLLBACK`), with the rows touched for `INSERT`, `UPDATE`,
 *   `DELETE`, `MERGE` and `COPY` (`UPDATE 1`);
 * - an error prints `ERROR: <message> (SQLSTATE <code>)`.
 *
 * No port, pid, timing or server version appears in an output, so a file
 * passes the same way everywhere. `<TEMP>` is replaced by the file's temp
 * dir in the input (and the temp dir shown as `<TEMP>` in outputs) by the
 * engine, as for every directive.
 */
import type pg from "pg";
import { type LocalCluster, startCluster } from "../../cluster/fixture.js";
import { postgres, postgresConnector } from "../../cluster/recipes/postgres.js";
import { describeError } from "../../errors/index.js";
import type { Directive } from "../directive.js";
import type { DirectiveTable } from "../generic.js";

/** How long `sql` and `await-sql` wait, unless `timeout=` says otherwise. */
export const DEFAULT_SQL_TIMEOUT_MS = 10_000;
/** How long `wait-sql` retries, unless `timeout=` says otherwise (coordtest's 5 s). */
export const DEFAULT_WAIT_SQL_TIMEOUT_MS = 5_000;
/** Longest `timeout=` accepted: a typo must not hang a test for hours. */
export const MAX_SQL_TIMEOUT_MS = 10 * 60_000;
/** Most named sessions one file may open. */
export const MAX_SQL_SESSIONS = 100;

export interface SqlHarnessOptions {
  /** Seed of the recipe's randomized configuration; default 1, so a file always runs the same way. */
  readonly seed?: number;
}

interface SqlSession {
  readonly name: string;
  readonly client: pg.Client;
  /** The backend's pid, for `pg_cancel_backend`. */
  readonly backendPid: number;
  /** The batch in flight (`async-sql`), if any; its promise never rejects. */
  pending: Promise<string> | undefined;
}

/** A throwaway PostgreSQL (started on first use) and the named sessions of one file. */
export class SqlHarness {
  private started: Promise<LocalCluster> | undefined;
  private readonly sessions = new Map<string, SqlSession>();
  private readonly opening = new Map<string, Promise<SqlSession>>();
  private closed = false;

  constructor(private readonly options: SqlHarnessOptions = {}) {}

  /** The server, started on first use. */
  async server(): Promise<LocalCluster> {
    if (this.closed) throw new Error("the SQL harness is closed");
    this.started ??= startCluster(postgres(), 1, { seed: this.options.seed ?? 1, log: () => {} });
    return this.started;
  }

  /** A new connection to the server (the caller ends it with {@link endQuickly}). */
  async connect(): Promise<pg.Client> {
    const cluster = await this.server();
    const node = cluster.nodes[0];
    if (node === undefined) throw new Error("the PostgreSQL cluster has no node");
    return POSTGRES_CONNECTOR.connect(node);
  }

  /** The named session, opened on first use. */
  async session(d: Directive, name: string): Promise<SqlSession> {
    const existing = this.sessions.get(name);
    if (existing !== undefined) return existing;
    let opening = this.opening.get(name);
    if (opening === undefined) {
      if (this.sessions.size + this.opening.size >= MAX_SQL_SESSIONS)
        throw d.error(`more than ${MAX_SQL_SESSIONS} SQL sessions in one file`);
      opening = (async () => {
        const client = await this.connect();
        const backendPid = await pidOf(client);
        const session: SqlSession = { name, client, backendPid, pending: undefined };
        this.sessions.set(name, session);
        return session;
      })();
      this.opening.set(name, opening);
      opening.finally(() => this.opening.delete(name)).catch(() => {});
    }
    return opening;
  }

  /** The named session if it exists. */
  existing(name: string): SqlSession | undefined {
    return this.sessions.get(name);
  }

  /** Cancel what `backendPid` runs, from a connection of its own. */
  async cancel(backendPid: number): Promise<void> {
    const client = await this.connect();
    try {
      await client.query("SELECT pg_cancel_backend($1)", [backendPid]);
    } finally {
      await client.end().catch(() => {});
    }
  }

  /**
   * End every named session (rolling back their open transactions), keeping
   * the server: for a suite that runs many files on one server.
   */
  async resetSessions(): Promise<void> {
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(sessions.map((s) => endQuickly(s.client)));
  }

  /** End every session and stop the server; safe whatever state a failed directive left. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(sessions.map((s) => endQuickly(s.client)));
    const started = this.started;
    if (started === undefined) return;
    const cluster = await started.catch(() => undefined);
    await cluster?.stop();
  }
}

/** The recipe's own client connector: one definition of how a test connects to PostgreSQL. */
const POSTGRES_CONNECTOR = postgresConnector();

/** Close a session's connection without waiting long on a busy or paused server. */
function endQuickly(client: pg.Client): Promise<void> {
  return POSTGRES_CONNECTOR.close(client);
}

async function pidOf(client: pg.Client): Promise<number> {
  const result = await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
  const pid = result.rows[0]?.pid;
  if (typeof pid !== "number") throw new Error("pg_backend_pid() returned no pid");
  return pid;
}

/** The SQL directives over `harness`; merge with `genericDirectives()`. */
export function sqlDirectives(harness: SqlHarness): DirectiveTable {
  return {
    sql: (d) => sqlDirective(d, harness),
    "async-sql": (d) => asyncSqlDirective(d, harness),
    "await-sql": (d) => awaitSqlDirective(d, harness),
    "async-cancel": (d) => asyncCancelDirective(d, harness),
    "wait-sql": (d) => waitSqlDirective(d, harness),
  };
}

/** Names of the SQL directives. */
export const SQL_DIRECTIVE_NAMES: readonly string[] = [
  "async-cancel",
  "async-sql",
  "await-sql",
  "sql",
  "wait-sql",
];

async function sqlDirective(d: Directive, harness: SqlHarness): Promise<string> {
  allowArgs(d, ["session", "timeout"]);
  const statements = statementsOf(d);
  const timeoutMs = timeoutArg(d, DEFAULT_SQL_TIMEOUT_MS);
  if (!d.hasArg("session")) {
    const client = await harness.connect();
    try {
      const pid = await pidOf(client);
      const outcome = await withTimeout(runBatch(client, statements), timeoutMs);
      if (outcome === TIMED_OUT) {
        await harness.cancel(pid);
        throw new Error(
          `${d.pos}: sql: still running after ${formatMs(timeoutMs)}; canceled (use async-sql for a statement that blocks)`,
        );
      }
      return outcome;
    } finally {
      await endQuickly(client);
    }
  }
  const session = await harness.session(d, d.stringArg("session"));
  busy(d, session);
  const batch = runBatch(session.client, statements);
  const outcome = await withTimeout(batch, timeoutMs);
  if (outcome === TIMED_OUT) {
    session.pending = batch;
    throw new Error(
      `${d.pos}: sql session=${session.name}: still running after ${formatMs(timeoutMs)}; the session stays pending (await-sql or async-cancel it)`,
    );
  }
  return outcome;
}

async function asyncSqlDirective(d: Directive, harness: SqlHarness): Promise<string> {
  allowArgs(d, ["session"]);
  const statements = statementsOf(d);
  const session = await harness.session(d, d.stringArg("session"));
  busy(d, session);
  const pending = runBatch(session.client, statements);
  session.pending = pending;
  await settle(harness, session, pending);
  return "";
}

/** Longest `async-sql` waits for its statements to finish or block before the next directive runs. */
export const ASYNC_SETTLE_MS = 5_000;

/**
 * Return once the batch has finished or its backend waits on a lock, so the
 * next directive always meets the same state: "T2's UPDATE blocks on T1's row
 * lock" is observed, not raced. A statement that neither finishes nor waits
 * on a lock within {@link ASYNC_SETTLE_MS} (a long query) is left running.
 */
async function settle(harness: SqlHarness, session: SqlSession, pending: Promise<string>): Promise<void> {
  let done = false;
  void pending.then(() => {
    done = true;
  });
  const deadline = performance.now() + ASYNC_SETTLE_MS;
  const observer = await harness.connect();
  try {
    while (!done && performance.now() < deadline) {
      const activity = await observer.query<{ wait_event_type: string | null; state: string | null }>(
        "SELECT wait_event_type, state FROM pg_stat_activity WHERE pid = $1",
        [session.backendPid],
      );
      if (done) return;
      if (activity.rows[0]?.wait_event_type === "Lock") return;
      await Promise.race([pending, sleep(5)]);
    }
  } finally {
    await endQuickly(observer);
  }
}

async function awaitSqlDirective(d: Directive, harness: SqlHarness): Promise<string> {
  allowArgs(d, ["session", "timeout"]);
  noInput(d);
  const name = d.stringArg("session");
  const session = harness.existing(name);
  if (session?.pending === undefined) throw d.error(`await-sql: session ${name} has nothing pending`);
  const timeoutMs = timeoutArg(d, DEFAULT_SQL_TIMEOUT_MS);
  const outcome = await withTimeout(session.pending, timeoutMs);
  if (outcome === TIMED_OUT) return `(still running after ${formatMs(timeoutMs)})`;
  session.pending = undefined;
  return outcome;
}

async function asyncCancelDirective(d: Directive, harness: SqlHarness): Promise<string> {
  allowArgs(d, ["session"]);
  noInput(d);
  const name = d.stringArg("session");
  const session = harness.existing(name);
  if (session === undefined) throw d.error(`async-cancel: no session ${name}`);
  await harness.cancel(session.backendPid);
  return "";
}

async function waitSqlDirective(d: Directive, harness: SqlHarness): Promise<string> {
  allowArgs(d, ["timeout"]);
  const statements = statementsOf(d);
  const timeoutMs = timeoutArg(d, DEFAULT_WAIT_SQL_TIMEOUT_MS);
  const deadline = performance.now() + timeoutMs;
  let last = "";
  let intervalMs = 10;
  for (;;) {
    const client = await harness.connect();
    try {
      const results = await runStatements(client, statements);
      last = results.map((r) => r.text).join("\n");
      if (results.every((r) => r.allTrue)) return "";
    } finally {
      await endQuickly(client);
    }
    const remaining = deadline - performance.now();
    if (remaining <= 0)
      throw new Error(
        `${d.pos}: wait-sql: not every value was true after ${formatMs(timeoutMs)}; last output:\n${last}`,
      );
    await sleep(Math.min(intervalMs, remaining));
    intervalMs = Math.min(250, intervalMs * 2);
  }
}

interface StatementResult {
  readonly text: string;
  /** True when the statement returned at least one row and every value is true. */
  readonly allTrue: boolean;
}

/** Run the statements in order, stopping at the first error (which is the last result). Never rejects. */
async function runStatements(client: pg.Client, statements: readonly string[]): Promise<StatementResult[]> {
  const results: StatementResult[] = [];
  for (const statement of statements) {
    try {
      const result = await client.query({ text: statement, rowMode: "array" });
      results.push(formatResult(result));
    } catch (error) {
      results.push({ text: formatError(error), allTrue: false });
      break;
    }
  }
  return results;
}

async function runBatch(client: pg.Client, statements: readonly string[]): Promise<string> {
  return (await runStatements(client, statements)).map((r) => r.text).join("\n");
}

/** Commands whose tag carries the rows they touched. */
const COUNTED_COMMANDS = new Set(["INSERT", "UPDATE", "DELETE", "MERGE", "COPY"]);

function formatResult(result: pg.QueryResult<unknown[]>): StatementResult {
  if (result.fields.length === 0) {
    const counted = typeof result.rowCount === "number" && COUNTED_COMMANDS.has(result.command);
    return {
      text: counted ? `${result.command} ${result.rowCount}` : (result.command ?? ""),
      allTrue: false,
    };
  }
  if (result.rows.length === 0) return { text: "(0 rows)", allTrue: false };
  const lines = result.rows.map((row) => row.map(formatDatum).join(" "));
  const allTrue = result.rows.every((row) => row.every((value) => value === true));
  return { text: lines.join("\n"), allTrue };
}

/** One value as printed: see the module doc. */
export function formatDatum(value: unknown): string {
  if (value === null || value === undefined) return "NULL";
  if (value === true) return "t";
  if (value === false) return "f";
  if (typeof value === "string") {
    return value === "" || value === "NULL" || /[\s"'\\]/.test(value) ? JSON.stringify(value) : value;
  }
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return `\\x${value.toString("hex")}`;
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function formatError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : describeError(error);
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)
    ? `ERROR: ${message} (SQLSTATE ${code})`
    : `ERROR: ${describeError(error)}`;
}

/**
 * Split SQL text into statements at `;`, outside single-quoted strings
 * (`''` escapes), double-quoted identifiers, dollar-quoted bodies
 * (`$$ ... $$`, `$tag$ ... $tag$`), `--` line comments and `/* *\/` block
 * comments (which nest in PostgreSQL). Empty statements are dropped.
 */
export function splitStatements(text: string): string[] {
  const statements: string[] = [];
  let start = 0;
  let i = 0;
  const n = text.length;
  const push = (end: number) => {
    const statement = text.slice(start, end).trim();
    if (statement !== "" && !isOnlyComments(statement)) statements.push(statement);
  };
  while (i < n) {
    const c = text[i];
    if (c === "'" || c === '"') {
      i = skipQuoted(text, i, c);
    } else if (c === "-" && text[i + 1] === "-") {
      const newline = text.indexOf("\n", i);
      i = newline === -1 ? n : newline + 1;
    } else if (c === "/" && text[i + 1] === "*") {
      i = skipBlockComment(text, i);
    } else if (c === "$") {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(text.slice(i))?.[0];
      if (tag === undefined) i++;
      else {
        const close = text.indexOf(tag, i + tag.length);
        i = close === -1 ? n : close + tag.length;
      }
    } else if (c === ";") {
      push(i);
      i++;
      start = i;
    } else i++;
  }
  push(n);
  return statements;
}

function skipQuoted(text: string, at: number, quote: string): number {
  let i = at + 1;
  while (i < text.length) {
    if (text[i] === quote) {
      if (text[i + 1] === quote) i += 2;
      else return i + 1;
    } else i++;
  }
  return text.length;
}

function skipBlockComment(text: string, at: number): number {
  let depth = 0;
  let i = at;
  while (i < text.length) {
    if (text[i] === "/" && text[i + 1] === "*") {
      depth++;
      i += 2;
    } else if (text[i] === "*" && text[i + 1] === "/") {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else i++;
  }
  return text.length;
}

function isOnlyComments(statement: string): boolean {
  return (
    statement
      .replace(/--[^\n]*/g, "")
      .replace(/\/\*[\s\S]*?\*\//g, "")
      .trim() === ""
  );
}

function statementsOf(d: Directive): string[] {
  const statements = splitStatements(d.input);
  if (statements.length === 0) throw d.error(`${d.cmd}: expected SQL statements as input`);
  return statements;
}

function busy(d: Directive, session: SqlSession): void {
  if (session.pending !== undefined)
    throw d.error(`session ${session.name} has statements pending: await-sql or async-cancel them first`);
}

function allowArgs(d: Directive, keys: readonly string[]): void {
  for (const arg of d.args) {
    if (!keys.includes(arg.key))
      throw d.error(`${d.cmd}: unknown argument ${arg.key}; expected ${keys.join(", ")}`);
  }
}

function noInput(d: Directive): void {
  if (d.input !== "") throw d.error(`${d.cmd} takes no input`);
}

function timeoutArg(d: Directive, fallbackMs: number): number {
  const ms = d.durationMsArg("timeout", fallbackMs);
  if (!(ms > 0) || ms > MAX_SQL_TIMEOUT_MS)
    throw d.error("timeout: expected a duration above 0 and at most 10m");
  return ms;
}

const TIMED_OUT = Symbol("timed out");

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
