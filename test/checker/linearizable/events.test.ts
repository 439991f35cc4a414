import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EventList, NIL } from "../../../src/checker/linearizable/events.js";

/** The list's nodes from the head: op i's call is i, its return n + i. */
function order(list: EventList): number[] {
  const nodes: number[] = [];
  for (let e = list.first(); e !== NIL; e = list.next[e]!) nodes.push(e);
  return nodes;
}

/** The order by definition: by position, a call before a return at the same position, then by node. */
function expected(ops: readonly { callAt: number; returnAt: number }[]): number[] {
  const n = ops.length;
  const events = ops.flatMap((op, i) => [
    { at: op.callAt, kind: 0, node: i },
    ...(Number.isFinite(op.returnAt) ? [{ at: op.returnAt, kind: 1, node: n + i }] : []),
  ]);
  events.sort((a, b) => a.at - b.at || a.kind - b.kind || a.node - b.node);
  return events.map((e) => e.node);
}

describe("the search's event list", () => {
  it("orders events by position whether it places them by position or sorts them", () => {
    const opArb = fc.record({
      callAt: fc.integer({ min: 0, max: 60 }),
      length: fc.integer({ min: 0, max: 20 }),
      info: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 25 }), fc.boolean(), (raw, distinct) => {
        // Distinct positions (a history's, dense: placed by position) or any (ties, far apart: sorted).
        const ops = distinct
          ? raw.map((op, i) => ({
              callAt: 2 * i,
              returnAt: op.info ? Number.POSITIVE_INFINITY : 2 * (i + op.length) + 1,
            }))
          : raw.map((op) => ({
              callAt: op.callAt * 1000,
              returnAt: op.info ? Number.POSITIVE_INFINITY : (op.callAt + op.length) * 1000,
            }));
        expect(order(new EventList(ops))).toEqual(expected(ops));
      }),
      { numRuns: 500, seed: 5 },
    );
  });

  it("lifts and puts back an op's call and return", () => {
    const list = new EventList([
      { callAt: 0, returnAt: 3 },
      { callAt: 1, returnAt: 2 },
      { callAt: 4, returnAt: Number.POSITIVE_INFINITY },
    ]);
    expect(order(list)).toEqual([0, 1, 4, 3, 2]);
    list.lift(1);
    expect(order(list)).toEqual([0, 3, 2]);
    list.unlift(1);
    expect(order(list)).toEqual([0, 1, 4, 3, 2]);
  });
});
