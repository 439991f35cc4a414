/**
 * The sweep against the definition, on random small logs: with every time a
 * whole millisecond, the state is constant on each [t, t + 1 ms), so judging
 * every instant t + 0.5 ms by brute force gives the exact set of violating
 * instants, which the checker's violation segments must cover exactly.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type ConcurrencyViolation,
  checkBoundedConcurrency,
  type LossEventOverlap,
} from "../../../src/checker/intervals/index.js";
import type { Op } from "../../../src/history/op.js";
import { holds, nemesisHistory } from "./helpers.js";

const HOLDERS = ["a1", "a2", "a3"];
const END_MS = 60;

interface Scenario {
  limit: number;
  windowMs: number;
  list: Array<[string, number, number | undefined]>;
  faults: Array<{ at: number; kind: "pause" | "kill" | "member"; holder: string; lengthMs: number }>;
}

const scenario: fc.Arbitrary<Scenario> = fc.record({
  limit: fc.integer({ min: 1, max: 2 }),
  windowMs: fc.integer({ min: 0, max: 5 }),
  list: fc.array(
    fc
      .tuple(
        fc.constantFrom(...HOLDERS),
        fc.integer({ min: 0, max: 40 }),
        fc.option(fc.integer({ min: 0, max: 12 }), { freq: 5 }),
      )
      .map(([holder, start, length]): [string, number, number | undefined] => [
        holder,
        start,
        length === null ? undefined : start + length,
      ]),
    { minLength: 1, maxLength: 8 },
  ),
  faults: fc.array(
    fc.record({
      at: fc.integer({ min: 0, max: 45 }),
      kind: fc.constantFrom("pause" as const, "kill" as const, "member" as const),
      holder: fc.constantFrom(...HOLDERS),
      lengthMs: fc.integer({ min: 0, max: 8 }),
    }),
    { maxLength: 4 },
  ),
});

/** The nemesis ops of a scenario, in time order (one nemesis: ops never interleave). */
function faultHistory(s: Scenario): Op[] {
  const ops: Array<[number, string, unknown]> = [];
  for (const fault of s.faults) {
    if (fault.kind === "pause") {
      ops.push([fault.at, "actor-pause", { actors: [fault.holder] }]);
      ops.push([fault.at + fault.lengthMs, "actor-resume", { actors: [fault.holder] }]);
    } else if (fault.kind === "kill") ops.push([fault.at, "actor-kill", { actors: [fault.holder] }]);
    else ops.push([fault.at, "kill", ["n1"]]);
  }
  ops.sort((a, b) => a[0] - b[0]);
  return nemesisHistory(ops, END_MS);
}

/** The violating instants (ms + 0.5) by the definition, straight from the ops, and each loss event's overlap. */
function bruteForce(s: Scenario, history: Op[]): { bad: number[]; perEvent: Array<[number, number]> } {
  const invokes = history.filter((op) => op.process === "nemesis" && op.type === "invoke");
  const holderOf = (op: Op) => (op.value as { actors: string[] }).actors[0] as string;
  // Each loss event: holder, start, heal (the first resume of its holder after it; a kill heals at once).
  const events: Array<{ holder: string; start: number; heal: number; kill: boolean }> = [];
  for (const op of invokes) {
    if (op.f === "actor-kill")
      events.push({ holder: holderOf(op), start: op.time / 1e6, heal: op.time / 1e6, kill: true });
    if (op.f === "actor-pause") {
      const resume = invokes.find(
        (r) => r.index > op.index && r.f === "actor-resume" && holderOf(r) === holderOf(op),
      );
      events.push({
        holder: holderOf(op),
        start: op.time / 1e6,
        heal: (resume as Op).time / 1e6,
        kill: false,
      });
    }
  }
  const kills = events.filter((e) => e.kill);
  const intervals = s.list.map(([holder, start, end]) => {
    if (end !== undefined) return { holder, start, end };
    const killedAt = kills
      .filter((k) => k.holder === holder && k.start >= start)
      .map((k) => k.start)
      .sort((a, b) => a - b)[0];
    // Or the same holder's next hold, whichever comes first: a wrapper runs one child at a time.
    const next = s.list
      .filter(([other, otherStart]) => other === holder && otherStart > start)
      .map(([, otherStart]) => otherStart)
      .sort((a, b) => a - b)[0];
    return { holder, start, end: Math.min(killedAt ?? END_MS, next ?? END_MS) };
  });
  const bad: number[] = [];
  for (let t = 0.5; t < END_MS; t++) {
    const active = intervals.filter((i) => i.start <= t && t < i.end);
    const excused = active.filter((i) =>
      events.some(
        (e) => e.holder === i.holder && i.start < e.heal && e.start <= t && t < e.heal + s.windowMs,
      ),
    );
    if (active.length - excused.length > s.limit) bad.push(t);
  }
  // Per loss event: the most extra holders in its window, and for how many ms there were extra holders.
  // (A fault on an actor that never held is no loss event of this log.)
  const logHolders = new Set(s.list.map(([holder]) => holder));
  const perEvent = events
    .filter((e) => logHolders.has(e.holder))
    .map((e): [number, number] => {
      let extraMax = 0;
      let overlapMs = 0;
      for (let t = e.start + 0.5; t < e.heal + s.windowMs; t++) {
        const extra = intervals.filter((i) => i.start <= t && t < i.end).length - s.limit;
        if (extra > 0) {
          overlapMs++;
          extraMax = Math.max(extraMax, extra);
        }
      }
      return [extraMax, overlapMs];
    });
  return { bad, perEvent };
}

describe("boundedConcurrency against the definition", () => {
  it("finds exactly the violating instants of random logs", () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const history = faultHistory(s);
        const result = checkBoundedConcurrency(holds(s.list), history, {
          limit: s.limit,
          lossWindowMs: s.windowMs,
          maxReported: 1000,
        });
        const { bad: expected, perEvent } = bruteForce(s, history);
        const found: number[] = [];
        for (const v of result.violations as ConcurrencyViolation[])
          for (let t = Math.floor(v.startMs) + 0.5; t < v.endMs; t++) found.push(t);
        expect(found.sort((a, b) => a - b)).toEqual(expected);
        expect(result.valid).toBe(expected.length === 0);
        expect(
          (result.lossEvents as LossEventOverlap[]).map((m) => [m.extraHoldersMax, m.overlapMs]),
        ).toEqual(perEvent);
      }),
      { seed: 13, numRuns: 2000 },
    );
  });
});
