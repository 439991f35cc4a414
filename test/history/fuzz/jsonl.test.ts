/** Fuzzing the JSONL reader: malformed input is a UsageError (file:line), never another exception or a hang. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { UsageError } from "../../../src/errors/index.js";
import { importHistoryFile } from "../../../src/history/import/index.js";
import { type Op, opToJson } from "../../../src/history/op.js";
import { FUZZ_RUNS, mutated, PARSE_MS_MAX } from "./mutate.js";

const dir = mkdtempSync(join(tmpdir(), "crucible-fuzz-jsonl-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const path = join(dir, "history.jsonl");

const fixture = `${[
  '{"index":0,"time":0,"type":"invoke","process":0,"f":"write","key":"a","value":1}',
  '{"index":1,"time":5,"type":"invoke","process":1,"f":"read","key":"a","value":null}',
  '{"index":2,"time":9,"type":"ok","process":0,"f":"write","key":"a","value":1}',
  '{"index":3,"time":12,"type":"ok","process":1,"f":"read","key":"a","value":1}',
  '{"index":4,"time":20,"type":"invoke","process":"nemesis","f":"start-partition","value":{"nodes":["n1"]}}',
  '{"index":5,"time":30,"type":"info","process":"nemesis","f":"start-partition","value":{"nodes":["n1"]}}',
  '{"index":6,"time":31,"type":"invoke","process":0,"f":"cas","key":"a","value":[1,2]}',
  '{"index":7,"time":40,"type":"fail","process":0,"f":"cas","key":"a","value":[1,2],"error":"no"}',
].join("\n")}\n`;

async function readOrUsageError(text: string): Promise<Op[] | UsageError> {
  writeFileSync(path, text);
  const started = performance.now();
  try {
    return (await importHistoryFile(path, { format: "jsonl" })).ops;
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  } finally {
    expect(performance.now() - started).toBeLessThan(PARSE_MS_MAX);
  }
}

describe("JSONL reader fuzz (fast-check)", () => {
  it("thousands of mutated histories: ops or a UsageError naming the file, nothing else", async () => {
    await fc.assert(
      fc.asyncProperty(mutated([fixture]), async (text) => {
        const result = await readOrUsageError(text);
        if (result instanceof UsageError) expect(result.message.startsWith(path)).toBe(true);
        else for (const op of result) expect(Number.isSafeInteger(op.index)).toBe(true);
      }),
      { numRuns: FUZZ_RUNS, seed: 12, timeout: 2000 },
    );
  }, 30_000);

  it("auto-detection on mutated input: the same contract", async () => {
    await fc.assert(
      fc.asyncProperty(mutated([fixture]), async (text) => {
        writeFileSync(path, text);
        try {
          await importHistoryFile(path);
        } catch (error) {
          if (!(error instanceof UsageError)) throw error;
        }
      }),
      { numRuns: 1000, seed: 13, timeout: 2000 },
    );
  }, 30_000);

  it("valid histories round-trip exactly", async () => {
    const value = fc.oneof(
      fc.constant(null),
      fc.maxSafeInteger(),
      fc.string(),
      fc.array(fc.oneof(fc.maxSafeInteger(), fc.string()), { maxLength: 3 }),
    );
    const pairs = fc.array(
      fc.record({
        f: fc.constantFrom("read", "write", "cas"),
        value,
        output: value,
        key: fc.oneof(fc.string(), fc.nat()),
      }),
      { maxLength: 20 },
    );
    await fc.assert(
      fc.asyncProperty(pairs, async (calls) => {
        const ops: Op[] = [];
        for (const call of calls) {
          const base = { process: 0, f: call.f, key: call.key };
          ops.push({ ...base, index: ops.length, time: ops.length, type: "invoke", value: call.value });
          ops.push({ ...base, index: ops.length, time: ops.length, type: "ok", value: call.output });
        }
        const result = await readOrUsageError(ops.map((op) => `${opToJson(op)}\n`).join(""));
        expect(result).toEqual(ops);
      }),
      { numRuns: 500, seed: 14 },
    );
  }, 30_000);
});
