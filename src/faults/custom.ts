/**
 * A nemesis from your own functions: anything you can do to a cluster is a
 * fault. Each `f` maps to an async function of the op and the nemesis
 * context; what it returns is the completion's value (return a full
 * `Completion` with `{ completion: ... }` to fail or say more). A thrown
 * error becomes an `info` op (outcome unknown), as for clients.
 *
 * ```ts
 * // etcd lease revocation as the partition stand-in (the lock-service model):
 * const leases = customNemesis({
 *   name: "lease",
 *   faults: {
 *     "revoke-lease": async (op, ctx) => {
 *       const { stdout } = await execa("etcdctl", ["--endpoints", ctx.cluster!.clientUrls.join(","), "lease", "list"]);
 *       const ids = stdout.split("\n").slice(1).filter(Boolean);
 *       for (const id of ids) await execa("etcdctl", ["--endpoints", ctx.cluster!.clientUrls[0]!, "lease", "revoke", id]);
 *       return { revoked: ids };
 *     },
 *   },
 * });
 * ```
 *
 * Schedule it like any fault op: `gen.nemesis(gen.stagger(5_000, { f: "revoke-lease", value: null }))`,
 * or `customFaults(...)` below for a seeded start/heal package.
 */
import type { GeneratorLike } from "../generator/types.js";
import type { Completion, Op } from "../history/op.js";
import type { Nemesis, NemesisContext, NemesisPackage } from "./types.js";

/** What a custom fault function may return: a value, or an explicit completion. */
export type CustomFaultResult = unknown | { readonly completion: Completion };

export interface CustomNemesisOptions {
  readonly name: string;
  /** f → what to do. */
  readonly faults: Readonly<Record<string, (op: Op, ctx: NemesisContext) => Promise<CustomFaultResult>>>;
  readonly setup?: (ctx: NemesisContext) => Promise<void>;
  /** Heal everything this nemesis did; always called at the end of a run. */
  readonly teardown?: (ctx: NemesisContext) => Promise<void>;
}

const isCompletion = (result: unknown): result is { completion: Completion } =>
  result !== null && typeof result === "object" && "completion" in result;

export function customNemesis(options: CustomNemesisOptions): Nemesis {
  return {
    name: options.name,
    fs: Object.keys(options.faults),
    ...(options.setup ? { setup: options.setup } : {}),
    ...(options.teardown ? { teardown: options.teardown } : {}),
    async invoke(op: Op, ctx: NemesisContext): Promise<Completion> {
      const fault = options.faults[op.f];
      if (!fault) return { type: "fail", error: `${options.name} does not know f=${op.f}` };
      const result = await fault(op, ctx);
      if (isCompletion(result)) return result.completion;
      return { type: "ok", value: result === undefined ? op.value : result };
    },
  };
}

/** A custom nemesis plus a fixed schedule: `[sleep, fault, sleep, heal, ...]` built by the caller. */
export function customFaults(
  options: CustomNemesisOptions & {
    readonly generator: GeneratorLike;
    readonly finalGenerator?: GeneratorLike;
  },
): NemesisPackage {
  return {
    nemesis: customNemesis(options),
    generator: options.generator,
    ...(options.finalGenerator !== undefined ? { finalGenerator: options.finalGenerator } : {}),
    kinds: Object.keys(options.faults),
  };
}
