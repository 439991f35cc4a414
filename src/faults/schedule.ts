/**
 * Fault schedules: a seeded mix of fault kinds as start/heal pairs, and a
 * final phase that heals everything and waits for the cluster to recover.
 *
 * ```ts
 * const faults = faultSchedule({
 *   kinds: ["kill", "pause", "partition", "latency", "clock"],
 *   nodeNames: ["n1", "n2", "n3"], intervalMs: 5_000, timeLimitMs: 60_000,
 *   random: new Random(seed).fork("nemesis-schedule"),
 * });
 * // → { nemesis, generator, finalGenerator, kinds }: give it to defineTest's `nemesis`
 * ```
 *
 * The schedule is computed up front from its own stream (like
 * `processFaults`): `sleep, fault, sleep, heal, sleep, fault, ...`, each fault
 * healed `intervalMs` after it started, the next one `intervalMs` after that.
 * It draws nothing while the run goes, so the same seed always gives the same
 * fault sequence, whatever the clients do. Targets are resolved here too
 * (which node, which grudge), so the journaled invocation already names them;
 * only `"primary"` waits for execution (the leader moves), and then the
 * completion names it.
 *
 * The run's options (`--nemesis kill,partition --nemesis-interval 5s`) become
 * a schedule and the cluster start those faults need in the runner's
 * `nemesisForRun` (src/runner/nemesis-for-run.ts).
 */

import { type ActorTargetSpec, resolveActorTarget } from "../actors/targets.js";
import { abortableSleep } from "../cluster/sleep.js";
import { UsageError } from "../errors/index.js";
import { sleep } from "../generator/index.js";
import type { GeneratorLike } from "../generator/types.js";
import type { Completion, Invocation, Op } from "../history/op.js";
import type { Random } from "../random/random.js";
import { clockNemesis } from "./clock-nemesis.js";
import { composeNemeses } from "./compose.js";
import { networkNemesis } from "./network-nemesis.js";
import { processNemesis } from "./process.js";
import { resolveTarget, type TargetSpec } from "./targets.js";
import type { Nemesis, NemesisContext, NemesisPackage } from "./types.js";
import {
  FAULT_KINDS,
  FAULTS,
  type FaultDraw,
  type FaultHeal,
  type FaultKind,
  kindsNeed,
  type PartitionShape,
  RECOVERY_F,
} from "./vocabulary.js";

export { FAULT_KINDS, type FaultKind, type PartitionShape } from "./vocabulary.js";

export interface FaultScheduleOptions {
  readonly kinds: readonly FaultKind[];
  readonly nodeNames: readonly string[];
  /** How long each fault lasts, and the quiet time after its heal. */
  readonly intervalMs: number;
  /** The main phase's length: the schedule is made long enough to cover it. */
  readonly timeLimitMs: number;
  /** The schedule's own stream (e.g. `new Random(seed).fork("nemesis-schedule")`). */
  readonly random: Random;
  /** Targets of node faults (kill, pause, stop, latency, loss, bandwidth, reset, clock). Default `["one", "primary"]`. */
  readonly targets?: readonly TargetSpec[];
  /** Partition shapes to choose from. Default all five (majorities-ring and bridge only with 3+ nodes). */
  readonly partitionShapes?: readonly PartitionShape[];
  /** Default `{ delayMs: 100, jitterMs: 50 }`. */
  readonly latency?: { readonly delayMs: number; readonly jitterMs: number };
  /** Default 0.02. */
  readonly lossProbability?: number;
  /** Default 64 KiB/s. */
  readonly bandwidthBytesPerSec?: number;
  /** Clock bumps are ±[100, clockDeltaMsMax] ms; default 5000. */
  readonly clockDeltaMsMax?: number;
  /** After the final heal, how long to wait at most for every node to run and a leader to exist. Default 30 s. */
  readonly recoveryTimeoutMs?: number;
  /** Quiet time after recovery, before the final reads. Default 1000 ms. */
  readonly settleMs?: number;
  /** The test's actor names, for the actor fault kinds (`actor-pause`, ...). */
  readonly actorNames?: readonly string[];
  /** Targets of actor faults. Default `["one"]`. */
  readonly actorTargets?: readonly ActorTargetSpec[];
  /** The nemesis that carries out actor faults (`actorNemesis`); required with an actor kind. */
  readonly actorNemesis?: Nemesis;
  /**
   * How each round's kind is chosen: `"draw"` (default) independently from
   * `kinds`, `"deck"` dealt from a seeded shuffle of `kinds`, shuffled again
   * once every kind was dealt, so every kind appears once per `kinds.length`
   * rounds. Either way the same seed gives the same schedule.
   */
  readonly deal?: "draw" | "deck";
}

const ALL_SHAPES: readonly PartitionShape[] = ["halves", "isolate", "majorities-ring", "bridge", "primaries"];

/** The schedule's settings for drawing one op, defaults resolved. */
function faultDraw(options: FaultScheduleOptions): FaultDraw {
  const { nodeNames: nodes, random } = options;
  const targets = options.targets ?? ["one", "primary"];
  return {
    nodes,
    random,
    target: () => resolveTarget(random.pick(targets), nodes, random),
    // With two nodes a ring or a bridge cuts nothing: the round would be wasted.
    partitionShapes: (options.partitionShapes ?? ALL_SHAPES).filter(
      (shape) => nodes.length >= 3 || (shape !== "majorities-ring" && shape !== "bridge"),
    ),
    latency: options.latency ?? { delayMs: 100, jitterMs: 50 },
    lossProbability: options.lossProbability ?? 0.02,
    bandwidthBytesPerSec: options.bandwidthBytesPerSec ?? 65_536,
    clockDeltaMsMax: options.clockDeltaMsMax ?? 5_000,
    intervalMs: options.intervalMs,
    actors: options.actorNames ?? [],
    actorTarget: () =>
      resolveActorTarget(random.pick(options.actorTargets ?? ["one"]), options.actorNames ?? [], random),
  };
}

/** The main-phase schedule as plain ops: fault, heal, fault, heal... (exported for tests: same seed, same list). */
export function faultScheduleOps(options: FaultScheduleOptions): Invocation[] {
  if (options.kinds.length === 0 || options.nodeNames.length === 0) return [];
  if (!(options.intervalMs > 0))
    throw new RangeError(`faultSchedule: intervalMs must be > 0, got ${options.intervalMs}`);
  if (kindsNeed(options.kinds, "actors") && (options.actorNames ?? []).length === 0)
    throw new UsageError(
      `nemesis ${options.kinds.filter((kind) => FAULTS[kind].needs === "actors").join(", ")} needs actors; expected a workload that has them (--workload lock)`,
    );
  const rounds = Math.min(100_000, Math.ceil(options.timeLimitMs / (2 * options.intervalMs)) + 1);
  const draw = faultDraw(options);
  const ops: Invocation[] = [];
  let deck: FaultKind[] = [];
  const next = (): FaultKind => {
    if (options.deal !== "deck") return options.random.pick(options.kinds);
    if (deck.length === 0) deck = options.random.shuffle(options.kinds);
    return deck.shift()!;
  };
  for (let round = 0; round < rounds; round++) {
    const info = FAULTS[next()];
    ops.push(info.draw(draw));
    if (info.heal) ops.push({ f: info.heal.f, value: info.heal.value });
  }
  return ops;
}

/** The heal ops for these kinds, in a safe order (see {@link FaultHeal.rank}): processes back first, then the network, then clocks. */
export function healOps(kinds: readonly FaultKind[]): Invocation[] {
  const heals = new Map<string, FaultHeal>();
  for (const kind of FAULT_KINDS) {
    const heal = FAULTS[kind].heal;
    if (kinds.includes(kind) && heal) heals.set(heal.f, heal);
  }
  return [...heals.values()]
    .sort((a, b) => a.rank - b.rank)
    .map((heal) => ({ f: heal.f, value: heal.value }));
}

/**
 * `wait-for-recovery {timeoutMs, settleMs}`: wait until every node runs and,
 * where the cluster can tell, a leader exists; then `settleMs` more. Fails
 * (the run goes on; the final reads will show what is wrong) when the
 * deadline passes first.
 */
export function recoveryNemesis(): Nemesis {
  return {
    name: "recovery",
    fs: [RECOVERY_F],
    async invoke(op: Op, ctx: NemesisContext): Promise<Completion> {
      const value = (op.value ?? {}) as { timeoutMs?: number; settleMs?: number };
      const timeoutMs = Math.min(value.timeoutMs ?? 30_000, 300_000);
      const started = Date.now();
      const deadline = started + timeoutMs;
      let leader: string | undefined;
      for (let attempt = 0; ; attempt++) {
        const nodes = ctx.cluster?.nodes ?? [];
        const allRunning = nodes.every((node) => node.isRunning());
        const leaderNode =
          allRunning && ctx.cluster?.leader ? await ctx.cluster.leader().catch(() => undefined) : undefined;
        leader = leaderNode?.name;
        if (allRunning && (!ctx.cluster?.leader || leader)) break;
        if (Date.now() > deadline || ctx.signal.aborted) {
          return {
            type: "fail",
            error: `not recovered after ${timeoutMs} ms (all running: ${allRunning}, leader: ${leader ?? "none"})`,
          };
        }
        await abortableSleep(Math.min(100 * (attempt + 1), 500), ctx.signal);
      }
      await abortableSleep(Math.min(value.settleMs ?? 1_000, 60_000), ctx.signal);
      return { type: "ok", value: { waitedMs: Date.now() - started, ...(leader ? { leader } : {}) } };
    },
  };
}

/** The nemesis that runs every op of these kinds (and `wait-for-recovery`); `actorNemesis` for actor kinds. */
export function nemesisForKinds(kinds: readonly FaultKind[], actorNemesis?: Nemesis): Nemesis {
  const nemeses: Nemesis[] = [];
  if (kindsNeed(kinds, "actors")) {
    if (!actorNemesis)
      throw new UsageError(`nemesis ${kinds.join(",")}: actor faults need the test's actors`);
    nemeses.push(actorNemesis);
  }
  if (kindsNeed(kinds, "process")) nemeses.push(processNemesis());
  if (kindsNeed(kinds, "network")) nemeses.push(networkNemesis());
  if (kindsNeed(kinds, "clock")) nemeses.push(clockNemesis());
  nemeses.push(recoveryNemesis());
  return composeNemeses(nemeses, kinds.join("+") || "none");
}

/** The seeded schedule of these kinds as a package; see the module doc. */
export function faultSchedule(options: FaultScheduleOptions): NemesisPackage {
  const ops = faultScheduleOps(options);
  const generator: GeneratorLike = ops.flatMap((op) => [sleep(options.intervalMs), op]);
  return {
    nemesis: nemesisForKinds(options.kinds, options.actorNemesis),
    generator,
    finalGenerator: [
      ...healOps(options.kinds),
      {
        f: RECOVERY_F,
        value: { timeoutMs: options.recoveryTimeoutMs ?? 30_000, settleMs: options.settleMs ?? 1_000 },
      },
    ],
    kinds: options.kinds,
  };
}

/** Parse `--nemesis` kinds; throws a {@link UsageError} naming the unknown ones. */
export function parseFaultKinds(kinds: readonly string[]): FaultKind[] {
  const unknown = kinds.filter((kind) => !(FAULT_KINDS as readonly string[]).includes(kind));
  if (unknown.length > 0) {
    throw new UsageError(`unknown nemesis ${unknown.join(", ")} (known: ${FAULT_KINDS.join(", ")})`);
  }
  return [...new Set(kinds)] as FaultKind[];
}
