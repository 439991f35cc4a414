import { describe, expect, it } from "vitest";
import {
  bridge,
  completeGrudge,
  type Grudge,
  grudgeFrom,
  grudgeToJson,
  halves,
  isolate,
  linksToCut,
  majoritiesRing,
  primaries,
  randomHalves,
} from "../../src/faults/partition.js";
import { Random } from "../../src/random/random.js";

const five = ["n1", "n2", "n3", "n4", "n5"];

/** Who `node` can hear from (itself included): everyone it does not drop. */
function sees(grudge: Grudge, nodes: readonly string[], node: string): string[] {
  const dropped = grudge.get(node) ?? new Set<string>();
  return nodes.filter((other) => !dropped.has(other));
}

describe("partition shapes (Jepsen's known results for 5 nodes)", () => {
  it("halves: the smaller half first", () => {
    expect(grudgeToJson(halves(five))).toEqual({
      n1: ["n3", "n4", "n5"],
      n2: ["n3", "n4", "n5"],
      n3: ["n1", "n2"],
      n4: ["n1", "n2"],
      n5: ["n1", "n2"],
    });
  });

  it("randomHalves: same seed, same halves; a 2 | 3 split of all nodes", () => {
    const a = grudgeToJson(randomHalves(five, new Random(7)));
    const b = grudgeToJson(randomHalves(five, new Random(7)));
    expect(a).toEqual(b);
    const sizes = five.map((node) => a[node]!.length).sort();
    expect(sizes).toEqual([2, 2, 2, 3, 3]);
  });

  it("isolate: one node against the rest, named or seeded", () => {
    expect(grudgeToJson(isolate(five, { node: "n3" }))).toEqual({
      n1: ["n3"],
      n2: ["n3"],
      n3: ["n1", "n2", "n4", "n5"],
      n4: ["n3"],
      n5: ["n3"],
    });
    const picked = grudgeToJson(isolate(five, { random: new Random(3) }));
    expect(Object.values(picked).filter((dropped) => dropped.length === 4)).toHaveLength(1);
    expect(() => isolate(five, {})).toThrow();
    expect(() => isolate(five, { node: "n9" })).toThrow(/not one of/);
  });

  it("majoritiesRing: every node sees a majority, no two see the same one", () => {
    for (const random of [undefined, new Random(1), new Random(2)]) {
      const grudge = majoritiesRing(five, random);
      const views = five.map((node) => sees(grudge, five, node));
      for (const [i, view] of views.entries()) {
        expect(view).toHaveLength(3);
        expect(view).toContain(five[i]);
      }
      expect(new Set(views.map((view) => view.join())).size).toBe(5);
    }
    // In ring order n1..n5 each node sees its two neighbours.
    expect(grudgeToJson(majoritiesRing(five))).toEqual({
      n1: ["n3", "n4"],
      n2: ["n4", "n5"],
      n3: ["n1", "n5"],
      n4: ["n1", "n2"],
      n5: ["n2", "n3"],
    });
    expect(() => majoritiesRing(["a", "b"])).toThrow(/at least 3/);
  });

  it("bridge: two halves cut, one node in both", () => {
    expect(grudgeToJson(bridge(five))).toEqual({
      n1: ["n4", "n5"],
      n2: ["n4", "n5"],
      n4: ["n1", "n2"],
      n5: ["n1", "n2"],
    });
    const grudge = bridge(five);
    expect(sees(grudge, five, "n3")).toEqual(five);
    for (const node of five) expect(sees(grudge, five, node)).toContain("n3");
  });

  it("primaries: each chosen primary alone, the rest together", () => {
    expect(grudgeToJson(primaries(five, { primaries: ["n1", "n2"] }))).toEqual({
      n1: ["n2", "n3", "n4", "n5"],
      n2: ["n1", "n3", "n4", "n5"],
      n3: ["n1", "n2"],
      n4: ["n1", "n2"],
      n5: ["n1", "n2"],
    });
    const seeded = primaries(five, { primaries: ["n1", "n2", "n3"], random: new Random(5) });
    const isolated = five.filter((node) => seeded.get(node)?.size === 4);
    expect(isolated.length).toBeGreaterThanOrEqual(1);
    expect(isolated.every((node) => ["n1", "n2", "n3"].includes(node))).toBe(true);
    expect(() => primaries(five, { primaries: [] })).toThrow();
  });

  it("grudgeFrom validates an explicit, possibly one-way grudge", () => {
    const oneWay = grudgeFrom(five, { n1: ["n2"] });
    expect(linksToCut(oneWay)).toEqual([{ from: "n2", to: "n1" }]);
    expect(() => grudgeFrom(five, { n1: ["n1"] })).toThrow(/own traffic/);
    expect(() => grudgeFrom(five, { n1: ["x"] })).toThrow(/unknown/);
    expect(() => grudgeFrom(five, { x: [] })).toThrow(/unknown/);
  });

  it("linksToCut lists each directed link once, sorted", () => {
    const links = linksToCut(completeGrudge([["a"], ["b", "c"]]));
    expect(links).toEqual([
      { from: "b", to: "a" },
      { from: "c", to: "a" },
      { from: "a", to: "b" },
      { from: "a", to: "c" },
    ]);
    expect(linksToCut(halves(five))).toHaveLength(12);
  });
});
