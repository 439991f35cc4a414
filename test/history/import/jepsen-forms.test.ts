import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UsageError } from "../../../src/errors/index.js";
import {
  detectFormatFromPrefix,
  importHistoryFile,
  NO_TIMES_WARNING,
  parseJepsenJson,
} from "../../../src/history/import/index.js";

const fixtures = fileURLToPath(new URL("../../fixtures/jepsen/", import.meta.url));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "crucible-jepsen-forms-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
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

describe("Jepsen EDN in every form", () => {
  it("reads Elle's paper example: no :process, no :f, no :time, sparse :index", async () => {
    const imported = await importHistoryFile(join(fixtures, "paper-example.edn"));
    expect(imported.format).toBe("edn");
    expect(imported.ops).toHaveLength(8);
    expect(imported.ops.map((op) => op.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(imported.ops.every((op) => op.f === "txn")).toBe(true);
    // Each invocation is paired with the completion after it, under one synthetic process.
    expect(imported.ops[0]!.process).toBe(imported.ops[1]!.process);
    expect(imported.ops[2]!.process).not.toBe(imported.ops[0]!.process);
    expect(imported.ops[3]!.value).toEqual([
      ["append", 255, 8],
      ["r", 253, [1, 3, 4]],
    ]);
    expect(imported.timesKnown).toBe(false);
    expect(imported.warnings).toContain(NO_TIMES_WARNING);
  });

  it("reads a history whose first lines are ; comments, with times given (0)", async () => {
    const imported = await importHistoryFile(join(fixtures, "si-without-g-single.edn"));
    expect(imported.format).toBe("edn");
    expect(imported.ops).toHaveLength(8);
    expect(imported.ops.map((op) => op.process)).toEqual([2, 2, 4, 4, 7, 7, 9, 9]);
    expect(imported.ops[7]!.value).toEqual([
      ["append", 6, 2],
      ["r", 9, [2]],
    ]);
    expect(imported.timesKnown).toBe(true);
    expect(imported.warnings).toEqual([]);
  });

  it("reads a Knossos list ( ... ) with comments", async () => {
    const imported = await importHistoryFile(join(fixtures, "knossos-list.edn"));
    expect(imported.format).toBe("edn");
    expect(imported.ops.map((op) => [op.type, op.f, op.value])).toEqual([
      ["invoke", "write", 1],
      ["ok", "write", 1],
      ["invoke", "read", null],
      ["ok", "read", 1],
    ]);
  });

  it("turns EDN scalars into plain values: keywords, symbols, booleans as keys, non-string map keys", async () => {
    const path = await file(
      "scalars.edn",
      [
        "{:process 0 :type :invoke :f :txn :value [[:append :x 1] [:r sym nil]]}",
        "{:process 0 :type :ok :f :txn :value [[:append :x 1] [:r sym [\\a 2.5]]]}",
        "{:process 1 :type :invoke :f :read :key true :value nil}",
        "{:process 1 :type :ok :f :read :key true :value {0 10 :b 20}}",
      ].join("\n"),
    );
    const { ops } = await importHistoryFile(path);
    expect(ops[1]!.value).toEqual([
      ["append", "x", 1],
      ["r", "sym", ["a", 2.5]],
    ]);
    expect(ops[3]!.key).toBe("true");
    expect(ops[3]!.value).toEqual({ "0": 10, b: 20 });
  });

  it("a history whose every transaction has two micro-ops is not read as [k v] tuples", async () => {
    const path = await file(
      "two-micro-ops.edn",
      "{:type :invoke :process 0 :value [[:append 1 1] [:r 2 nil]]}\n{:type :ok :process 0 :value [[:append 1 1] [:r 2 [3]]]}\n",
    );
    const { ops } = await importHistoryFile(path);
    expect(ops[1]!.key).toBeUndefined();
    expect(ops[1]!.value).toEqual([
      ["append", 1, 1],
      ["r", 2, [3]],
    ]);
  });

  it("refuses two open invocations without :process, naming the line", async () => {
    const path = await file(
      "ambiguous.edn",
      "{:type :invoke :value [[:r 1 nil]]}\n{:type :invoke :value [[:r 2 nil]]}\n",
    );
    const error = await importError(path);
    expect(error.message).toContain("ambiguous.edn:2");
    expect(error.message).toContain(":process");
  });

  it("refuses a missing :f when the value is no transaction", async () => {
    const path = await file("nof.edn", "{:type :invoke :process 0 :value 3}\n");
    const error = await importError(path);
    expect(error.message).toContain("nof.edn:1");
    expect(error.message).toContain(":f");
  });
});

describe("Jepsen JSON export", () => {
  it("reads an array of ops with string type and f and micro-op arrays", async () => {
    const imported = await importHistoryFile(join(fixtures, "export.json"));
    expect(imported.format).toBe("jepsen-json");
    expect(imported.ops).toHaveLength(5);
    expect(imported.ops[2]).toMatchObject({
      index: 2,
      time: 3000,
      type: "ok",
      process: 0,
      f: "txn",
      value: [
        ["append", 1, 1],
        ["r", 2, []],
      ],
    });
    expect(imported.ops[4]!.process).toBe("nemesis");
    expect(imported.timesKnown).toBe(true);
  });

  it("reads one op per line without index or time, assigning indices in file order", async () => {
    const path = await file(
      "lines.json",
      '{"type":"invoke","process":3,"f":"txn","value":[["w",1,5]]}\n{"type":"ok","process":3,"f":"txn","value":[["w",1,5]]}\n',
    );
    const imported = await importHistoryFile(path);
    expect(imported.format).toBe("jepsen-json");
    expect(imported.ops.map((op) => op.index)).toEqual([0, 1]);
    expect(imported.timesKnown).toBe(false);
    expect(imported.warnings).toEqual([NO_TIMES_WARNING]);
  });

  it("detects an array whose [ stands alone on the first line", () => {
    expect(detectFormatFromPrefix('[\n  {"type": "invoke"}]')).toBe("jepsen-json");
    expect(detectFormatFromPrefix("[\n  {:type :invoke}]")).toBe("edn");
    expect(detectFormatFromPrefix("; a comment\n({:type :invoke})")).toBe("edn");
    expect(detectFormatFromPrefix('{"index":0,"time":5,"type":"invoke"}')).toBe("jsonl");
    expect(detectFormatFromPrefix('{"type":"invoke"}')).toBe("jepsen-json");
  });

  it("names the op's line for a bad op, an unsafe integer and a broken array", () => {
    expect(() =>
      parseJepsenJson(
        '[\n{"type":"invoke","process":0,"f":"r","value":null},\n{"type":"bogus"}\n]',
        "h.json",
      ),
    ).toThrow(/h\.json:3.*"type"/);
    expect(() =>
      parseJepsenJson('[{"type":"invoke","process":0,"f":"r","value":9007199254740993}]', "h.json"),
    ).toThrow(/h\.json:1/);
    expect(() => parseJepsenJson('[{"type":"invoke","process":0,"f":"r"}', "h.json")).toThrow(/not closed/);
    expect(() => parseJepsenJson("[1, 2]", "h.json")).toThrow(/expected an op object/);
  });

  it("keeps a __proto__ field as data, not as the prototype", () => {
    const { ops } = parseJepsenJson(
      '[{"type":"invoke","process":0,"f":"r","value":null,"__proto__":{"polluted":true}}]',
      "h.json",
    );
    expect(Object.getPrototypeOf(ops[0])).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
