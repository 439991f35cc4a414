import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UsageError } from "../../../src/errors/index.js";
import {
  detectFormat,
  EdnSet,
  importHistoryFile,
  Keyword,
  parseEdn,
  parseJepsenEdn,
  parsePorcupineEtcd,
} from "../../../src/history/import/index.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "crucible-import-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error("expected a UsageError");
}

describe("EDN reader", () => {
  it("reads maps, vectors, lists, sets, keywords, strings with escapes, numbers, nil, booleans", () => {
    const value = parseEdn(
      '{:a [1 -2 3.5 1e3 7N] :b (nil true false) :c #{:x} :d "q\\"\\n\\u0041" ; comment\n :e #_ 9 \\z}',
    );
    expect(value).toBeInstanceOf(Map);
    const map = value as Map<unknown, unknown>;
    const get = (k: string) => [...map].find(([key]) => key instanceof Keyword && key.name === k)?.[1];
    expect(get("a")).toEqual([1, -2, 3.5, 1000, 7]);
    expect(get("b")).toEqual([null, true, false]);
    expect(get("c")).toBeInstanceOf(EdnSet);
    expect(get("d")).toBe('q"\nA');
    expect(get("e")).toBe("z");
  });
  it("keeps the value of a tagged literal", () => {
    expect(parseEdn('#inst "2020-01-01"')).toBe("2020-01-01");
  });
});

describe("Jepsen EDN histories", () => {
  it("one map per line, with times, nemesis ops and extra fields", () => {
    const ops = parseJepsenEdn(
      [
        "{:type :invoke, :f :write, :value 3, :process 0, :time 10}",
        "{:type :info, :f :start, :value nil, :process :nemesis, :time 11}",
        '{:type :ok, :f :write, :value 3, :process 0, :time 20, :node "n1", :extra [1 2]}',
      ].join("\n"),
      "h.edn",
    );
    expect(ops.map((op) => op.index)).toEqual([0, 1, 2]);
    expect(ops[0]).toMatchObject({ type: "invoke", f: "write", value: 3, process: 0, time: 10 });
    expect(ops[1]!.process).toBe("nemesis");
    expect(ops[2]).toMatchObject({ node: "n1", extra: [1, 2] });
  });
  it("a vector of ops, [k v] independent tuples, and synthesized times", () => {
    const ops = parseJepsenEdn(
      "[{:type :invoke, :f :read, :value [3 nil], :process 0}\n {:type :ok, :f :read, :value [3 5], :process 0}\n" +
        " {:type :invoke, :f :cas, :value [4 [1 2]], :process 1}\n {:type :fail, :f :cas, :value [4 [1 2]], :process 1}]",
      "h.edn",
    );
    expect(ops.map((op) => [op.key, op.value])).toEqual([
      [3, null],
      [3, 5],
      [4, [1, 2]],
      [4, [1, 2]],
    ]);
    expect(ops[1]!.time).toBeGreaterThan(ops[0]!.time);
  });
  it("a plain cas history is not mistaken for tuples (reads invoke with nil)", () => {
    const ops = parseJepsenEdn(
      "{:type :invoke, :f :read, :value nil, :process 0}\n{:type :ok, :f :read, :value nil, :process 0}\n" +
        "{:type :invoke, :f :cas, :value [1 2], :process 0}\n{:type :fail, :f :cas, :value [1 2], :process 0}",
      "h.edn",
    );
    expect(ops[2]!.key).toBeUndefined();
    expect(ops[2]!.value).toEqual([1, 2]);
  });
  it("malformed input is a UsageError naming file:line and what was expected", () => {
    expect(
      usageError(() => parseJepsenEdn("{:type :invoke, :f :read, :process 0}\n{:type :ok :f", "x.edn"))
        .message,
    ).toMatch(/^x\.edn:2: malformed EDN: unclosed collection/);
    expect(
      usageError(() =>
        parseJepsenEdn("{:type :invoke, :f :read, :process 0}\n{:type :done, :f :read, :process 0}", "x.edn"),
      ).message,
    ).toMatch(/^x\.edn:2: expected :type, one of :invoke :ok :fail :info/);
    expect(
      usageError(() =>
        parseJepsenEdn(
          "{:type :invoke, :f :read, :process 0}\n{:type :invoke, :f :read, :process 0}",
          "x.edn",
        ),
      ).message,
    ).toMatch(/^x\.edn:2: process 0 invokes again while its operation from line 1 is still open/);
    expect(usageError(() => parseJepsenEdn("{:type :ok, :f :read, :process 2}", "x.edn")).where).toBe(
      "x.edn:1",
    );
    expect(
      usageError(() => parseJepsenEdn('{:type :invoke, :f :read, :process "p"}', "x.edn")).message,
    ).toMatch(/expected :process/);
  });
});

describe("Porcupine etcd logs", () => {
  it("reads tabs or spaces, cas pairs, failed cas as compare-failed, timed-out as info", () => {
    const ops = parsePorcupineEtcd(
      [
        "INFO  jepsen.util - 0\t:invoke\t:read\tnil",
        "INFO  jepsen.util - 0\t:ok\t:read\tnil",
        "INFO  jepsen.util - 1   :invoke   :cas   [1 4]",
        "INFO  jepsen.util - 1   :fail   :cas   [1 4]",
        "INFO  jepsen.util - 2\t:invoke\t:write\t3",
        "INFO  jepsen.util - 2\t:info\t:write\t:timed-out",
        "INFO  jepsen.util - 3\t:invoke\t:read\tnil",
        "INFO  jepsen.util - 3\t:fail\t:read\t:timed-out",
      ].join("\n"),
      "e.log",
    );
    expect(ops).toHaveLength(8);
    expect(ops[2]!.value).toEqual([1, 4]);
    expect(ops[3]).toMatchObject({ type: "fail", compareFailed: true });
    expect(ops[5]).toMatchObject({ type: "info", value: 3, error: "timed-out" });
    expect(ops[7]).toMatchObject({ type: "info" });
  });
  it("a malformed line names file:line", () => {
    const error = usageError(() =>
      parsePorcupineEtcd("INFO  jepsen.util - 0\t:invoke\t:read\tnil\nhello", "e.log"),
    );
    expect(error.where).toBe("e.log:2");
    expect(error.message).toMatch(/expected a Jepsen log line/);
    expect(
      usageError(() => parsePorcupineEtcd("INFO  jepsen.util - 0\t:invoke\t:cas\t[1 2", "e.log")).message,
    ).toMatch(/^e\.log:1: malformed value/);
  });
});

describe("files and format detection", () => {
  it("detects each format from its first line", () => {
    expect(detectFormat('{"index":0,"time":0}')).toBe("jsonl");
    expect(detectFormat("{:type :invoke, :f :read}")).toBe("edn");
    expect(detectFormat('{:process 9, :type :invoke, :f :append, :key "0"}')).toBe("porcupine-kv");
    expect(detectFormat("INFO  jepsen.util - 3\t:ok\t:read\tnil")).toBe("porcupine-etcd");
    expect(detectFormat("[{:type :ok}]")).toBe("edn");
    expect(detectFormat("hello")).toBeUndefined();
  });
  it("imports a Crucible history.jsonl and rejects an unknown format with file:line", async () => {
    const jsonl = join(dir, "history.jsonl");
    await writeFile(jsonl, '{"index":0,"time":0,"type":"invoke","process":0,"f":"read","value":null}\n');
    const imported = await importHistoryFile(jsonl);
    expect(imported.format).toBe("jsonl");
    expect(imported.ops).toHaveLength(1);
    const junk = join(dir, "junk.txt");
    await writeFile(junk, "\n\nhello\n");
    await expect(importHistoryFile(junk)).rejects.toThrow(new RegExp(`^${junk}:3: cannot tell the format`));
  });
});
