/**
 * Which nodes a fault hits: Jepsen's target specs.
 *
 * - `"one"`: one node, chosen with the seed;
 * - `"minority"`: ⌊n/2⌋ nodes at most, at least one (for 3 nodes: 1; for 5: 2);
 * - `"majority"`: ⌊n/2⌋+1 nodes;
 * - `"all"`: every node;
 * - `"primary"`: the leader/primary, as the cluster's `leader()` tells;
 * - `{ node: "n2" }` or `["n1", "n3"]`: named nodes.
 *
 * Every spec but `"primary"` is resolved when the schedule is *generated*, so
 * the history's invocation already says which nodes a fault hits. `"primary"`
 * can only be resolved when the op runs (leaders move); the nemesis then puts
 * the resolved names in the completion's value.
 */
import type { Cluster } from "../cluster/types.js";
import type { Random } from "../random/random.js";

export type TargetSpec =
  | "one"
  | "minority"
  | "majority"
  | "all"
  | "primary"
  | { readonly node: string }
  | readonly string[];

/** The target of a fault op as it is journaled: node names, or `"primary"` to resolve at execution. */
export type ResolvedTarget = string[] | "primary";

/** ⌊n/2⌋+1: the smallest majority of n nodes. */
export const majoritySize = (n: number): number => Math.floor(n / 2) + 1;

/** The largest minority of n nodes (at least 1 so that a 1- or 2-node cluster can still be faulted). */
export const minoritySize = (n: number): number => Math.max(1, majoritySize(n) - 1);

/** Resolve a target spec against node names with the schedule's seeded stream. */
export function resolveTarget(
  spec: TargetSpec,
  nodeNames: readonly string[],
  random: Random,
): ResolvedTarget {
  if (nodeNames.length === 0) throw new Error("resolveTarget: no nodes");
  if (spec === "primary") return "primary";
  if (spec === "all") return nodeNames.slice();
  if (spec === "one") return [random.pick(nodeNames)];
  if (spec === "minority") return random.sample(nodeNames, minoritySize(nodeNames.length)).sort();
  if (spec === "majority") return random.sample(nodeNames, majoritySize(nodeNames.length)).sort();
  const named = Array.isArray(spec) ? (spec as readonly string[]) : [(spec as { node: string }).node];
  for (const name of named) {
    if (!nodeNames.includes(name)) throw new Error(`target: no node ${name} among ${nodeNames.join(", ")}`);
  }
  return named.slice();
}

/**
 * The node names an op's target means now: names as they are, `"primary"`
 * through `cluster.leader()` (empty when there is no leader or the cluster
 * cannot tell), `"all"` as every node.
 */
export async function targetNodeNames(value: unknown, cluster: Cluster | undefined): Promise<string[]> {
  if (Array.isArray(value)) return value.filter((name): name is string => typeof name === "string");
  if (value === "all") return cluster?.nodes.map((node) => node.name) ?? [];
  if (value === "primary") {
    const leader = await cluster?.leader?.();
    return leader ? [leader.name] : [];
  }
  return [];
}

/** The `nodes` field of an object op value (`{ nodes: [...], delayMs }`), or the value itself. */
export function targetOf(value: unknown): unknown {
  if (value !== null && typeof value === "object" && !Array.isArray(value) && "nodes" in value) {
    return (value as { nodes: unknown }).nodes;
  }
  return value;
}

/** A field of a fault op's value object; undefined when the value is not an object. */
export const valueField = (value: unknown, name: string): unknown =>
  value !== null && typeof value === "object" ? (value as Record<string, unknown>)[name] : undefined;

/** A finite number field of a fault op's value, or the fallback. */
export const numberField = (value: unknown, name: string, fallback: number): number => {
  const found = valueField(value, name);
  return typeof found === "number" && Number.isFinite(found) ? found : fallback;
};
