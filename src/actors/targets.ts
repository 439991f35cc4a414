/**
 * Which actors a fault hits, as nodes have target specs (../faults/targets.ts):
 *
 * - `actor:a2` (or `{ actor: "a2" }`): that actor;
 * - `actors:one`: one actor, chosen with the seed;
 * - `actors:minority`: ⌊n/2⌋ actors at most, at least one;
 * - `actors:all`: every actor.
 *
 * Resolved when the schedule is generated, so the history's invocation
 * already names the actors (`{ f: "actor-pause", value: { actors: ["a2"] } }`).
 */
import type { Random } from "../random/random.js";

export type ActorTargetSpec = "one" | "minority" | "all" | { readonly actor: string } | readonly string[];

const PREFIXED = /^(actor|actors):(.+)$/;

/** `actor:a2` → `{ actor: "a2" }`, `actors:one` → `"one"`; undefined when `text` is not an actor target. */
export function parseActorTarget(text: string): ActorTargetSpec | undefined {
  const match = PREFIXED.exec(text.trim());
  if (!match) return undefined;
  const [, kind, rest] = match;
  if (kind === "actor") return { actor: rest! };
  if (rest === "one" || rest === "minority" || rest === "all") return rest;
  return undefined;
}

/** ⌊n/2⌋ at most, at least one. */
const minority = (n: number): number => Math.max(1, Math.floor(n / 2));

/** The actor names a spec means, drawn from `random` for `one` and `minority`; sorted. */
export function resolveActorTarget(
  spec: ActorTargetSpec,
  actorNames: readonly string[],
  random: Random,
): string[] {
  if (actorNames.length === 0) throw new Error("resolveActorTarget: no actors");
  if (spec === "all") return [...actorNames].sort();
  if (spec === "one") return [random.pick(actorNames)];
  if (spec === "minority") return random.sample(actorNames, minority(actorNames.length)).sort();
  const named = Array.isArray(spec) ? (spec as readonly string[]) : [(spec as { actor: string }).actor];
  for (const name of named) {
    if (!actorNames.includes(name))
      throw new RangeError(`target: no actor ${name} among ${actorNames.join(", ")}`);
  }
  return [...named];
}
