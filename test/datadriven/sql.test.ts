/**
 * The SQL directives (`--target postgres`) against a real, throwaway
 * PostgreSQL: sessions that span directives, a statement that blocks on a row
 * lock and is awaited or canceled, `wait-sql`, errors with their SQLSTATE,
 * and the usage errors a wrong file gets (file:line, exit 64).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDatadrivenCommand } from "../../src/cli/datadriven.js";
import { makeClusterHandler } from "../../src/datadriven/cluster-handler.js";
import { formatDatum, splitStatements } from "../../src/datadriven/directives/sql.js";
import { ExitCode } from "../../src/errors/index.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "crucible-dd-sql-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(name: string, text: string, target: string | null = "postgres") {
  const path = join(dir, name);
  writeFileSync(path, text);
  let out = "";
  const collect = (chunk: string): void => {
    out += chunk;
  };
  const code = await runDatadrivenCommand(
    [path],
    { rewrite: false, ...(target === null ? {} : { target }) },
    { makeHandler: makeClusterHandler, stdout: collect, stderr: collect },
  );
  return { code, out: out.replaceAll(dir, "<dir>") };
}

const SESSIONS = `sql
CREATE TABLE t (id int PRIMARY KEY, v text);
INSERT INTO t VALUES (1, 'one'), (2, 'two words'), (3, NULL)
----
CREATE
INSERT 3

sql
SELECT id, v, v IS NULL FROM t ORDER BY id; SELECT 'NULL', '', 1.5::float8
----
1 one f
2 "two words" f
3 NULL t
"NULL" "" 1.5

# A transaction that spans directives, in a named session.
sql session=a
BEGIN; UPDATE t SET v = 'uno' WHERE id = 1
----
BEGIN
UPDATE 1

# Each sql without session= is a new session: it does not see a's write.
sql
SELECT v FROM t WHERE id = 1
----
one

# b waits on a's row lock; the next directives run meanwhile.
async-sql session=b
UPDATE t SET v = 'eins' WHERE id = 1 RETURNING v
----

await-sql session=b timeout=300ms
----
(still running after 300ms)

sql session=a
COMMIT
----
COMMIT

await-sql session=b
----
eins

# A blocked statement canceled.
sql session=a
BEGIN; SELECT v FROM t WHERE id = 2 FOR UPDATE
----
BEGIN
"two words"

async-sql session=c
DELETE FROM t WHERE id = 2
----

async-cancel session=c
----

await-sql session=c
----
ERROR: canceling statement due to user request (SQLSTATE 57014)

sql session=a
ROLLBACK
----
ROLLBACK

# The first error ends the batch: the SELECT after it is not run.
sql
SELECT 1/0; SELECT 2
----
ERROR: division by zero (SQLSTATE 22012)

# A COMMIT of a failed transaction rolls back.
sql session=d
BEGIN; SELECT nope
----
BEGIN
ERROR: column "nope" does not exist (SQLSTATE 42703)

sql session=d
COMMIT
----
ROLLBACK

wait-sql timeout=2s
SELECT count(*) = 3 FROM t; SELECT true, 1 = 1
----
`;

describe("SQL directives on PostgreSQL", () => {
  it("runs sessions, blocking, cancel and wait-sql with stable outputs", { timeout: 60_000 }, async () => {
    const { code, out } = await cli("sessions.txt", SESSIONS);
    expect(out).toContain("17 passed, 0 mismatched, 0 errored");
    expect(code).toBe(ExitCode.valid);
  });

  it("fails wait-sql that never becomes true, naming the last output", { timeout: 60_000 }, async () => {
    const { code, out } = await cli("wait.txt", "wait-sql timeout=200ms\nSELECT false, true\n----\n");
    expect(code).toBe(ExitCode.runFailed);
    expect(out).toContain("wait-sql: not every value was true after 200ms; last output:\nf t");
  });

  it("cancels a plain sql that runs past its timeout", { timeout: 60_000 }, async () => {
    const { code, out } = await cli("slow.txt", "sql timeout=300ms\nSELECT pg_sleep(30)\n----\n");
    expect(code).not.toBe(ExitCode.valid);
    expect(out).toContain("slow.txt:1");
    expect(out).toContain("still running after 300ms; canceled");
  });

  it.each([
    ["await-sql session=x\n----\n", "await-sql: session x has nothing pending"],
    ["sql sesion=a\nSELECT 1\n----\n", "sql: unknown argument sesion; expected session, timeout"],
    ["sql\n-- only a comment\n----\n", "sql: expected SQL statements as input"],
    ["async-sql\nSELECT 1\n----\n", "session"],
    ["sql timeout=-1s\nSELECT 1\n----\n", "timeout"],
    [
      "async-sql session=a\nSELECT pg_sleep(5)\n----\n\nsql session=a\nSELECT 1\n----\n",
      "session a has statements pending",
    ],
  ])("refuses a wrong file with file:line: %s", { timeout: 60_000 }, async (text, expected) => {
    const { code, out } = await cli("bad.txt", text);
    expect(code).toBe(ExitCode.usage);
    expect(out).toMatch(/bad\.txt:\d+/);
    expect(out).toContain(expected);
  });

  it("says SQL directives need --target postgres", async () => {
    const { code, out } = await cli("none.txt", "sql\nSELECT 1\n----\n", null);
    expect(code).toBe(ExitCode.usage);
    expect(out).toContain("SQL directives need PostgreSQL");
    expect(out).toContain("--target postgres");
  });
});

describe("splitStatements", () => {
  it.each([
    ["SELECT 1; SELECT 2", ["SELECT 1", "SELECT 2"]],
    ["SELECT ';'; SELECT 'it''s'", ["SELECT ';'", "SELECT 'it''s'"]],
    ['SELECT 1 AS ";"', ['SELECT 1 AS ";"']],
    ["SELECT $$a;b$$; SELECT $f$;$f$", ["SELECT $$a;b$$", "SELECT $f$;$f$"]],
    ["SELECT 1 -- a; comment\n; SELECT 2", ["SELECT 1 -- a; comment", "SELECT 2"]],
    ["SELECT /* a; /* nested; */ b; */ 1", ["SELECT /* a; /* nested; */ b; */ 1"]],
    [";;  ; -- nothing\n", []],
    ["SELECT $1", ["SELECT $1"]],
  ])("%j", (text, expected) => {
    expect(splitStatements(text)).toEqual(expected);
  });
});

describe("formatDatum", () => {
  it.each([
    [null, "NULL"],
    [true, "t"],
    [false, "f"],
    ["plain", "plain"],
    ["two words", '"two words"'],
    ["", '""'],
    ["NULL", '"NULL"'],
    ['say "hi"', '"say \\"hi\\""'],
    [42, "42"],
    [{ a: 1 }, '{"a":1}'],
  ])("%j → %s", (value, expected) => {
    expect(formatDatum(value)).toBe(expected);
  });
});
