/** The systems the built-in register test runs against (`--target`); apart so the CLI can list them without loading clients. */
export const REGISTER_TARGETS = ["demo", "etcd", "redis", "postgres"] as const;
export type RegisterTarget = (typeof REGISTER_TARGETS)[number];

/**
 * How many nodes `--target X` starts when `--nodes` is not given: what each
 * target's recipe says (its `defaultSize`; PostgreSQL runs one server).
 * Kept here, beside the names, so the CLI knows it without loading recipes;
 * a test checks it against the recipes.
 */
export const REGISTER_TARGET_NODES: Readonly<Record<RegisterTarget, number>> = {
  demo: 3,
  etcd: 3,
  redis: 3,
  postgres: 1,
};

/** The default node count for a target name (3 for one this table does not know). */
export function defaultNodesFor(target: string | undefined): number {
  return (REGISTER_TARGET_NODES as Record<string, number>)[target ?? "demo"] ?? 3;
}
