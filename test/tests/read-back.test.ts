import { describe, expect, it } from "vitest";
import { imperfectCompletion, limit, simulate, stagger } from "../../src/generator/index.js";
import type { Op } from "../../src/history/op.js";
import { readBack } from "../../src/tests/read-back.js";
import { registerOp } from "../../src/tests/register.js";

/** For each ok write, the next invocation of the same process (undefined when there is none). */
function nextInvocationAfterWrites(history: readonly Op[]): { write: Op; next: Op | undefined }[] {
  const pairs: { write: Op; next: Op | undefined }[] = [];
  for (const [i, op] of history.entries()) {
    if (op.type !== "ok" || op.f !== "write") continue;
    const next = history
      .slice(i + 1)
      .find((later) => later.process === op.process && later.type === "invoke");
    pairs.push({ write: op, next });
  }
  return pairs;
}

describe("readBack: the same process reads the key it just wrote, at once", () => {
  it("every ok write is followed by a read of its key by its process, at the write's completion time", () => {
    const { history } = simulate(readBack(limit(400, stagger(5, registerOp))), { seed: 3, concurrency: 9 });
    const pairs = nextInvocationAfterWrites(history);
    expect(pairs.length).toBeGreaterThan(50);
    for (const { write, next } of pairs) {
      expect(next, `write ${write.index}`).toBeDefined();
      expect(next).toMatchObject({ f: "read", key: write.key, time: write.time });
    }
    // The workload's own ops still all run: 400 from the inner generator, plus one read per ok write.
    const invokes = history.filter((op) => op.type === "invoke");
    expect(invokes.length).toBe(400 + pairs.length);
  });

  it("drops the read-back of a process that ended info, and stays deterministic", () => {
    const run = () =>
      simulate(readBack(limit(300, stagger(5, registerOp))), {
        seed: 9,
        concurrency: 6,
        completion: imperfectCompletion({ ok: 2, fail: 1, info: 1 }),
      }).history;
    const history = run();
    for (const { write, next } of nextInvocationAfterWrites(history)) {
      if (next) expect(next).toMatchObject({ f: "read", key: write.key });
    }
    // A process that ended info never invokes again.
    const ended = new Set(history.filter((op) => op.type === "info").map((op) => op.process));
    for (const op of history) {
      if (op.type !== "invoke" || !ended.has(op.process)) continue;
      const info = history.find((later) => later.type === "info" && later.process === op.process)!;
      expect(op.index).toBeLessThan(info.index);
    }
    expect(JSON.stringify(run())).toBe(JSON.stringify(history));
  });
});
