/**
 * The linearizable checker says valid only when something could have been
 * checked: a history with no client op, or one where every client op failed
 * (a failed op took no effect and constrains nothing), is unknown with the
 * reason; one ok op is enough for valid, and an invalid verdict stands.
 */
import { describe, expect, it } from "vitest";
import { linearizable } from "../../../src/checker/linearizable/index.js";
import { models } from "../../../src/checker/models/index.js";
import type { Op } from "../../../src/history/op.js";

function op(index: number, type: Op["type"], process: Op["process"], f: string, value: unknown): Op {
  return { index, time: index * 1_000, type, process, f, value } as Op;
}

const check = (history: Op[]) => linearizable({ model: models.register! }).check(history, {});

describe("linearizable: valid needs evidence", () => {
  it("is unknown on an empty history, and on one with only nemesis ops", async () => {
    for (const history of [
      [],
      [op(0, "invoke", "nemesis", "kill", "n1"), op(1, "info", "nemesis", "kill", "n1")],
    ]) {
      const result = await check(history);
      expect(result.valid).toBe("unknown");
      expect(result.explanation).toBe("no client operation was recorded, so there was nothing to check");
    }
  });

  it("is unknown when every client op failed", async () => {
    const result = await check([
      op(0, "invoke", 0, "write", 1),
      op(1, "fail", 0, "write", 1),
      op(2, "invoke", 1, "read", null),
      op(3, "fail", 1, "read", null),
    ]);
    expect(result.valid).toBe("unknown");
    expect(result.explanation).toMatch(/every client operation failed/);
  });

  it("is valid with one op that took effect, or whose outcome is unknown", async () => {
    expect((await check([op(0, "invoke", 0, "write", 1), op(1, "ok", 0, "write", 1)])).valid).toBe(true);
    expect((await check([op(0, "invoke", 0, "write", 1), op(1, "info", 0, "write", 1)])).valid).toBe(true);
  });

  it("keeps an invalid verdict", async () => {
    const result = await check([
      op(0, "invoke", 0, "write", 1),
      op(1, "ok", 0, "write", 1),
      op(2, "invoke", 1, "read", null),
      op(3, "ok", 1, "read", 2),
    ]);
    expect(result.valid).toBe(false);
  });
});
