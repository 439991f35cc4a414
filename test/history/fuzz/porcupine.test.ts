/** Fuzzing the Porcupine etcd log reader: malformed input is a UsageError (file:line), never another exception or a hang. */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../../src/errors/index.js";
import { parsePorcupineEtcd } from "../../../src/history/import/index.js";
import { FUZZ_RUNS, mutated, PARSE_MS_MAX } from "./mutate.js";

const etcd = join(dirname(fileURLToPath(import.meta.url)), "../../fixtures/porcupine/etcd/etcd_000.log");
const fixture = readFileSync(etcd, "utf8").split("\n").slice(0, 40).join("\n");

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
