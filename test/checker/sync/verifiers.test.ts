import { describe, expect, it } from "vitest";
import {
  notApplicable,
  type SnapshotEvent,
  type SyncSnapshot,
  toReportVerification,
  verifyActionLogConvergence,
  verifyCausalOrder,
  verifyConvergence,
  verifyEventCounts,
  verifyFieldLevelMerge,
  verifyIdempotency,
  verifyMonotonicSequence,
  verifyReadYourWrites,
} from "../../../src/checker/sync/index.js";

function event(
  seq: number | null,
  eventId: string,
  entity: string,
  action: string,
  extra: Partial<SnapshotEvent> = {},
) {
  return { seq, eventId, entity, action, ...extra } satisfies SnapshotEvent;
}

const log: SnapshotEvent[] = [
  event(1, "a-e1", "a-1", "create", { actor: "a", fields: { title: "x", status: "open" }, clock: "001:0:a" }),
  event(2, "b-e1", "a-1", "update", { actor: "b", fields: { title: "y" }, clock: "003:0:b" }),
  event(3, "a-e2", "a-1", "update", { actor: "a", fields: { status: "done" }, clock: "002:0:a" }),
];

function snap(
  owner: string,
  entities: SyncSnapshot["entities"],
  events: SnapshotEvent[] | null = log,
): SyncSnapshot {
  return events === null ? { owner, entities } : { owner, entities, events };
}

const merged = { "a-1": { title: "y", status: "done" } };

describe("convergence", () => {
  it("passes on equal snapshots and names entity, field and both values when they differ", () => {
    expect(verifyConvergence([snap("a", merged), snap("b", merged)]).valid).toBe(true);
    const bad = verifyConvergence([snap("a", merged), snap("b", { "a-1": { title: "x", status: "done" } })]);
    expect(bad.valid).toBe(false);
    expect(bad.details).toEqual(['entity a-1 field title: a has "y", b has "x"']);
    const missing = verifyConvergence([snap("a", merged), snap("b", {})]);
    expect(missing.details).toEqual(["entity a-1: a has it, b does not"]);
  });

  it("is unknown with one snapshot", () => {
    expect(verifyConvergence([snap("a", merged)]).valid).toBe("unknown");
  });
});

describe("idempotency", () => {
  it("passes when nothing changed and lists what changed otherwise", () => {
    const before = [snap("a", merged)];
    expect(verifyIdempotency(before, [snap("a", merged)], { rounds: 2 }).valid).toBe(true);
    const duplicated = [
      ...log,
      event(4, "a-e2", "a-1", "update", { actor: "a", fields: { status: "done" } }),
    ];
    const result = verifyIdempotency(before, [snap("a", merged, duplicated)], { rounds: 2 });
    expect(result.valid).toBe(false);
    expect(result.details).toEqual([
      "a: 3 events before, 4 after 2 more sync round(s)",
      "a: event a-e2 (update of a-1) again at seq 4",
    ]);
  });
});

describe("eventCounts", () => {
  it("finds a duplicated event id, a count mismatch between actors and one outside the model's bounds", () => {
    expect(verifyEventCounts([snap("a", merged), snap("b", merged)]).valid).toBe(true);
    const dup = [...log, event(4, "a-e2", "a-1", "update")];
    const result = verifyEventCounts([snap("a", merged), snap("b", merged, dup)]);
    expect(result.valid).toBe(false);
    expect(result.details).toContain("b has event a-e2 (update of a-1) 2 times");
    expect(result.details).toContain("a-1 update: a has 2 event(s), b has 3");
    const model = verifyEventCounts([snap("a", merged)], { expected: { "a-1": { min: 4, max: 5 } } });
    expect(model.details).toEqual(["entity a-1: a has 3 event(s), the model expects 4 to 5"]);
  });

  it("is unknown without an event log", () => {
    expect(verifyEventCounts([snap("a", merged, null)]).valid).toBe("unknown");
  });
});

describe("actionLogConvergence", () => {
  it("compares the events at each shared seq", () => {
    expect(verifyActionLogConvergence([snap("a", merged), snap("b", merged, log.slice(0, 2))]).valid).toBe(
      true,
    );
    const swapped = [log[0]!, { ...log[2]!, seq: 2 }, { ...log[1]!, seq: 3 }];
    const result = verifyActionLogConvergence([snap("a", merged), snap("b", merged, swapped)]);
    expect(result.valid).toBe(false);
    expect(result.details[0]).toBe("seq 2: a has update of a-1 (b-e1), b has update of a-1 (a-e2)");
  });
});

describe("causalOrder", () => {
  it("wants every entity's create before its other events", () => {
    expect(verifyCausalOrder([snap("a", merged)]).valid).toBe(true);
    const early = [event(1, "b-e1", "a-1", "update"), event(2, "a-e1", "a-1", "create")];
    const result = verifyCausalOrder([snap("a", merged, early)]);
    expect(result.details).toEqual(["a: update of a-1 at seq 1 precedes its create (at seq 2)"]);
    const orphan = verifyCausalOrder([snap("a", {}, [event(1, "x", "ghost", "delete")])]);
    expect(orphan.details).toEqual(["a: delete of ghost at seq 1 precedes its create (which is missing)"]);
  });
});

describe("monotonicSequence", () => {
  it("fails on a repeated or decreasing seq and notes gaps without failing", () => {
    const gappy = [log[0]!, { ...log[2]!, seq: 5 }];
    const gaps = verifyMonotonicSequence([snap("a", merged, gappy)]);
    expect(gaps.valid).toBe(true);
    expect(gaps.details).toEqual(["a: 1 gap(s) in the sequence (noted, not a failure)"]);
    const repeated = verifyMonotonicSequence([snap("a", merged, [log[0]!, { ...log[1]!, seq: 1 }])]);
    expect(repeated.valid).toBe(false);
    expect(repeated.details).toEqual(["a: seq 1 (b-e1) follows seq 1 (a duplicate)"]);
  });

  it("is unknown when no event was acknowledged", () => {
    expect(verifyMonotonicSequence([snap("a", {}, [event(null, "a-e1", "a-1", "create")])]).valid).toBe(
      "unknown",
    );
  });
});

describe("readYourWrites", () => {
  it("wants each creator to see what it created", () => {
    expect(verifyReadYourWrites([snap("a", merged)], [{ actor: "a", entity: "a-1" }]).valid).toBe(true);
    const result = verifyReadYourWrites([snap("a", {})], [{ actor: "a", entity: "a-1" }]);
    expect(result.details).toEqual(["a created a-1 but does not see it"]);
    expect(verifyReadYourWrites([snap("a", merged)], []).valid).toBe("unknown");
  });
});

describe("fieldLevelMerge", () => {
  it("judges each field by its greatest-clock write", () => {
    expect(verifyFieldLevelMerge([snap("a", merged)]).valid).toBe(true);
    // A whole-row merge took b's row (greatest clock) with its stale status: a's concurrent status update is lost.
    const rowWins = verifyFieldLevelMerge([snap("a", { "a-1": { title: "y", status: "open" } })]);
    expect(rowWins.valid).toBe(false);
    expect(rowWins.details).toEqual([
      'a: entity a-1 field status is "open", expected "done" (the latest write is a-e2 by a at clock 002:0:a)',
    ]);
  });

  it("takes the scenario's expected values when given, and is unknown without clocks", () => {
    const expected = { "a-1": { title: "y", status: "done" } };
    expect(verifyFieldLevelMerge([snap("a", merged, null)], { expected }).valid).toBe(true);
    const lost = verifyFieldLevelMerge([snap("a", { "a-1": { title: "x", status: "done" } }, null)], {
      expected,
    });
    expect(lost.details).toEqual(['a: entity a-1 field title is "x", expected "y" (the scenario wrote it)']);
    expect(verifyFieldLevelMerge([snap("a", merged, null)]).valid).toBe("unknown");
  });
});

describe("toReportVerification", () => {
  it("passes only valid results and joins the explanation and findings", () => {
    const bad = verifyConvergence([snap("a", merged), snap("b", {})]);
    expect(toReportVerification(bad)).toEqual({
      name: "convergence",
      passed: false,
      status: "failed",
      details: "the snapshots differ (1 difference(s))\nentity a-1: a has it, b does not",
    });
    const one = toReportVerification(verifyConvergence([snap("a", merged)]));
    expect([one.passed, one.status]).toEqual([false, "unknown"]);
  });

  it("reports a verifier that does not apply as N/A with its reason, never as passed", () => {
    const na = notApplicable("eventCounts", "the server keeps no event log");
    expect(na.valid).toBe("unknown");
    expect(toReportVerification(na)).toEqual({
      name: "eventCounts",
      passed: false,
      status: "notApplicable",
      details: "not applicable: the server keeps no event log",
    });
  });
});
