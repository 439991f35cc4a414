/**
 * Inputs that used to be read wrongly (a silently changed value, a false
 * verdict, a stack overflow) or too laxly: each is refused with file:line,
 * or judged right.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCheckCommand } from "../../src/cli/check.js";
import { UsageError } from "../../src/errors/index.js";
import {
  detectFormat,
  importHistoryFile,
  parseEdn,
  parseJepsenEdn,
  parsePorcupineEtcd,
  readFirstLine,
} from "../../src/history/import/index.js";

const dir = mkdtempSync(join(tmpdir(), "crucible-hostile-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileCount = 0;
function file(text: string, name = `h${fileCount++}.jsonl`): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function importError(path: string): Promise<UsageError> {
  try {
    await importHistoryFile(path);
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error("expected a UsageError");
}

function syncError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error("expected a UsageError");
}

const line = (op: Record<string, unknown>) => JSON.stringify(op);
const invoke = (index: number, f: string, value: unknown, extra: Record<string, unknown> = {}) =>
  line({ index, time: index, type: "invoke", process: 0, f, value, ...extra });
const ok = (index: number, f: string, value: unknown, extra: Record<string, unknown> = {}) =>
  line({ index, time: index, type: "ok", process: 0, f, value, ...extra });

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, options: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t) } };
}

describe("big integers are never silently rounded", () => {
  it("JSONL: writing 9007199254740993 and reading it back is refused, not 'valid'", async () => {
    const path = file(
      `${[
        invoke(0, "write", 1),
        ok(1, "write", 1),
        '{"index":2,"time":2,"type":"invoke","process":0,"f":"write","value":9007199254740993}',
        '{"index":3,"time":3,"type":"ok","process":0,"f":"write","value":9007199254740993}',
      ].join("\n")}\n`,
    );
    const error = await importError(path);
    expect(error.message).toBe(
      `${path}:3: integer 9007199254740993 is beyond ±(2^53 − 1) and cannot be read exactly (it would silently change value); write it as a string`,
    );
    const io = capture();
    expect(await runCheckCommand([path], { format: "auto", model: "register" }, io.options)).toBe(64);
  });

  it("JSONL: the same digits inside a string, and large floats, are fine", async () => {
    const path = file(`${invoke(0, "write", "9007199254740993")}\n${ok(1, "write", "9007199254740993")}\n`);
    const { ops } = await importHistoryFile(path);
    expect(ops[0]!.value).toBe("9007199254740993");
    const floats = file(`${invoke(0, "write", 1.5e300)}\n${ok(1, "write", 1.5e300)}\n`);
    expect((await importHistoryFile(floats)).ops[1]!.value).toBe(1.5e300);
    const negative = file(
      '{"index":0,"time":0,"type":"invoke","process":0,"f":"write","value":{"k":[-12345678901234567890]}}\n',
    );
    expect((await importError(negative)).detail).toMatch(/^integer -12345678901234567890 is beyond/);
  });

  it("EDN: 123N and plain big integers are refused with file:line; safe N integers read", () => {
    const edn =
      "{:type :invoke, :f :write, :value 5N, :process 0}\n{:type :ok, :f :write, :value 9007199254740993N, :process 0}\n";
    expect(syncError(() => parseJepsenEdn(edn, "h.edn")).message).toMatch(
      /^h\.edn:2: malformed EDN: integer 9007199254740993N is beyond/,
    );
    expect(() => parseEdn("12345678901234567890")).toThrow(/beyond/);
    expect(parseEdn("[5N -9007199254740991]")).toEqual([5, -9007199254740991]);
  });

  it("Porcupine logs: a value with a big integer is refused", () => {
    const log = "INFO  jepsen.util - 3\t:invoke\t:write\t9007199254740993\n";
    expect(syncError(() => parsePorcupineEtcd(log, "e.log")).message).toMatch(/^e\.log:1: .*beyond/);
  });
});

describe("keys compare by value", () => {
  it("an object key read from several lines is one partition, whatever its key order", async () => {
    const path = file(
      `${[
        invoke(0, "write", 1, { key: { a: 1, b: 2 } }),
        ok(1, "write", 1, { key: { a: 1, b: 2 } }),
        invoke(2, "read", null, { key: { b: 2, a: 1 } }),
        ok(3, "read", 1, { key: { b: 2, a: 1 } }),
        invoke(4, "read", null, { key: [1, "x"] }),
        ok(5, "read", null, { key: [1, "x"] }),
        invoke(6, "write", 7, { key: [1, "x"] }),
        ok(7, "write", 7, { key: [1, "x"] }),
        invoke(8, "read", null, { key: [1, "x"] }),
        ok(9, "read", 7, { key: [1, "x"] }),
      ].join("\n")}\n`,
    );
    const io = capture();
    const code = await runCheckCommand([path], { format: "auto", model: "kv" }, io.options);
    expect(io.out.join("")).toMatch(/: valid \(kv, 5 ops/);
    expect(code).toBe(0);
  });
});

describe("no operations is no evidence", () => {
  it.each([
    ["an empty file", ""],
    ["blanks only", "  \n\n\t\n"],
    ["a byte order mark only", "\uFEFF"],
    ["a byte order mark and blanks", "\uFEFF\n  \n"],
  ])("%s: unknown, exit 2, 'no operations'", async (_name, text) => {
    const path = file(text);
    const io = capture();
    expect(await runCheckCommand([path], { format: "auto", model: "register" }, io.options)).toBe(2);
    expect(io.out.join("")).toMatch(/: unknown \(register, 0 ops.*\n {2}.*\n? *no operations/s);
  });

  it("/dev/null, and an explicit --format jsonl: unknown, exit 2", async () => {
    const io = capture();
    expect(await runCheckCommand(["/dev/null"], { format: "auto", model: "register" }, io.options)).toBe(2);
    expect(await runCheckCommand([file("\n")], { format: "jsonl", model: "register" }, io.options)).toBe(2);
    expect(io.out.join("")).toMatch(/no operations/);
  });
});

describe("lax JSONL is refused with file:line", () => {
  it("a BOM is stripped: the first op reads, and messages carry no invisible character", async () => {
    const good = file(`\uFEFF${invoke(0, "write", 1)}\n${ok(1, "write", 1)}\n`);
    expect((await importHistoryFile(good)).ops).toHaveLength(2);
    const bad = file(`\uFEFF{"index":0}\n`);
    const error = await importError(bad);
    expect(error.message).not.toContain("\uFEFF");
    expect(error.where).toBe(`${bad}:1`);
  });

  it("5,000-deep nesting: a clear message with its line, no stack overflow", async () => {
    const deep = `${"[".repeat(5000)}${"]".repeat(5000)}`;
    const path = file(
      `${invoke(0, "write", 1)}\n{"index":1,"time":1,"type":"ok","process":0,"f":"write","value":${deep}}\n`,
    );
    const error = await importError(path);
    expect(error.message).toBe(`${path}:2: a value nests deeper than 100 levels; expected flatter data`);
  });

  it.each([
    ["a duplicate index", 0],
    ["a gap", 2],
    ["1e300", "1e300"],
  ])("%s in `index`", async (_name, index) => {
    const path = file(
      `${invoke(0, "write", 1)}\n{"index":${index},"time":1,"type":"ok","process":0,"f":"write","value":1}\n`,
    );
    const error = await importError(path);
    expect(error.where).toBe(`${path}:2`);
    expect(error.detail).toMatch(/`index`/);
  });

  it("a completion whose f differs from its invocation (as EDN already refuses)", async () => {
    const path = file(`${invoke(0, "write", 1)}\n${ok(1, "read", 1)}\n`);
    expect((await importError(path)).message).toBe(
      `${path}:2: process 0 completes "read" but invoked "write" on line 1; expected the invocation's f`,
    );
  });
});

describe("lax EDN is refused with file:line", () => {
  const wrap = (value: string) =>
    `{:type :invoke, :f :write, :value 1, :process 0}\n{:type :ok, :f :write, :value ${value}, :process 0}\n`;

  it.each(["##NaN", "##Inf", "##-Inf"])("%s is refused and swallows nothing", (symbolic) => {
    expect(syncError(() => parseJepsenEdn(wrap(symbolic), "h.edn")).message).toMatch(
      new RegExp(`^h\\.edn:2: malformed EDN: ${symbolic} is not a finite number`),
    );
    expect(() => parseEdn(`[${symbolic} 1]`)).toThrow(/not a finite number/);
  });

  it("a duplicate map key or set element", () => {
    const edn = "{:type :invoke, :f :write, :value 1, :process 0, :process 1}\n";
    expect(syncError(() => parseJepsenEdn(edn, "h.edn")).message).toBe(
      "h.edn:1: malformed EDN: duplicate map key :process; a map's keys must differ",
    );
    expect(() => parseEdn('{"a" 1 "a" 2}')).toThrow(/duplicate map key "a"/);
    expect(() => parseEdn("{[1 2] 1 [1 2] 2}")).toThrow(/duplicate map key \[1 2\]/);
    expect(() => parseEdn("#{1 2 1}")).toThrow(/duplicate set element 1/);
  });

  it(":time 1e999 is out of range", () => {
    const edn = "{:type :invoke, :f :read, :value nil, :process 0, :time 1e999}\n";
    expect(syncError(() => parseJepsenEdn(edn, "h.edn")).message).toMatch(
      /^h\.edn:1: .*1e999 is beyond a double's range/,
    );
  });

  it("a '#' comment line says EDN comments start with ';'", async () => {
    const path = file(`# a comment\n${wrap("1")}`, "c.edn");
    const error = await importError(path);
    expect(error.where).toBe(`${path}:1`);
    expect(error.detail).toMatch(/EDN has no '#' comments \(';' starts a comment/);
    // What EDN does have still works.
    expect(parseJepsenEdn(`; a comment\n#_ {:ignored 1}\n${wrap("1")}`, "h.edn")).toHaveLength(2);
  });

  it("5,000-deep nesting: a clear message with its line", () => {
    const edn = `{:type :invoke, :f :write, :process 0,\n :value ${"[".repeat(5000)}${"]".repeat(5000)}}\n`;
    expect(syncError(() => parseJepsenEdn(edn, "h.edn")).message).toBe(
      "h.edn:2: malformed EDN: nesting deeper than 100 levels; expected flatter data",
    );
  });
});

describe("Porcupine logs take decimal process ids only", () => {
  it.each(["0x10", "1e3", "1.0", "12345678901234567890", "-1", "Infinity"])("%s is refused", (id) => {
    const log = `INFO  jepsen.util - ${id}\t:invoke\t:read\tnil\n`;
    const error = syncError(() => parsePorcupineEtcd(log, "e.log"));
    expect(error.message).toBe(`e.log:1: expected a process number (decimal digits, at most 15), got ${id}`);
  });
});

describe("format detection reads a bounded prefix", () => {
  it("a file far bigger than a string may be is detected from its first 64 KiB", () => {
    const path = join(dir, "huge.jsonl");
    writeFileSync(path, `\n\n  {"index":0,"time":0,"type":"invoke","process":0,"f":"write","value":"`);
    // A sparse 4 GiB file: reading it whole would fail with "Invalid string length".
    execFileSync("truncate", ["-s", "4G", path]);
    const first = readFirstLine(path)!;
    expect(first.lineNumber).toBe(3);
    expect(first.bytesRead).toBeLessThanOrEqual(2 * 64 * 1024);
    expect(detectFormat(first.text)).toBe("jsonl");
  });

  it("detection skips a BOM and blank lines, and finds nothing in blanks", () => {
    expect(readFirstLine(file("\uFEFF\n\n[{:type :ok}]\n"))).toMatchObject({
      text: "[{:type :ok}]",
      lineNumber: 3,
    });
    expect(readFirstLine(file(" \n\t\n"))).toBeUndefined();
    expect(readFirstLine("/dev/null")).toBeUndefined();
  });
});

describe("check output escapes control characters from the history", () => {
  it("a key that would clear the terminal is printed escaped", async () => {
    const evil = "\u001b[2J\u001b[H✓ all valid\r\n";
    const path = file(
      `${[
        invoke(0, "write", 1, { key: evil }),
        ok(1, "write", 1, { key: evil }),
        invoke(2, "read", null, { key: evil }),
        ok(3, "read", 2, { key: evil }),
      ].join("\n")}\n`,
    );
    const io = capture();
    expect(await runCheckCommand([path], { format: "auto", model: "kv" }, io.options)).toBe(1);
    const text = io.out.join("");
    expect(text).toContain("\\u001b[2J");
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
  });
});

describe("EDN maps become plain objects without prototype tricks", () => {
  it("a __proto__ key is kept as an own field, as JSON.parse keeps it", () => {
    const edn = '{:type :invoke, :f :write, :value {"__proto__" {"polluted" 1}}, :process 0, :__proto__ 5}\n';
    const [op] = parseJepsenEdn(edn, "h.edn");
    expect(Object.keys(op!.value as object)).toEqual(["__proto__"]);
    expect(Object.getPrototypeOf(op!.value)).toBe(Object.prototype);
    expect(Object.hasOwn(op!, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
