/**
 * The sync section's data (src/report/sync.ts) from hand-made histories: rows
 * counted from the action ops (an open action included, non-action ops left
 * out), times from invocation to completion, a disagreement with
 * results.json named, a malformed `sync` field read without throwing, and no
 * section for a run that is not a sync run.
 */
import { describe, expect, it } from "vitest";
import type { Op } from "../../src/history/op.js";
import type { Results } from "../../src/history/results.js";
import { buildSyncSection } from "../../src/report/sync.js";

const MS = 1_000_000;

function history(): Op[] {
  const ops: Omit<Op, "index">[] = [
    { type: "invoke", time: 0, process: 0, f: "create", value: null, actor: "alice" },
    { type: "ok", time: 5 * MS, process: 0, f: "create", value: "alice-1", actor: "alice", outcome: "ok" },
    { type: "invoke", time: 6 * MS, process: 1, f: "sync", value: null, actor: "bob" },
    { type: "fail", time: 9 * MS, process: 1, f: "sync", value: null, actor: "bob", outcome: "expectedFail" },
    { type: "invoke", time: 10 * MS, process: 0, f: "sync", value: null, actor: "alice" },
    {
      type: "info",
      time: 30 * MS,
      process: 0,
      f: "sync",
      value: null,
      actor: "alice",
      outcome: "unexpectedFail",
    },
    { type: "invoke", time: 31 * MS, process: 1, f: "delete", value: null, actor: "bob" },
    { type: "fail", time: 31 * MS, process: 1, f: "delete", value: null, actor: "bob", outcome: "skipped" },
    // A client op of another kind (no actor, no outcome): not a chaos action.
    { type: "invoke", time: 32 * MS, process: 2, f: "read", value: null },
    { type: "ok", time: 33 * MS, process: 2, f: "read", value: 1 },
    // Killed mid-action.
    { type: "invoke", time: 40 * MS, process: 0, f: "create", value: null, actor: "alice" },
  ];
  return ops.map((op, index) => ({ index, ...op }) as Op);
}

function results(sync: unknown): Results {
  return {
    valid: false,
    checkers: { convergence: { valid: false, explanation: "the snapshots differ" } },
    complete: true,
    stats: {} as Results["stats"],
    notes: [],
    ...(sync === undefined ? {} : { sync }),
  } as Results;
}

const stored = {
  seed: 3,
  actors: 2,
  durationMs: 41,
  syncStats: { count: 4 },
  pass: false,
  perAction: {
    create: { ok: 1, expectedFail: 0, unexpectedFail: 0, skipped: 0 },
    delete: { ok: 0, expectedFail: 0, unexpectedFail: 0, skipped: 1 },
    sync: { ok: 0, expectedFail: 1, unexpectedFail: 1, skipped: 0 },
  },
  verifications: [
    {
      name: "convergence",
      passed: false,
      details: 'the snapshots differ\nentity a-1 field title: alice has "x", bob has "y"',
    },
    { name: "idempotency", passed: true, details: "" },
  ],
};

describe("buildSyncSection", () => {
  it("counts each action from its pair of ops, with times, and lists the verifications", () => {
    const section = buildSyncSection(results(stored), history())!;
    expect(section.actions.map((row) => row.action)).toEqual(["create", "delete", "sync"]);
    const [create, remove, sync] = section.actions;
    expect(create).toMatchObject({ count: 2, ok: 1, open: 1, totalMs: 5, meanMs: 5, maxMs: 5 });
    expect(remove).toMatchObject({ count: 1, fail: 1, skipped: 1, expectedFail: 0, totalMs: 0 });
    expect(sync).toMatchObject({
      count: 2,
      fail: 1,
      info: 1,
      expectedFail: 1,
      unexpectedFail: 1,
      totalMs: 23,
    });
    expect(sync!.meanMs).toBe(11.5);
    expect(sync!.maxMs).toBe(20);
    expect(section.totals).toMatchObject({ count: 5, ok: 1, fail: 2, info: 1, open: 1, totalMs: 28 });
    expect(section.mismatches).toEqual([]);
    expect(section).toMatchObject({ pass: false, seed: 3, actors: 2, syncs: 4, durationMs: 41 });
    expect(section.verifications).toEqual([
      {
        name: "convergence",
        passed: false,
        status: null,
        explanation: "the snapshots differ",
        evidence: ['entity a-1 field title: alice has "x", bob has "y"'],
        evidenceCut: 0,
      },
      { name: "idempotency", passed: true, status: null, explanation: null, evidence: [], evidenceCut: 0 },
    ]);
  });

  it("names every count where results.json disagrees with the history", () => {
    const section = buildSyncSection(
      results({ ...stored, perAction: { ...stored.perAction, create: { ok: 2 }, undo: { ok: 1 } } }),
      history(),
    )!;
    expect(section.mismatches).toEqual([
      "create: ok 2 in results.json, 1 in history.jsonl",
      "undo: ok 1 in results.json, 0 in history.jsonl",
    ]);
  });

  it("reads a malformed sync report without throwing, and has no section without one", () => {
    const section = buildSyncSection(
      results({ pass: "yes", verifications: [42, { name: 7 }, { name: "x", details: 3 }] }),
      history(),
    )!;
    expect(section.pass).toBeNull();
    expect(section.verifications.map((v) => v.name)).toEqual(["x"]);
    expect(section.mismatches).toEqual(["results.json's sync report has no per-action stats to compare"]);
    expect(buildSyncSection(results(undefined), history())).toBeNull();
  });
});
