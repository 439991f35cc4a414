import { describe, expect, it } from "vitest";
import { checkFencingTokens, fencedResource, fencingTokens } from "../../../src/checker/intervals/index.js";
import { holds, nemesisHistory } from "./helpers.js";

describe("fencingTokens", () => {
  it("is unknown with no log, and with no two tokened holds in one office", async () => {
    expect((await fencingTokens().check([], {})).valid).toBe("unknown");
    const one = checkFencingTokens(
      holds([
        ["a1", 0, 1, { token: 5 }],
        ["a2", 1, 2],
      ]),
    );
    expect(one.valid).toBe("unknown");
    expect(one.explanation).toMatch(/no succession to judge/);
    expect(one.withoutTokenCount).toBe(1);
  });

  it("tokens that grow with every succession are valid; compared as integers, not text", () => {
    const result = checkFencingTokens(
      holds([
        ["a1", 0, 1, { token: "9" }],
        ["a2", 1, 2, { token: "10" }],
        ["a3", 2, 3, { token: 11 }],
      ]),
    );
    expect(result.valid).toBe(true);
    expect(result.successionCount).toBe(2);
  });

  it("the same token for two holders is a violation naming both (the etcdctl lock finding)", () => {
    const result = checkFencingTokens(
      holds([
        ["a1", 0, 10, { token: 57 }],
        ["a2", 4, 12, { token: 57 }],
        ["a3", 12, 13, { token: 56 }],
      ]),
    );
    expect(result.valid).toBe(false);
    expect(result.violationCount).toBe(2);
    expect(result.explanation).toContain(
      "a2 (pid 1001, line 2) acquired at 0.004 s with the same token (57) as a1 (pid 1000, line 1)",
    );
    expect(result.explanation).toContain("with a smaller token (56)");
  });

  it("judges each office, or each slot, apart; equal starts are ordered by log line", () => {
    const list = holds([
      ["a1", 0, 10, { token: 5, office: "x", slot: 0 }],
      ["a2", 0, 10, { token: 3, office: "y", slot: 1 }],
      ["a3", 10, 20, { token: 6, office: "x", slot: 1 }],
      ["a4", 10, 20, { token: 4, office: "y", slot: 0 }],
    ]);
    expect(checkFencingTokens(list, { by: "office" }).valid).toBe(true);
    const bySlot = checkFencingTokens(list, { by: "slot" });
    expect(bySlot.valid).toBe(false);
    expect(bySlot.explanation).toMatch(/^1 of 2 successions.*slot 0: a4/);
    const tie = checkFencingTokens(
      holds([
        ["a1", 5, 10, { token: 2 }],
        ["a2", 5, 10, { token: 1 }],
      ]),
    );
    expect(tie.valid).toBe(false);
  });

  it("a token that is not an integer is unknown, with its line", () => {
    const result = checkFencingTokens(
      holds([
        ["a1", 0, 1, { token: "abc" }],
        ["a2", 1, 2, { token: 3 }],
      ]),
    );
    expect(result.valid).toBe("unknown");
    expect(result.explanation).toContain('(line 1) has token "abc", not an integer');
  });
});

describe("fencingTokens: a hold claimed before a pause, recorded after its resume", () => {
  // The safe run that failed (seed 6 of the lock's defaults): a2 claimed slot 0 with token 8, was paused at
  // 6.1 s before its child's first record, a3 took over at 8.7 s with token 11, and a2's child wrote its
  // start at 11.1 s, after the resume. a2 got its token first: that is not a token going backwards.
  const log = (a2Token: number) =>
    holds([
      ["a1", 1_000, 5_100, { token: 3, slot: 0 }],
      ["a3", 8_700, 18_000, { token: 11, slot: 0 }],
      ["a2", 11_100, 11_400, { token: a2Token, slot: 0 }],
    ]);
  const pause = (value: Record<string, unknown>) =>
    nemesisHistory([
      [6_100, "actor-pause", value, 6_110],
      [11_090, "actor-resume", { actors: ["a2"] }],
    ]);

  it("is placed at the pause by its token (below the pause's revision): valid", () => {
    const result = checkFencingTokens(log(8), { by: "slot" }, pause({ actors: ["a2"], revision: 9 }));
    expect(result.valid, result.explanation).toBe(true);
    expect(result.successionCount).toBe(2);
  });

  it("a token above the pause's revision was claimed after it: still a violation; as is an old history", () => {
    const late = checkFencingTokens(log(10), { by: "slot" }, pause({ actors: ["a2"], revision: 9 }));
    expect(late.valid).toBe(false);
    expect(late.explanation).toMatch(/a2 .* acquired at 11\.100 s with a smaller token \(10\)/);
    expect(checkFencingTokens(log(8), { by: "slot" }, pause({ actors: ["a2"] })).valid).toBe(false);
  });
});

describe("fencedResource", () => {
  it("rejects a stale token, per group, and its check judges the accepted writes", () => {
    const resource = fencedResource();
    expect(resource.write({ holder: "a1", token: 5 }).accepted).toBe(true);
    // a1 is paused, a2 acquires with 6 and writes; a1 wakes and writes with its stale 5.
    expect(resource.write({ holder: "a2", token: 6 }).accepted).toBe(true);
    const stale = resource.write({ holder: "a1", token: 5 });
    expect(stale).toMatchObject({ accepted: false, highest: "6" });
    expect(stale.reason).toMatch(/stale/);
    expect(resource.write({ holder: "a3", token: 1, group: "other" }).accepted).toBe(true);
    const result = resource.check();
    expect(result).toMatchObject({ valid: true, acceptedCount: 3, fencedOffCount: 1, successionCount: 1 });
    expect(() => resource.write({ holder: "a1", token: "x" })).toThrow(/not an integer/);
  });

  it("its check catches accepted writes whose times contradict their tokens", () => {
    const resource = fencedResource();
    resource.write({ holder: "a1", token: 1, at: 20 });
    resource.write({ holder: "a2", token: 2, at: 10 });
    expect(resource.check().valid).toBe(false);
  });
});
