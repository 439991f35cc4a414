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
 * `nemesisForRun(options)` turns `crucible run --nemesis kill,partition
 * --nemesis-interval 5s` into a {@link FaultPlan}: the package, and the
 * cluster start that gives those faults what they need (proxies, namespaces,
 * libfaketime).
 */
import { UsageError } from "../cli/exit-codes.js";
import { type ClusterOptions, startCluster } from "../cluster/fixture.js";
import type { Recipe } from "../cluster/recipe.js";
import type { Cluster } from "../cluster/types.js";
import { sleep } from "../generator/index.js";
import type { GeneratorLike } from "../generator/types.js";
import type { Completion, Invocation, Op } from "../history/op.js";
import { Random } from "../random/random.js";
import { STREAMS } from "../random/streams.js";
import type { ClusterContext, RunOptions } from "../runner/spec.js";
import { clockNemesis } from "./clock-nemesis.js";
import { composeNemeses } from "./compose.js";
import { type NetworkMode, type RecipeHooks, startFaultCluster } from "./fault-cluster.js";
import { networkNemesis } from "./network-nemesis.js";
import { bridge, grudgeToJson, isolate, majoritiesRing, randomHalves } from "./partition.js";
import { processNemesis } from "./process.js";
import { abortableSleep } from "./sleep.js";
import { resolveTarget, type TargetSpec } from "./targets.js";
import type { Nemesis, NemesisContext, NemesisPackage } from "./types.js";

/** The fault kinds a schedule can mix (the names `--nemesis` takes). */
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
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export type PartitionShape = "halves" | "isolate" | "majorities-ring" | "bridge" | "primaries";

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
}

const HEAL_OF: Record<FaultKind, string | undefined> = {
  kill: "start",
  stop: "start",
  pause: "resume",
  partition: "stop-partition",
  latency: "stop-latency",
  loss: "stop-loss",
  bandwidth: "stop-bandwidth",
  reset: undefined,
  clock: "reset-clock",
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

/** The fault op of one round (exported for tests). */
function faultOp(kind: FaultKind, options: FaultScheduleOptions, random: Random): Invocation {
  const nodes = options.nodeNames;
  const target = () => resolveTarget(random.pick(options.targets ?? ["one", "primary"]), nodes, random);
  switch (kind) {
    case "kill":
    case "pause":
    case "stop":
      return { f: kind, value: target() };
    case "partition": {
      // With two nodes a ring or a bridge cuts nothing: the round would be wasted.
      const shapes = (
        options.partitionShapes ?? ["halves", "isolate", "majorities-ring", "bridge", "primaries"]
      ).filter((shape) => nodes.length >= 3 || (shape !== "majorities-ring" && shape !== "bridge"));
      return partitionOp(random.pick(shapes), nodes, random);
    }
    case "latency":
      return {
        f: "start-latency",
        value: { nodes: target(), ...(options.latency ?? { delayMs: 100, jitterMs: 50 }) },
      };
    case "loss":
      return { f: "start-loss", value: { nodes: target(), probability: options.lossProbability ?? 0.02 } };
    case "bandwidth":
      return {
        f: "start-bandwidth",
        value: { nodes: target(), bytesPerSec: options.bandwidthBytesPerSec ?? 65_536 },
      };
    case "reset":
      return { f: "reset-connections", value: { nodes: target() } };
    case "clock": {
      const max = Math.max(100, options.clockDeltaMsMax ?? 5_000);
      const deltaMs = random.int(100, max) * (random.chance(0.5) ? 1 : -1);
      if (random.chance(0.5)) return { f: "bump-clock", value: { nodes: target(), deltaMs } };
      const periodMs = random.int(10, 200);
      return {
        f: "strobe-clock",
        value: { nodes: target(), deltaMs, periodMs, durationMs: Math.min(options.intervalMs, 2_000) },
      };
    }
  }
}

/** The main-phase schedule as plain ops: fault, heal, fault, heal... (exported for tests: same seed, same list). */
export function faultScheduleOps(options: FaultScheduleOptions): Invocation[] {
  if (options.kinds.length === 0 || options.nodeNames.length === 0) return [];
  if (!(options.intervalMs > 0))
    throw new RangeError(`faultSchedule: intervalMs must be > 0, got ${options.intervalMs}`);
  const rounds = Math.min(100_000, Math.ceil(options.timeLimitMs / (2 * options.intervalMs)) + 1);
  const ops: Invocation[] = [];
  for (let round = 0; round < rounds; round++) {
    const kind = options.random.pick(options.kinds);
    ops.push(faultOp(kind, options, options.random));
    const heal = HEAL_OF[kind];
    if (heal)
      ops.push({ f: heal, value: kind === "kill" || kind === "stop" || kind === "pause" ? "all" : null });
  }
  return ops;
}

/** The heal ops for these kinds, in a safe order: processes back first, then the network, then clocks. */
export function healOps(kinds: readonly FaultKind[]): Invocation[] {
  const order: FaultKind[] = ["pause", "kill", "stop", "partition", "latency", "loss", "bandwidth", "clock"];
  const seen = new Set<string>();
  const ops: Invocation[] = [];
  for (const kind of order) {
    const heal = HEAL_OF[kind];
    if (!kinds.includes(kind) || !heal || seen.has(heal)) continue;
    seen.add(heal);
    ops.push({ f: heal, value: heal === "start" || heal === "resume" ? "all" : null });
  }
  return ops;
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
    fs: ["wait-for-recovery"],
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

/** The nemesis that runs every op of these kinds (and `wait-for-recovery`). */
export function nemesisForKinds(kinds: readonly FaultKind[]): Nemesis {
  const nemeses: Nemesis[] = [];
  if (kinds.some((kind) => kind === "kill" || kind === "pause" || kind === "stop"))
    nemeses.push(processNemesis());
  if (kinds.some((kind) => ["partition", "latency", "loss", "bandwidth", "reset"].includes(kind))) {
    nemeses.push(networkNemesis());
  }
  if (kinds.includes("clock")) nemeses.push(clockNemesis());
  nemeses.push(recoveryNemesis());
  return composeNemeses(nemeses, kinds.join("+") || "none");
}

/** The seeded schedule of these kinds as a package; see the module doc. */
export function faultSchedule(options: FaultScheduleOptions): NemesisPackage {
  const ops = faultScheduleOps(options);
  const generator: GeneratorLike = ops.flatMap((op) => [sleep(options.intervalMs), op]);
  return {
    nemesis: nemesisForKinds(options.kinds),
    generator,
    finalGenerator: [
      ...healOps(options.kinds),
      {
        f: "wait-for-recovery",
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

/** What `nemesisForRun` gives the test: the package and the matching cluster start. */
export interface FaultPlan {
  readonly kinds: readonly FaultKind[];
  /** Undefined when no fault was asked for. */
  readonly nemesis: NemesisPackage | undefined;
  /** Whether the cluster needs proxies/namespaces and libfaketime. */
  readonly needsNetwork: boolean;
  readonly needsClock: boolean;
  /**
   * Start the cluster the faults need: `startFaultCluster` when network or
   * clock faults are asked for, plain `startCluster` otherwise. `network`
   * overrides `--network` (`options.extra.network`: proxy | netns | auto).
   */
  startCluster(args: {
    readonly recipe: (hooks: RecipeHooks) => Recipe;
    readonly ctx: ClusterContext;
    readonly network?: NetworkMode;
    readonly cluster?: ClusterOptions;
  }): Promise<Cluster>;
}

/**
 * Turn the run options (`--nemesis`, `--nemesis-interval`, `--time-limit`,
 * `--seed`, `--nodes`, and `extra.network`) into a fault plan. The schedule's
 * stream is `new Random(options.seed).fork("nemesis-schedule")`, as the
 * process faults always used, so seeds keep replaying.
 */
export function nemesisForRun(options: RunOptions, overrides: Partial<FaultScheduleOptions> = {}): FaultPlan {
  const kinds = parseFaultKinds(options.nemesis);
  const nodeNames = Array.from({ length: options.nodes }, (_, i) => `n${i + 1}`);
  const needsNetwork = kinds.some((kind) =>
    ["partition", "latency", "loss", "bandwidth", "reset"].includes(kind),
  );
  const needsClock = kinds.includes("clock");
  const nemesis =
    kinds.length === 0
      ? undefined
      : faultSchedule({
          kinds,
          nodeNames,
          intervalMs: options.nemesisIntervalMs,
          timeLimitMs: options.timeLimitMs,
          random: new Random(options.seed).fork(STREAMS.nemesisSchedule.label),
          ...overrides,
        });
  const extraNetwork = options.extra.network;
  const network: NetworkMode =
    extraNetwork === "proxy" || extraNetwork === "netns" || extraNetwork === "auto" || extraNetwork === "none"
      ? extraNetwork
      : "proxy";
  return {
    kinds,
    nemesis,
    needsNetwork,
    needsClock,
    async startCluster(args) {
      const clusterOptions: ClusterOptions = {
        logDir: args.ctx.logDir,
        random: args.ctx.random,
        keep: args.ctx.options.keep,
        ...args.cluster,
      };
      if (!needsNetwork && !needsClock) {
        return startCluster(args.recipe(directHooks), args.ctx.options.nodes, clusterOptions);
      }
      return startFaultCluster({
        recipe: args.recipe,
        size: args.ctx.options.nodes,
        network: needsNetwork ? (args.network ?? network) : "none",
        clock: needsClock,
        cluster: clusterOptions,
        random: args.ctx.random,
      });
    },
  };
}

/** Hooks that leave every address as it is (no proxies). */
export const directHooks: RecipeHooks = {
  peerAddress: (_from, to) => ({ host: to.host, port: to.port }),
  peerUrl: (_from, _to, directUrl) => directUrl,
  replicaOfAddress: (_replica, primary) => ({ host: primary.host, port: primary.port }),
  advertisePeerUrl: (node) => `http://${node.host}:${node.ports.peer ?? node.port}`,
};
