/**
 * Elle's own histories (test/fixtures/elle/README.md for provenance and
 * what each holds), checked against the verdicts and anomaly names worked
 * out there; and, for every cycle reported, that it is a real cycle whose
 * steps chain from transaction to transaction.
 */
import { describe, expect, it } from "vitest";
import type { CycleAnomaly, TxnCheckResult } from "../../../src/checker/txn/index.js";
import { listAppend } from "../../../src/checker/txn/index.js";
import { readElleEdn } from "./helpers.js";

const fixture = (name: string) => readElleEdn(`test/fixtures/elle/${name}.edn`);

function expectRealCycles(result: TxnCheckResult): void {
  for (const [type, anomalies] of Object.entries(result.anomalies)) {
    for (const anomaly of anomalies) {
      if (!("steps" in anomaly)) continue;
      const { steps, cycle } = anomaly as CycleAnomaly;
      expect(steps.length, type).toBeGreaterThan(1);
      steps.forEach((step, i) => {
        expect(step.to, type).toBe(steps[(i + 1) % steps.length]!.from);
        expect(step.from, type).toBe(cycle[i]);
      });
      expect(new Set(cycle).size, `${type} is a simple cycle`).toBe(cycle.length);
    }
  }
}

describe("Elle's histories", () => {
  it("paper-example: invalid, a G-single (and a G2-item); not consistent view", () => {
    const result = listAppend({ consistencyModels: ["serializable"] }).check(fixture("paper-example"));
    expect(result.valid).toBe(false);
    expect(result.anomalyTypes).toEqual(["G-single", "G2-item"]);
    expect(result.not).toEqual(["consistent-view", "repeatable-read"]);
    const [cycle] = result.anomalies["G-single"]! as CycleAnomaly[];
    expect(cycle!.steps.map((s) => `${s.type} ${String(s.key)} ${String(s.value)}`).sort()).toEqual([
      "rw 255 8",
      "wr 255 8",
      "ww 256 3",
    ]);
    expectRealCycles(result);
  });

  it("paper-example under linearizable with --anomalies G-single-process is valid, as elle-cli's own test says", () => {
    const result = listAppend({ consistencyModels: ["linearizable"], anomalies: ["G-single-process"] }).check(
      fixture("paper-example"),
    );
    expect(result.valid).toBe(true);
  });

  it("si-without-g-single: G2-item only; snapshot isolation holds, repeatable read does not", () => {
    const history = fixture("si-without-g-single");
    const result = listAppend({ consistencyModels: ["serializable"] }).check(history);
    expect(result.anomalyTypes).toEqual(["G2-item"]);
    expect(result.not).toEqual(["repeatable-read"]);
    expectRealCycles(result);
    expect(listAppend({ consistencyModels: ["snapshot-isolation"] }).check(history).valid).toBe(true);
    // The edges the file's comments name, T1..T4 being the completions at ops 1, 3, 5, 7.
    const named = listAppend({ consistencyModels: ["serializable"], maxCyclesPerType: 100 }).check(history);
    const steps = Object.values(named.anomalies)
      .flat()
      .flatMap((a) => (a as CycleAnomaly).steps ?? [])
      .map((s) => `${s.from}-${s.type}-${s.to}:${String(s.key)}`);
    for (const edge of ["5-rw-7:6", "7-rw-5:9"]) expect(steps).toContain(edge);
  });

  it("huge-scc: a large strongly connected component searched to the end within the budget", () => {
    const result = listAppend().check(fixture("huge-scc"));
    expect(result.valid).toBe(false);
    expect(result.stats.largestComponent).toBeGreaterThan(1000);
    expect(result.anomalyTypes.length).toBeGreaterThan(0);
    expectRealCycles(result);
  });
});
