import { describe, expect, it } from "vitest";
import type { Op } from "../../src/history/op.js";
import { Random } from "../../src/random/random.js";
import { STREAMS } from "../../src/random/streams.js";
import { type ActionDef, ChaosEngine, statsFromHistory } from "../../src/sync/engine.js";
import { journalSink } from "../../src/sync/run.js";

/** A tiny in-memory system: a set of ids per actor, to drive the engine's bookkeeping (not a system under test). */
interface Model {
  ids: string[];
  next: number;
}

type Actor = { readonly name: string };

const actions: ActionDef<Model, Actor>[] = [
  {
    name: "create",
    weight: 3,
    async run(engine) {
      const id = `e${engine.model.next++}`;
      engine.model.ids.push(id);
      return { outcome: "ok", target: id };
    },
  },
  {
    name: "touch",
    weight: 2,
    async run(engine) {
      const id = engine.pick(engine.model.ids);
      if (id === undefined) return { outcome: "skipped", why: "nothing created yet" };
      return engine.random.chance(0.3)
        ? { outcome: "expectedFail", why: "refused", target: id }
        : { outcome: "ok", target: id };
    },
  },
  {
    name: "broken",
    weight: 1,
    async run() {
      throw new Error("boom");
    },
  },
  { name: "sync", weight: 2, sync: true, run: async () => ({ outcome: "ok" }) },
];

const actors: Actor[] = [{ name: "alice" }, { name: "bob" }, { name: "carol" }];

function engine(seed: number, history: Op[] = []) {
  return new ChaosEngine<Model, Actor>({
    actions,
    actors,
    model: { ids: [], next: 1 },
    random: new Random(seed).fork(STREAMS.syncChaos.label),
    ops: journalSink(undefined, history),
  });
}

describe("ChaosEngine", () => {
  it("replays the same actions, actors and targets for the same seed, and others for another", async () => {
    const a = engine(7);
    const b = engine(7);
    const c = engine(8);
    const shape = (records: { action: string; actor: string; target?: string }[]) =>
      records.map((r) => `${r.actor} ${r.action} ${r.target ?? "-"}`);
    const ra = shape(await a.runN(60));
    expect(shape(await b.runN(60))).toEqual(ra);
    expect(shape(await c.runN(60))).not.toEqual(ra);
  });

  it("counts every outcome class per action, a throwing action as an unexpected failure", async () => {
    const history: Op[] = [];
    const e = engine(3, history);
    await e.runN(80);
    const totals = e.totals();
    expect(totals.total).toBe(80);
    expect(totals.ok + totals.expectedFail + totals.unexpectedFail + totals.skipped).toBe(80);
    expect(e.perAction.get("broken")!.unexpectedFail).toBeGreaterThan(0);
    expect(e.records.find((r) => r.action === "broken")!.why).toBe("threw: boom");
    // The journal says the same: an invoke and a completion per action, and the same per-action table.
    expect(history).toHaveLength(160);
    expect(Object.fromEntries(statsFromHistory(history))).toEqual(Object.fromEntries(e.perAction));
    const broken = history.find((op) => op.f === "broken" && op.type !== "invoke")!;
    expect(broken).toMatchObject({ type: "info", outcome: "unexpectedFail", error: "threw: boom" });
  });

  it("runs a burst without sync actions, all by one actor", async () => {
    const e = engine(11);
    const records = await e.burst(25);
    expect(new Set(records.map((r) => r.actor)).size).toBe(1);
    expect(records.some((r) => r.action === "sync")).toBe(false);
    expect(e.bursts).toBe(1);
  });

  it("refuses an action set with no weight", () => {
    expect(
      () =>
        new ChaosEngine({
          actions: [{ ...actions[0]!, weight: 0 }],
          actors,
          model: { ids: [], next: 1 },
          random: new Random(1),
        }),
    ).toThrow(/no action has a weight above 0/);
  });
});
