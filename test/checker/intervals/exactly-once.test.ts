import { describe, expect, it } from "vitest";
import { checkExactlyOnce, exactlyOnce } from "../../../src/checker/intervals/index.js";
import { holds, nemesisHistory } from "./helpers.js";

describe("exactlyOnce", () => {
  it("is unknown without any keyed hold", async () => {
    expect((await exactlyOnce().check([], {})).valid).toBe("unknown");
    const result = checkExactlyOnce(holds([["a1", 0, 1]]), []);
    expect(result.valid).toBe("unknown");
    expect(result.explanation).toMatch(/no hold with a `key`/);
  });

  it("each tick once is valid; a killed winner's tick is claimed, not rerun, and counts as ran", () => {
    const list = holds([
      ["a1", 0, 5, { key: "tick-1" }],
      ["a2", 10, undefined, { key: "tick-2" }],
      ["a3", 20, 25, { key: "tick-3" }],
    ]);
    const history = nemesisHistory([[12, "actor-kill", { actors: ["a2"] }]], 30);
    const result = checkExactlyOnce(list, history, { expectedKeys: ["tick-1", "tick-2", "tick-3"] });
    expect(result).toMatchObject({ valid: true, ranOnceCount: 2, killedClaimCount: 1, unfinishedCount: 0 });
  });

  it("a rerun of a tick is a violation naming both runs", () => {
    const list = holds([
      ["a1", 0, undefined, { key: 7 }],
      ["a2", 3, 8, { key: "7" }],
    ]);
    const result = checkExactlyOnce(list, nemesisHistory([[2, "actor-kill", { actors: ["a1"] }]], 30));
    expect(result.valid).toBe(false);
    expect(result.rerunCount).toBe(1);
    expect(result.explanation).toContain(
      "key 7 ran 2 times: a1 (pid 1000) from 0.000 s to 0.002 s (no end record; its actor was killed or exited then)",
    );
    expect(result.explanation).toContain("a2 (pid 1001) from 0.003 s to 0.008 s");
  });

  it("a due tick that never ran is a violation; an open run with no kill is unfinished", () => {
    const list = holds([["a1", 0, undefined, { key: "t1" }]]);
    const result = checkExactlyOnce(list, nemesisHistory([], 30), { expectedKeys: ["t1", "t2"] });
    expect(result).toMatchObject({ valid: false, missingCount: 1, unfinishedCount: 1 });
    expect(result.explanation).toContain("key t2 was due but never ran");
  });

  it("takes the key from another field or a function", () => {
    const list = holds([
      ["a1", 0, 1, { office: "job-a" }],
      ["a2", 2, 3, { office: "job-a" }],
    ]);
    expect(checkExactlyOnce(list, [], { key: "office" }).valid).toBe(false);
    expect(checkExactlyOnce(list, [], { key: (i) => i.holder }).valid).toBe(true);
  });
});
