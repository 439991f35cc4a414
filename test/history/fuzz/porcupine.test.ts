/** Fuzzing the Porcupine etcd log reader: malformed input is a UsageError (file:line), never another exception or a hang. */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../../src/errors/index.js";
import { parsePorcupineEtcd } from "../../../src/history/import/index.js";
import { PorcupineEtcdParser } from "../../../src/history/import/porcupine-etcd.js";
import { FUZZ_RUNS, mutated, PARSE_MS_MAX } from "./mutate.js";

const etcd = join(dirname(fileURLToPath(import.meta.url)), "../../fixtures/porcupine/etcd/etcd_000.log");
const fixture = readFileSync(etcd, "utf8").split("\n").slice(0, 40).join("\n");

/** The reader without its byte scan: every line through the regular expression and the EDN reader. */
function parseByLines(text: string): unknown {
  const parser = new PorcupineEtcdParser("e.log");
  const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split("\n");
  try {
    for (let i = 0; i < lines.length; i++) parser.line(lines[i]!, i + 1);
    return parser.ops;
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
}

const outcome = (result: unknown): unknown =>
  result instanceof UsageError ? { error: result.message } : JSON.parse(JSON.stringify(result));

function parseOrUsageError(text: string): unknown {
  const started = performance.now();
  try {
    return parsePorcupineEtcd(text, "e.log");
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  } finally {
    expect(performance.now() - started).toBeLessThan(PARSE_MS_MAX);
  }
}

describe("Porcupine log fuzz (fast-check)", () => {
  it("the fixture parses", () => {
    expect(parseOrUsageError(fixture)).toBeInstanceOf(Array);
  });

  it("thousands of mutated logs: ops or a UsageError naming e.log:line, nothing else", () => {
    fc.assert(
      fc.property(mutated([fixture]), (text) => {
        const result = parseOrUsageError(text);
        if (result instanceof UsageError) expect(result.message).toMatch(/^e\.log:\d+: /);
        else
          for (const op of result as { process: unknown }[])
            expect(Number.isSafeInteger(op.process)).toBe(true);
      }),
      { numRuns: FUZZ_RUNS, seed: 31 },
    );
  });

  it("the byte scan reads what the line reader reads: the same ops (fields in the same order) or the same error", () => {
    const all = readdirSync(dirname(etcd)).map((name) => readFileSync(join(dirname(etcd), name), "utf8"));
    for (const text of all) expect(outcome(parseOrUsageError(text))).toEqual(outcome(parseByLines(text)));
    const keyOrder = (ops: unknown) => (ops as object[]).map((op) => Object.keys(op).join());
    expect(keyOrder(parseOrUsageError(all[0]!))).toEqual(keyOrder(parseByLines(all[0]!)));
    const tricky = [
      "INFO  jepsen.util - 007\t:invoke\t:cas\t[ -0  04 ]",
      "INFO  jepsen.util - 007\t:fail\t:cas\t[-0 4]",
      "INFO jepsen.util - 1 :invoke :write",
      "INFO jepsen.util - 1 :info :write :timed-out   ",
      "INFO jepsen.util - 2 :invoke :read nil",
      "INFO jepsen.util - 2 :fail :read :timed-out",
      "INFO jepsen.util - 3 :invoke :write 1234567890123456",
      "INFO jepsen.util - 4 :invoke :write 4x",
      "INFO jepsen.util - 5 :invoke :cas [1 2] 3",
      "INFO jepsen.util - 6 :invoke :cas [1,2]",
      "INFO jepsen.util - 7 :invoke :cas []",
      "INFO jepsen.util - 8 :invoke :read nilly",
      "INFO jepsen.util - 9 :okay :read 1",
      "INFO\u000bjepsen.util - 9 :invoke :read 1",
      "INFO jepsen.util - 1234567890123456 :invoke :read 1",
    ];
    // Each line alone, after an invocation of its process, and all of them in turn.
    const texts = tricky.flatMap((line, n) => [
      line,
      `${line.replace(/:(ok|okay|fail|info) :(\w+).*/, ":invoke :$2 nil")}\n${line}`,
      tricky.slice(0, n + 1).join("\n"),
    ]);
    for (const text of texts) expect(outcome(parseOrUsageError(text))).toEqual(outcome(parseByLines(text)));
    fc.assert(
      fc.property(mutated([fixture]), (text) => {
        expect(outcome(parseOrUsageError(text))).toEqual(outcome(parseByLines(text)));
      }),
      { numRuns: FUZZ_RUNS, seed: 33 },
    );
  });

  it("generated logs round-trip: process, type, f and value as written", () => {
    const call = fc.record({
      process: fc.integer({ min: 0, max: 999_999 }),
      f: fc.constantFrom("read", "write"),
      value: fc.integer({ min: -1000, max: 1000 }),
    });
    fc.assert(
      fc.property(fc.uniqueArray(call, { selector: (c) => c.process, maxLength: 15 }), (calls) => {
        const lines = calls.flatMap((c) => [
          `INFO  jepsen.util - ${c.process}\t:invoke\t:${c.f}\t${c.f === "read" ? "nil" : c.value}`,
          `INFO  jepsen.util - ${c.process}  :ok  :${c.f}  ${c.value}`,
        ]);
        const ops = parsePorcupineEtcd(lines.join("\n"), "e.log");
        expect(ops.map((op) => [op.process, op.type, op.f, op.value])).toEqual(
          calls.flatMap((c) => [
            [c.process, "invoke", c.f, c.f === "read" ? null : c.value],
            [c.process, "ok", c.f, c.value],
          ]),
        );
      }),
      { numRuns: 500, seed: 32 },
    );
  });
});
