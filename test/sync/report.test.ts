/**
 * The sync report's pass rule with N/A verifications, and how the summary
 * prints them; `verifySnapshots` reports a verifier the system says does
 * not apply as N/A with the reason instead of running it. Pure: no processes.
 */
import { describe, expect, it } from "vitest";
import {
  notApplicable,
  type SyncSnapshot,
  type VerificationResult,
  verifyConvergence,
} from "../../src/checker/sync/index.js";
import { Random } from "../../src/random/random.js";
import { ChaosEngine } from "../../src/sync/engine.js";
import { buildSyncReport, formatSyncReport } from "../../src/sync/report.js";
import { verifySnapshots } from "../../src/sync/verify.js";

const engine = new ChaosEngine<null>({
  actions: [{ name: "noop", weight: 1, run: async () => ({ outcome: "ok" }) }],
  actors: [{ name: "alice" }],
  model: null,
  random: new Random(1),
});

const passed: VerificationResult = { name: "convergence", valid: true, explanation: "same", details: [] };
const failed: VerificationResult = {
  name: "readYourWrites",
  valid: false,
  explanation: "lost",
  details: ["x"],
};
const undecided: VerificationResult = {
  name: "idempotency",
  valid: "unknown",
  explanation: "?",
  details: [],
};
const na = notApplicable("eventCounts", "the server keeps no event log");

function pass(verifications: VerificationResult[]): boolean {
  return buildSyncReport({ seed: 1, engine, verifications, durationMs: 1, syncCount: 0 }).pass;
}

describe("the sync report with N/A verifications", () => {
  it("passes when every verification passed or is N/A and one passed", () => {
    expect(pass([passed])).toBe(true);
    expect(pass([passed, na])).toBe(true);
  });

  it("does not pass on N/A alone, on an unknown, or on a failure", () => {
    expect(pass([na])).toBe(false);
    expect(pass([])).toBe(false);
    expect(pass([passed, na, undecided])).toBe(false);
    expect(pass([passed, na, failed])).toBe(false);
  });

  it("prints N/A with the reason once", () => {
    const report = buildSyncReport({
      seed: 1,
      engine,
      verifications: [passed, na],
      durationMs: 1,
      syncCount: 0,
    });
    const lines = formatSyncReport(report).split("\n");
    expect(lines).toContain("  N/A  eventCounts: the server keeps no event log");
    expect(lines).toContain("  PASS convergence");
    expect(lines.at(-1)).toBe("PASS");
  });
});

describe("verifySnapshots with a system's notApplicable", () => {
  const snapshots: SyncSnapshot[] = [
    { owner: "alice", entities: { "alice-1": { title: "x" } } },
    { owner: "bob", entities: { "alice-1": { title: "x" } } },
  ];

  it("reports the listed verifiers as N/A with their reasons and runs the rest", () => {
    const results = verifySnapshots(snapshots, {
      created: [{ actor: "alice", entity: "alice-1" }],
      notApplicable: { eventCounts: "no log", monotonicSequence: "no sequence numbers" },
    });
    const byName = Object.fromEntries(results.map((r) => [r.name, r]));
    expect(byName.eventCounts).toEqual(notApplicable("eventCounts", "no log"));
    expect(byName.monotonicSequence?.explanation).toBe("not applicable: no sequence numbers");
    expect(byName.convergence).toEqual(verifyConvergence(snapshots));
    expect(byName.readYourWrites?.valid).toBe(true);
    // Not listed, and without an event log: unknown, as before (not N/A, not a pass).
    expect(byName.causalOrder?.valid).toBe("unknown");
    expect(byName.causalOrder?.notApplicable).toBeUndefined();
  });
});
