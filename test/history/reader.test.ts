import { appendFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors/index.js";
import { Journal } from "../../src/history/journal.js";
import { type Op, opToJson } from "../../src/history/op.js";
import { readHistoryFile } from "../../src/history/reader.js";

const dir = () => mkdtempSync(join(tmpdir(), "crucible-reader-"));
const op = (index: number, extra: Partial<Op> = {}): Op => ({
  index,
  time: index * 10,
  type: index % 2 === 0 ? "invoke" : "ok",
  process: 0,
  f: "write",
  value: index,
  ...extra,
});

describe("history journal and reader", () => {
  it("round-trips ops, fields in the documented order, extra fields preserved", async () => {
    const path = join(dir(), "history.jsonl");
    const journal = new Journal(path);
    const ops = [op(0, { key: "k", node: "n1", custom: { a: 1 } }), op(1, { error: "x" })];
    for (const o of ops) journal.append(o);
    journal.close();
    const { ops: read, warnings } = await readHistoryFile(path);
    expect(warnings).toEqual([]);
    expect(read).toEqual(ops);
    expect(Object.keys(JSON.parse(opToJson(ops[0]!)))).toEqual([
      "index",
      "time",
      "type",
      "process",
      "f",
      "key",
      "value",
      "node",
      "custom",
    ]);
  });

  it("tolerates a torn last line with a warning naming file:line", async () => {
    const path = join(dir(), "history.jsonl");
    writeFileSync(path, `${opToJson(op(0))}\n${opToJson(op(1))}\n{"index":2,"ti`);
    const { ops, warnings } = await readHistoryFile(path);
    expect(ops).toHaveLength(2);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`${path}:3: torn last line`);
  });

  it("rejects a malformed line in the middle with file:line and what was expected", async () => {
    const path = join(dir(), "history.jsonl");
    writeFileSync(path, `${opToJson(op(0))}\nnot json\n${opToJson(op(1))}\n`);
    await expect(readHistoryFile(path)).rejects.toThrow(UsageError);
    await expect(readHistoryFile(path)).rejects.toThrow(`${path}:2: not valid JSON`);
  });

  it("rejects an op with a missing or wrong field", async () => {
    const path = join(dir(), "history.jsonl");
    appendFileSync(path, `${JSON.stringify({ index: 0, time: 0, type: "done", process: 0, f: "read" })}\n`);
    await expect(readHistoryFile(path)).rejects.toThrow(
      `${path}:1: expected \`type\`, one of invoke|ok|fail|info`,
    );
  });
});

describe("a malformed last line", () => {
  it("that ends with a newline is bad input, not a torn write", async () => {
    const path = join(dir(), "history.jsonl");
    writeFileSync(path, `${opToJson(op(0))}\n{"index": oops}\n`);
    await expect(readHistoryFile(path)).rejects.toThrow(`${path}:2: not valid JSON`);
  });
});

describe("validatePairs", () => {
  it("names the line where a process invokes twice or completes without an invocation", async () => {
    const path = join(dir(), "history.jsonl");
    writeFileSync(path, `${opToJson(op(0))}\n${opToJson(op(2))}\n`);
    await expect(readHistoryFile(path, { validatePairs: true })).rejects.toThrow(
      `${path}:2: process 0 invokes again while its operation from line 1 is still open`,
    );
    writeFileSync(path, `${opToJson(op(1))}\n`);
    await expect(readHistoryFile(path, { validatePairs: true })).rejects.toThrow(
      `${path}:1: a completion (ok) for process 0, which has no open invocation`,
    );
  });
});
