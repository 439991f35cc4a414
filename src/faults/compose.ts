/**
 * Compose nemeses by `f` (Jepsen's `nemesis/compose`): each op goes to the one
 * nemesis that handles its f; setup runs in order, teardown in reverse and
 * always for every nemesis (a failing teardown does not spare the others from
 * healing; the errors are thrown together at the end).
 */
import type { Completion, Op } from "../history/op.js";
import type { Nemesis, NemesisContext } from "./types.js";

export function composeNemeses(nemeses: readonly Nemesis[], name?: string): Nemesis {
  const byF = new Map<string, Nemesis>();
  for (const nemesis of nemeses) {
    for (const f of nemesis.fs) {
      const taken = byF.get(f);
      if (taken)
        throw new Error(`composeNemeses: f=${f} is handled by both ${taken.name} and ${nemesis.name}`);
      byF.set(f, nemesis);
    }
  }
  return {
    name: name ?? nemeses.map((nemesis) => nemesis.name).join("+"),
    fs: [...byF.keys()],
    async setup(ctx: NemesisContext): Promise<void> {
      for (const nemesis of nemeses) await nemesis.setup?.(ctx);
    },
    invoke(op: Op, ctx: NemesisContext): Promise<Completion> {
      const nemesis = byF.get(op.f);
      if (!nemesis) return Promise.resolve({ type: "fail", error: `no nemesis handles f=${op.f}` });
      return nemesis.invoke(op, ctx);
    },
    async teardown(ctx: NemesisContext): Promise<void> {
      const errors: unknown[] = [];
      for (const nemesis of [...nemeses].reverse()) {
        try {
          await nemesis.teardown?.(ctx);
        } catch (error) {
          errors.push(error);
        }
      }
      if (errors.length === 1) throw errors[0];
      if (errors.length > 1) throw new AggregateError(errors, "several nemeses failed to heal");
    },
  };
}
