/** Fuzzing the EDN reader and the Jepsen EDN importer: malformed input is a UsageError (file:line), never another exception or a hang. */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../../src/errors/index.js";
import { parseJepsenEdn } from "../../../src/history/import/index.js";
import { FUZZ_RUNS, mutated, PARSE_MS_MAX } from "./mutate.js";

const kv = join(dirname(fileURLToPath(import.meta.url)), "../../fixtures/porcupine/kv/c01-ok.txt");
const fixtures = [
  readFileSync(kv, "utf8").split("\n").slice(0, 12).join("\n"),
  [
    "[{:type :invoke, :f :write, :value [:k 1], :process 0, :time 10}",
    ' {:type :ok, :f :write, :value [:k 1], :process 0, :time 20, :node "n1"}',
    " #jepsen.history.Op{:type :invoke, :f :read, :value [:k nil], :process 1, :time 30}",
    " {:type :ok, :f :read, :value [:k 1], :process 1, :time 40} ; a comment",
    " {:type :info, :f :start, :value nil, :process :nemesis, :time 50, :extra #{1 2 \\a}}",
    ' #_ {:discarded true} {:type :invoke, :f :cas, :value [:k [1 2]], :process 0, :time 60, :error "x\\n"}]',
  ].join("\n"),
];

function parseOrUsageError(text: string): unknown {
  const started = performance.now();
  try {
    return parseJepsenEdn(text, "h.edn");
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  } finally {
    expect(performance.now() - started).toBeLessThan(PARSE_MS_MAX);
  }
}

describe("EDN reader fuzz (fast-check)", () => {
  it("the fixtures parse", () => {
    for (const text of fixtures) expect(parseOrUsageError(text)).toBeInstanceOf(Array);
  });

  it("thousands of mutated EDN histories: ops or a UsageError naming h.edn:line, nothing else", () => {
    fc.assert(
      fc.property(mutated(fixtures), (text) => {
        const result = parseOrUsageError(text);
        if (result instanceof UsageError) expect(result.message).toMatch(/^h\.edn(:\d+)?: /);
        else
          for (const op of result as { index: number }[]) expect(Number.isSafeInteger(op.index)).toBe(true);
      }),
      { numRuns: FUZZ_RUNS, seed: 21 },
    );
  });

  it("generated op maps round-trip: what is written is what is read", () => {
    const scalar = fc.oneof(fc.constant(null), fc.maxSafeInteger(), fc.string(), fc.boolean());
    const value = fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }));
    const edn = (v: unknown): string =>
      v === null
        ? "nil"
        : Array.isArray(v)
          ? `[${v.map(edn).join(" ")}]`
          : typeof v === "string"
            ? JSON.stringify(v)
            : String(v);
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ f: fc.constantFrom("read", "write"), input: value, output: value, key: fc.string() }),
          {
            maxLength: 15,
          },
        ),
        (calls) => {
          const lines: string[] = [];
          for (const call of calls) {
            const key = JSON.stringify(call.key);
            lines.push(`{:type :invoke, :f :${call.f}, :key ${key}, :value ${edn(call.input)}, :process 0}`);
            lines.push(`{:type :ok, :f :${call.f}, :key ${key}, :value ${edn(call.output)}, :process 0}`);
          }
          const ops = parseJepsenEdn(lines.join("\n"), "h.edn");
          expect(ops.map((op) => [op.type, op.f, op.key, op.value])).toEqual(
            calls.flatMap((c) => [
              ["invoke", c.f, c.key, c.input],
              ["ok", c.f, c.key, c.output],
            ]),
          );
        },
      ),
      { numRuns: 500, seed: 22 },
    );
  });
});
