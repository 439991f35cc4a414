import { describe, expect, it } from "vitest";
import { createPrepareContext } from "../../../src/checker/models/context.js";

describe("the prepare context's interning", () => {
  it("gives one id per value, whatever table holds it, and gives the value back", () => {
    const ctx = createPrepareContext();
    const values: unknown[] = [
      1,
      2,
      0,
      1023,
      1024,
      5000,
      2 ** 20 - 1,
      2 ** 20,
      2 ** 40,
      -1,
      1.5,
      "1",
      true,
      [1, 2],
    ];
    const ids = values.map((value) => ctx.intern(value));
    expect(new Set(ids).size).toBe(values.length);
    expect(ids).not.toContain(0);
    values.forEach((value, i) => {
      expect(ctx.intern(value)).toBe(ids[i]);
      expect(ctx.valueOf(ids[i]!)).toStrictEqual(value);
    });
    // Equal values from different lines share an id: -0 is 0 (as a Map key), [1, 2] by content.
    expect(ctx.intern(-0)).toBe(ctx.intern(0));
    expect(ctx.intern([1, 2])).toBe(ids[values.length - 1]);
    expect(ctx.intern(null)).toBe(0);
    expect(ctx.intern(undefined)).toBe(0);
  });

  it("a fresh context starts over", () => {
    const a = createPrepareContext();
    a.intern(7);
    a.intern(8);
    const b = createPrepareContext();
    expect(b.intern(8)).toBe(1);
    expect(b.valueOf(1)).toBe(8);
  });
});
