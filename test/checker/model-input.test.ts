/**
 * A linearizability checker whose model meets an op it has no meaning for
 * (`linearizable(mutexModel)` given a `read`) stops with one line naming the
 * op and the model: `unknown`, not "checker crashed" with a stack trace; and
 * `only()` gives it just its ops.
 */
import { describe, expect, it } from "vitest";
import { only, runChecker } from "../../src/checker/compose.js";
import { linearizable } from "../../src/checker/linearizable/index.js";
import { ModelInputError, mutexModel, setModel } from "../../src/checker/models/index.js";
import type { Op } from "../../src/history/op.js";
import type { Results } from "../../src/history/results.js";
import { formatSummary } from "../../src/report/console.js";

const op = (index: number, type: Op["type"], process: number, f: string, value: unknown = null): Op => ({
  index,
  time: index * 1_000,
  type,
  process,
  f,
  value,
});

const history: Op[] = [
  op(0, "invoke", 0, "acquire"),
  op(1, "ok", 0, "acquire"),
  op(2, "invoke", 1, "read"),
  op(3, "ok", 1, "read", 5),
  op(4, "invoke", 0, "release"),
  op(5, "ok", 0, "release"),
];

describe("an op the model does not know", () => {
  it("is unknown with one line naming the op and the model, no stack, not a crash", async () => {
    const result = await runChecker(linearizable({ model: mutexModel }), history, {});
    expect(result.valid).toBe("unknown");
    expect(result.checkerCrashed).toBeUndefined();
    expect(result.stack).toBeUndefined();
    expect(result.explanation).toBe(
      'checker linearizable(mutex) cannot judge this history: op 2: unknown f "read" for a mutex (acquire, release); give it only its ops with only({ f: [...] }, checker)',
    );
    const summary = formatSummary(undefined, {
      valid: "unknown",
      complete: true,
      checkers: { "linearizable(mutex)": result },
    } as unknown as Results);
    expect(summary).toContain('cannot judge this history: op 2: unknown f "read" for a mutex');
    expect(summary).not.toMatch(/\n\s+at /);
  });

  it("every model throws ModelInputError, so no model's refusal is a crash", () => {
    expect(() =>
      setModel.prepare({ invoke: history[2]!, completion: history[3], f: "frob", type: "ok" } as never, {
        intern: () => 0,
        valueOf: () => null,
      }),
    ).toThrow(ModelInputError);
  });

  it("only({ f }) gives the checker just its ops: then it judges them", async () => {
    const result = await runChecker(
      only({ f: ["acquire", "release"] }, linearizable({ model: mutexModel })),
      history,
      {},
    );
    expect(result.valid).toBe(true);
  });
});
