/**
 * Hermitage's PostgreSQL suite as datadriven files
 * (`examples/datadriven/hermitage/<level>/<anomaly>.txt`), run on one
 * throwaway PostgreSQL: every file must match, and what each file's outputs
 * show (the anomaly happened, or PostgreSQL prevented it) must be the cell of
 * Hermitage's published table for PostgreSQL (github.com/ept/hermitage:
 * read committed prevents G0, G1a, G1b, G1c and OTV and permits PMP, P4,
 * G-single, G2-item and G2; repeatable read also prevents PMP, P4 and
 * G-single; serializable prevents all ten).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SqlHarness, sqlDirectives } from "../../src/datadriven/directives/sql.js";
import { genericDirectives, tableHandler } from "../../src/datadriven/generic.js";
import { parseDataDriven } from "../../src/datadriven/parser.js";
import { perFile, walkDataDriven } from "../../src/datadriven/run.js";

const ROOT = "examples/datadriven/hermitage";
const LEVELS = ["read-committed", "repeatable-read", "serializable"] as const;
type Level = (typeof LEVELS)[number];
type Cell = "prevented" | "permitted";

/** Hermitage's PostgreSQL row, per anomaly: the levels at which it is permitted. */
const PERMITTED_AT: Readonly<Record<string, readonly Level[]>> = {
  G0: [],
  G1a: [],
  G1b: [],
  G1c: [],
  OTV: [],
  PMP: ["read-committed"],
  P4: ["read-committed"],
  "G-single": ["read-committed"],
  "G2-item": ["read-committed", "repeatable-read"],
  G2: ["read-committed", "repeatable-read"],
};

/** The expected output of every directive of `file`, in order. */
function outputs(file: string): string[] {
  const parsed = parseDataDriven(readFileSync(file, "utf8"), { path: file });
  return parsed.directives.map((entry) => entry.directive.expected);
}

const SERIALIZATION_FAILURE = "(SQLSTATE 40001)";

/**
 * What a file's outputs show, per anomaly: the observation that would be
 * impossible without the anomaly (a read of a value that should be
 * invisible), or the serialization failure that prevented it.
 */
const WITNESS: Readonly<Record<string, (outs: readonly string[]) => Cell>> = {
  // The final state mixes both writers (11 with 22, or 12 with 21).
  G0: (outs) => (/1 11\n2 22|1 12\n2 21/.test(outs.at(-1) ?? "") ? "permitted" : "prevented"),
  // T2 saw T1's rolled-back or intermediate 101.
  G1a: (outs) => (outs.some((o) => o.includes("1 101")) ? "permitted" : "prevented"),
  G1b: (outs) => (outs.some((o) => o.includes("1 101")) ? "permitted" : "prevented"),
  // Each saw the other's uncommitted write.
  G1c: (outs) => (outs.some((o) => o.includes("2 22") || o.includes("1 11")) ? "permitted" : "prevented"),
  // T3 saw T1's 11, and later the 20 that T1 overwrote.
  OTV: (outs) => (outs.some((o) => o.includes("2 20")) ? "permitted" : "prevented"),
  // T1's second predicate read saw T2's committed insert.
  PMP: (outs) => (outs.some((o) => o.includes("3 30")) ? "permitted" : "prevented"),
  // T2's update was refused, or it overwrote T1's (the lost update).
  P4: (outs) => (outs.some((o) => o.includes(SERIALIZATION_FAILURE)) ? "prevented" : "permitted"),
  // T1 saw T2's 18 after having read the 10 T2 overwrote.
  "G-single": (outs) => (outs.some((o) => o.includes("2 18")) ? "permitted" : "prevented"),
  "G2-item": (outs) => (outs.some((o) => o.includes(SERIALIZATION_FAILURE)) ? "prevented" : "permitted"),
  G2: (outs) => (outs.some((o) => o.includes(SERIALIZATION_FAILURE)) ? "prevented" : "permitted"),
};

const harness = new SqlHarness({ seed: 7 });
afterAll(() => harness.close());

describe("Hermitage on PostgreSQL", () => {
  it("every file matches a real PostgreSQL", { timeout: 180_000 }, async () => {
    const results = await walkDataDriven(
      ROOT,
      perFile(async () => ({
        handler: tableHandler(genericDirectives(sqlDirectives(harness))),
        close: () => harness.resetSessions(),
      })),
    );
    expect(results).toHaveLength(LEVELS.length * Object.keys(PERMITTED_AT).length);
    const failed = results.filter((r) => r.status !== "pass");
    expect(failed.flatMap((r) => r.results.map((d) => d.message ?? "")).join("\n")).toBe("");
  });

  for (const level of LEVELS) {
    for (const [anomaly, permittedAt] of Object.entries(PERMITTED_AT)) {
      const expected: Cell = permittedAt.includes(level) ? "permitted" : "prevented";
      it(`${level}/${anomaly}.txt shows ${anomaly} ${expected}, as Hermitage's table says`, () => {
        const witness = WITNESS[anomaly];
        expect(witness).toBeDefined();
        expect(witness?.(outputs(join(ROOT, level, `${anomaly}.txt`)))).toBe(expected);
      });
    }
  }
});
