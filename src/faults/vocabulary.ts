/**
 * The fault vocabulary: one table of the fault kinds `--nemesis` takes, and
 * for each the op that starts it, the op that heals it, what it needs from
 * the cluster (a process, the network, the clock) and how a schedule draws
 * one. The schedule, the runner's live display of the faults in effect and
 * the report's shaded fault periods all read it, so a kind is described once.
 *
 * The report works from a history alone (`crucible report history.jsonl`,
 * possibly long after the run, in another process), so the only thing that
 * tells it which op heals which is the op's `f`. Besides the table, the rule
 * for any other nemesis is by name (see {@link healedKinds}):
 * `stop-X` heals `start-X`, `X-stop` heals `X-start`, `heal-X` heals `X`; an
 * op named `start-X` or `X-start` opens a period until its heal completes;
 * any other nemesis op is a one-shot period from its invoke to its completion.
 */
import type { Invocation } from "../history/op.js";
import type { Random } from "../random/random.js";
import { bridge, grudgeToJson, isolate, majoritiesRing, randomHalves } from "./partition.js";
import type { ResolvedTarget } from "./targets.js";

/** The fault kinds a schedule can mix (the names `--nemesis` takes), in the order messages list them. */
export const FAULT_KINDS = [
  "kill",
  "pause",
  "stop",
  "partition",
  "latency",
  "loss",
  "bandwidth",
  "reset",
  "clock",
  "actor-pause",
  "actor-kill",
  "actor-stop",
  "lease-revoke",
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/**
 * What a fault kind needs from the cluster: signals to its processes, a
 * faultable network, libfaketime; or the test's actors (and, for
 * `lease-revoke`, the etcd lease client the actor nemesis is given).
 */
export type FaultNeed = "process" | "network" | "clock" | "actors";

export type PartitionShape = "halves" | "isolate" | "majorities-ring" | "bridge" | "primaries";

/** What drawing one fault op may use: the schedule's settings with their defaults resolved. */
export interface FaultDraw {
  readonly nodes: readonly string[];
  readonly random: Random;
  /** Draw a target (from the schedule's target specs) and resolve it; draws from `random`. */
  target(): ResolvedTarget;
  /** The shapes a partition may take here (ring and bridge only with 3+ nodes). */
  readonly partitionShapes: readonly PartitionShape[];
  readonly latency: { readonly delayMs: number; readonly jitterMs: number };
  readonly lossProbability: number;
  readonly bandwidthBytesPerSec: number;
  readonly clockDeltaMsMax: number;
  readonly intervalMs: number;
  /** The actors' names (`a1`, ...); empty when the test has none. */
  readonly actors: readonly string[];
  /** Draw actor names (from the schedule's actor target specs); draws from `random`. */
  actorTarget(): string[];
}

/** The op that heals a kind, and when the final phase sends it. */
export interface FaultHeal {
  readonly f: string;
  /** `"all"` for the process heals (they heal every node the nemesis faulted), null otherwise. */
  readonly value: "all" | null;
  /**
   * Order in the final phase, lowest first: paused nodes resume before killed
   * ones restart, processes come back before the network heals, clocks last.
   */
  readonly rank: number;
}

export interface FaultKindInfo {
  readonly needs: FaultNeed;
  /** Every `f` that starts a fault of this kind (clock: a bump or a strobe). */
  readonly starts: readonly string[];
  /** Undefined for a one-shot fault (`reset-connections`). */
  readonly heal: FaultHeal | undefined;
  /** Draw one fault op of this kind for a schedule; the sequence of draws is part of the seed's contract. */
  draw(draw: FaultDraw): Invocation;
}

const RESUME: FaultHeal = { f: "resume", value: "all", rank: 0 };
const ACTOR_RESUME: FaultHeal = { f: "actor-resume", value: "all", rank: 0 };
const ACTOR_START: FaultHeal = { f: "actor-start", value: "all", rank: 1 };
const START: FaultHeal = { f: "start", value: "all", rank: 1 };
const networkHeal = (f: string): FaultHeal => ({ f, value: null, rank: 2 });

/** The table; see the module doc. */
export const FAULTS: Readonly<Record<FaultKind, FaultKindInfo>> = {
  kill: { needs: "process", starts: ["kill"], heal: START, draw: (d) => ({ f: "kill", value: d.target() }) },
  pause: {
    needs: "process",
    starts: ["pause"],
    heal: RESUME,
    draw: (d) => ({ f: "pause", value: d.target() }),
  },
  stop: { needs: "process", starts: ["stop"], heal: START, draw: (d) => ({ f: "stop", value: d.target() }) },
  partition: {
    needs: "network",
    starts: ["start-partition"],
    heal: networkHeal("stop-partition"),
    draw: (d) => partitionOp(d.random.pick(d.partitionShapes), d.nodes, d.random),
  },
  latency: {
    needs: "network",
    starts: ["start-latency"],
    heal: networkHeal("stop-latency"),
    draw: (d) => ({ f: "start-latency", value: { nodes: d.target(), ...d.latency } }),
  },
  loss: {
    needs: "network",
    starts: ["start-loss"],
    heal: networkHeal("stop-loss"),
    draw: (d) => ({ f: "start-loss", value: { nodes: d.target(), probability: d.lossProbability } }),
  },
  bandwidth: {
    needs: "network",
    starts: ["start-bandwidth"],
    heal: networkHeal("stop-bandwidth"),
    draw: (d) => ({
      f: "start-bandwidth",
      value: { nodes: d.target(), bytesPerSec: d.bandwidthBytesPerSec },
    }),
  },
  reset: {
    needs: "network",
    starts: ["reset-connections"],
    heal: undefined,
    draw: (d) => ({ f: "reset-connections", value: { nodes: d.target() } }),
  },
  clock: {
    needs: "clock",
    starts: ["bump-clock", "strobe-clock"],
    heal: { f: "reset-clock", value: null, rank: 3 },
    draw: clockOp,
  },
  // Actor faults: the value names the actors (`{ actors: ["a2"] }`), so the lock checkers can tell
  // a loss event of a holder from one of a waiter. A kill heals at once (the actor is respawned).
  "actor-pause": {
    needs: "actors",
    starts: ["actor-pause"],
    heal: ACTOR_RESUME,
    draw: (d) => ({ f: "actor-pause", value: { actors: d.actorTarget() } }),
  },
  "actor-kill": {
    needs: "actors",
    starts: ["actor-kill"],
    heal: undefined,
    draw: (d) => ({ f: "actor-kill", value: { actors: d.actorTarget() } }),
  },
  "actor-stop": {
    needs: "actors",
    starts: ["actor-stop"],
    heal: ACTOR_START,
    draw: (d) => ({ f: "actor-stop", value: { actors: d.actorTarget() } }),
  },
  // Revokes the leases behind this test's key prefix only: the holder's (`one`: the oldest key's) or every
  // contender's (`all`); the completion names the leases and the actors they belonged to.
  "lease-revoke": {
    needs: "actors",
    starts: ["lease-revoke"],
    heal: undefined,
    draw: (d) => ({ f: "lease-revoke", value: { leases: d.random.chance(0.75) ? "holder" : "all" } }),
  },
};

function partitionOp(shape: PartitionShape, nodes: readonly string[], random: Random): Invocation {
  if (shape === "primaries") return { f: "start-partition", value: { shape } };
  const grudge =
    shape === "halves"
      ? randomHalves(nodes, random)
      : shape === "isolate"
        ? isolate(nodes, { random })
        : shape === "majorities-ring"
          ? majoritiesRing(nodes, random)
          : bridge(random.shuffle(nodes));
  return { f: "start-partition", value: { shape, grudge: grudgeToJson(grudge) } };
}

function clockOp(d: FaultDraw): Invocation {
  const max = Math.max(100, d.clockDeltaMsMax);
  const deltaMs = d.random.int(100, max) * (d.random.chance(0.5) ? 1 : -1);
  if (d.random.chance(0.5)) return { f: "bump-clock", value: { nodes: d.target(), deltaMs } };
  const periodMs = d.random.int(10, 200);
  return {
    f: "strobe-clock",
    value: { nodes: d.target(), deltaMs, periodMs, durationMs: Math.min(d.intervalMs, 2_000) },
  };
}

/** Whether any of these kinds needs this from the cluster. */
export function kindsNeed(kinds: readonly FaultKind[], need: FaultNeed): boolean {
  return kinds.some((kind) => FAULTS[kind].needs === need);
}

/** `heal-network` heals every network fault at once (the network nemesis' one heal-all op). */
const HEAL_NETWORK = "heal-network";

/**
 * Which op heals which fault, from the table: each heal closes the starts of
 * every kind it heals (`start` closes `kill` and `stop`), and `heal-network`
 * closes every network fault that has a heal.
 */
const HEALS: ReadonlyMap<string, readonly string[]> = (() => {
  const heals = new Map<string, string[]>();
  const add = (heal: string, starts: readonly string[]) =>
    heals.set(heal, [...(heals.get(heal) ?? []), ...starts]);
  for (const info of Object.values(FAULTS)) {
    if (!info.heal) continue;
    add(info.heal.f, info.starts);
    if (info.needs === "network") add(HEAL_NETWORK, info.starts);
  }
  return heals;
})();

/** The table's starts of faults that last (a one-shot `reset-connections` is its own instant period). */
const STARTERS: ReadonlySet<string> = new Set(
  Object.values(FAULTS).flatMap((info) => (info.heal ? info.starts : [])),
);

/** Nemesis ops that are neither a fault nor a heal (the final wait, a generator's log line): no period. */
/** The nemesis op that waits for the cluster to come back after the faults are healed. */
export const RECOVERY_F = "wait-for-recovery";

/** The op an actor's exit is journaled as (src/actors/ops.ts): an event, not a fault. */
const ACTOR_EXIT_F = "actor-exit";

const NEUTRAL: ReadonlySet<string> = new Set([RECOVERY_F, "log", ACTOR_EXIT_F]);

/**
 * The fault `f`s an op with this `f` heals: the table's, else by name
 * (`stop-X` → `start-X`, `X-stop` → `X-start`, `heal-X` → `X`); empty when
 * it heals nothing. Read by the report's periods and the runner's live display.
 */
export function healedKinds(f: string): readonly string[] {
  const known = HEALS.get(f);
  if (known) return known;
  if (f.startsWith("stop-")) return [`start-${f.slice(5)}`];
  if (f.endsWith("-stop")) return [`${f.slice(0, -5)}-start`];
  if (f.startsWith("heal-")) return [f.slice(5)];
  return [];
}

/** Whether an op with this `f` starts a fault that lasts until healed: the table's, or `start-X` / `X-start`. */
export function isStarter(f: string): boolean {
  return STARTERS.has(f) || f.startsWith("start-") || f.endsWith("-start");
}

/** Whether a nemesis op with this `f` is neither a fault nor a heal. */
export function isNeutralNemesisOp(f: string): boolean {
  return NEUTRAL.has(f);
}
