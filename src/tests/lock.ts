/**
 * The built-in lock workload (`crucible run --workload lock --target etcd`):
 * K actors (`--actors`, default 4), each a lock wrapper in a loop against a
 * real etcd cluster, each wrapper's child recording its hold in the run's
 * interval log through `crucible interval` and holding for 5 × TTL unless
 * it is stopped, so a wrapper that does not stop its child on a lost lease
 * is caught.
 *
 * - `--lock-tool demo` (default): `crucible demo-lock --max N` (a lock, or a
 *   semaphore of N slots), `--demo-mode unsafe` for its `--unsafe` twin;
 * - `--lock-tool etcdctl`: `etcdctl lock --ttl T` (max 1), its child given
 *   `ETCD_LOCK_REV` as the token.
 *
 * Every wrapper is given every member's endpoint (losing one member must
 * not end its session). The client side observes the lock: `holders` reads
 * the keys under the test's prefix (evidence that etcd answered; the
 * verdict is the interval log's). Faults: `--nemesis` with the actor kinds
 * (`actor-pause`, `actor-kill`, `actor-stop`, `lease-revoke`) and the node
 * kinds (`kill`, `pause`, `partition`, ...).
 *
 * The interval log is judged by `boundedConcurrency` (at most `--max`
 * holders, except within TTL + kill-after of each loss event, and each
 * window closes), `fencingTokens` (per slot) and `lockConvergence` (after
 * the last heal and a quiet period of one loss window, exactly `--max` hold);
 * `lockEvidence` says what was recorded. The final phase keeps observing for
 * {@link LOCK_FINAL_PHASE_MS}, so convergence has a stretch to judge.
 */
import { randomBytes } from "node:crypto";
import { actorNames, startActors } from "../actors/fixture.js";
import type { Actors } from "../actors/index.js";
import { unhandledExceptions } from "../checker/exceptions.js";
import {
  boundedConcurrency,
  DEFAULT_LOSS_RULES,
  fencingTokens,
  lockConvergence,
} from "../checker/intervals/index.js";
import { stats } from "../checker/stats.js";
import type { Checker, CheckResult } from "../checker/types.js";
import { EtcdLeaseClient } from "../client/etcd-lease.js";
import type { Client, ClientConnection } from "../client/types.js";
import { etcd } from "../cluster/recipes/etcd.js";
import { crucibleCliCommand } from "../demo/launch.js";
import { UsageError } from "../errors/index.js";
import {
  AWAIT_ACQUISITION_F,
  actorNemesis,
  FRESH_HOLDER_TARGET,
  HOLDER_TARGET,
} from "../faults/actor-nemesis.js";
import { faultScheduleOps, healOps, nemesisForKinds, parseFaultKinds } from "../faults/schedule.js";
import type { Nemesis, NemesisPackage } from "../faults/types.js";
import { type FaultKind, RECOVERY_F } from "../faults/vocabulary.js";
import { repeat, sleep, stagger, timeLimit } from "../generator/index.js";
import type { GeneratorLike } from "../generator/types.js";
import type { Completion, Invocation, Op } from "../history/op.js";
import { Random } from "../random/random.js";
import { STREAMS } from "../random/streams.js";
import { nemesisForRun } from "../runner/nemesis-for-run.js";
import { defineTest, type RunOptions } from "../runner/spec.js";

/** The lease TTL every wrapper is given, in seconds. */
export const LOCK_TTL_S = 2;
/** `--kill-after` of the demo wrapper: SIGKILL this long after SIGTERM. */
export const LOCK_KILL_AFTER_MS = 1_000;
/**
 * How long a child holds unless stopped: 5 × TTL. A lost lease comes at a
 * random point of a hold, and a wrapper that does not stop its child is only
 * caught when the rest of the hold outlasts the loss window (TTL +
 * kill-after): with 3 × TTL that was half the time, with 5 × TTL it is 7
 * times in 10.
 */
export const LOCK_HOLD_S = 5 * LOCK_TTL_S;
/** The documented loss window: TTL plus kill-after (docs/locks.md). */
export const LOCK_LOSS_WINDOW_MS = LOCK_TTL_S * 1000 + LOCK_KILL_AFTER_MS;
/** How long the final phase observes: the quiet period, then more than one whole hold. */
export const LOCK_FINAL_PHASE_MS = LOCK_LOSS_WINDOW_MS + LOCK_HOLD_S * 1000 + 2_000;
/** The longest a slot may stay vacant in a settled handover. */
export const LOCK_HANDOVER_MS = 3_000;
/**
 * Loss events of this workload: the default table, except that a stopped
 * wrapper is healed by its restart (`actor-start`), as the actor nemesis
 * does it, not at once.
 */
export const LOCK_LOSS_RULES = {
  ...DEFAULT_LOSS_RULES,
  "actor-stop": { kind: "stop", heals: ["actor-start"] },
} as const;
/**
 * The handover schedule's gap between revoking the holder's lease and
 * pausing its successor: long enough for the next waiter to claim the slot
 * and start its child (a watch event, a txn, a launcher and a recorder;
 * tens of ms on an idle machine), short against the TTL, so the pause
 * lands in the first second of the new hold.
 */
export const LOCK_HANDOVER_GAP_MS = 1_000;
/** The fault kinds of the handover schedule (the CLI's default `--nemesis` for this workload). */
export const LOCK_HANDOVER_KINDS: readonly FaultKind[] = ["lease-revoke", "actor-pause"];

/**
 * How long the handover schedule pauses the successor: the nemesis interval,
 * but at most what leaves an unsafe child 1 s of its hold past the loss
 * window (hold − gap − window − 1 s = 5 s at the defaults; a longer pause
 * would let the hold end inside the window and hide the bug), and at least
 * TTL + 0.5 s (shorter, the lease would not be lost at all).
 */
export function lockHandoverPauseMs(intervalMs: number): number {
  const longest = LOCK_HOLD_S * 1000 - LOCK_HANDOVER_GAP_MS - LOCK_LOSS_WINDOW_MS - 1_000;
  return Math.max(LOCK_TTL_S * 1000 + 500, Math.min(intervalMs, longest));
}

/**
 * The lock workload's own fault schedule, used when no `--nemesis` is given
 * (docs/detection.md, "The lock workload"). Each round, `intervalMs` apart:
 *
 *   sleep interval · lease-revoke {leases: "holder"} · sleep 1 s ·
 *   actor-pause {actors: "holder"} · sleep pause · actor-resume
 *
 * (pause: {@link lockHandoverPauseMs}, the interval at the defaults.)
 *
 * Why: a loss event only shows a wrapper that does not stop its child if
 * the rest of the hold outlasts the loss window; a fault at a random moment
 * of a hold does that only sometimes (a pause of 5 s plus a 3 s window
 * needs 8 s of a 10 s hold left: 1 time in 5). The revoke hands the lock
 * over at once, so the pause that follows hits a hold in its first second,
 * for longer than the TTL: its successor takes over after the TTL, and an
 * unsafe child runs on ~1 s past the window, every time. The revoke itself
 * is a loss event of a random-aged hold (found 7 times in 10). A safe
 * wrapper stops its child within a keepalive period of either, well inside
 * the window. Seeded like every schedule (it draws nothing: the same run
 * gives the same ops); the final phase heals and waits for recovery.
 */
export function lockHandoverSchedule(options: {
  readonly intervalMs: number;
  readonly timeLimitMs: number;
  readonly actorNemesis: Nemesis;
}): NemesisPackage {
  if (!(options.intervalMs > 0))
    throw new RangeError(`lockHandoverSchedule: intervalMs must be > 0, got ${options.intervalMs}`);
  const pauseMs = lockHandoverPauseMs(options.intervalMs);
  const roundMs = options.intervalMs + LOCK_HANDOVER_GAP_MS + pauseMs;
  const rounds = Math.min(10_000, Math.ceil(options.timeLimitMs / roundMs) + 1);
  const generator: GeneratorLike[] = [];
  for (let round = 0; round < rounds; round++)
    generator.push(
      sleep(options.intervalMs),
      { f: "lease-revoke", value: { leases: "holder" } },
      sleep(LOCK_HANDOVER_GAP_MS),
      { f: "actor-pause", value: { actors: HOLDER_TARGET } },
      sleep(pauseMs),
      { f: "actor-resume", value: "all" },
    );
  return {
    nemesis: nemesisForKinds(LOCK_HANDOVER_KINDS, options.actorNemesis),
    generator,
    finalGenerator: [
      ...healOps(LOCK_HANDOVER_KINDS),
      { f: RECOVERY_F, value: { timeoutMs: 30_000, settleMs: 1_000 } },
    ],
    kinds: LOCK_HANDOVER_KINDS,
  };
}

/** The actor fault ops the lock's seeded mix aims at a fresh holder. */
const AIMED_ACTOR_FS = new Set(["actor-pause", "actor-kill", "actor-stop"]);
/** How long a fresh-holder fault waits for the next acquisition: one whole hold and a loss window, then some. */
export const LOCK_FRESH_HOLDER_TIMEOUT_MS = LOCK_HOLD_S * 1000 + LOCK_LOSS_WINDOW_MS + 2_000;

/**
 * The lock workload's seeded mix, for an explicit `--nemesis`: the seeded
 * schedule of those kinds (`faultScheduleOps`, the run's
 * `nemesis-schedule` stream), with three changes that make each actor fault
 * a loss event that shows an unsafe wrapper:
 *
 * - kinds are dealt from a seeded deck (`deal: "deck"`), so every kind
 *   named appears once every `kinds.length` rounds (independent draws left
 *   seed 4 of the issue-13 acceptance with no distinguishing fault);
 * - `actor-pause`, `actor-kill`, `actor-stop` target `{ actors:
 *   "fresh-holder" }` and `lease-revoke` `{ leases: "fresh-holder" }`: the
 *   fault waits for the next acquisition and hits that holder ~200 ms into
 *   its hold ({@link LOCK_FRESH_HOLDER_TIMEOUT_MS} at most, then the
 *   current holder), instead of a drawn actor at a random moment of a hold
 *   (or no holder at all);
 * - a pause lasts {@link lockHandoverPauseMs} (≥ TTL + 0.5 s, so the lease
 *   is lost; ≤ what leaves an unsafe child running past the window), not the
 *   nemesis interval, and an aimed fault follows the one before after only
 *   {@link LOCK_HANDOVER_GAP_MS}: its wait for an acquisition is the spacing
 *   (with the interval before it too, one round of five kinds would take
 *   about 55 s of a 60 s run).
 *
 * Node faults (kill, partition, ...) are drawn as in every schedule. Same
 * seed, same ops.
 */
export function lockMixSchedule(options: {
  readonly kinds: readonly FaultKind[];
  readonly nodeNames: readonly string[];
  readonly actorNames: readonly string[];
  readonly intervalMs: number;
  readonly timeLimitMs: number;
  readonly random: Random;
  readonly actorNemesis: Nemesis;
}): NemesisPackage {
  const drawn = faultScheduleOps({
    kinds: options.kinds,
    nodeNames: options.nodeNames,
    intervalMs: options.intervalMs,
    timeLimitMs: options.timeLimitMs,
    random: options.random,
    actorNames: options.actorNames,
    actorNemesis: options.actorNemesis,
    deal: "deck",
  });
  const ops: Invocation[] = drawn.map((op) =>
    AIMED_ACTOR_FS.has(op.f)
      ? { f: op.f, value: { actors: FRESH_HOLDER_TARGET } }
      : op.f === "lease-revoke"
        ? { f: op.f, value: { leases: FRESH_HOLDER_TARGET } }
        : op,
  );
  const pauseMs = lockHandoverPauseMs(options.intervalMs);
  const generator: GeneratorLike[] = [];
  ops.forEach((op, i) => {
    // Before an aimed fault, only the handover gap: its wait for the next acquisition spaces it from the last.
    const gapMs =
      op.f === "actor-resume" && ops[i - 1]?.f === "actor-pause"
        ? pauseMs
        : AIMED_ACTOR_FS.has(op.f) || op.f === "lease-revoke"
          ? Math.min(LOCK_HANDOVER_GAP_MS, options.intervalMs)
          : options.intervalMs;
    generator.push(sleep(gapMs));
    // The wait for the acquisition as an op of its own, so the fault's invocation is when it strikes.
    if (AIMED_ACTOR_FS.has(op.f) || op.f === "lease-revoke")
      generator.push({ f: AWAIT_ACQUISITION_F, value: null });
    generator.push(op);
  });
  return {
    nemesis: nemesisForKinds(options.kinds, options.actorNemesis),
    generator,
    finalGenerator: [
      ...healOps(options.kinds),
      { f: RECOVERY_F, value: { timeoutMs: 30_000, settleMs: 1_000 } },
    ],
    kinds: options.kinds,
  };
}

/** Pause between one wrapper run ending and the actor's next. */
const RESPAWN_DELAY_MS = 100;

export const LOCK_TOOLS = ["demo", "etcdctl"] as const;
export type LockTool = (typeof LOCK_TOOLS)[number];

interface LockSettings {
  readonly tool: LockTool;
  readonly actors: number;
  readonly max: number;
  readonly unsafe: boolean;
}

function intOption(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!(Number.isSafeInteger(value) && value >= 1))
    throw new UsageError(`${name} must be a positive integer, not ${text}`);
  return value;
}

export function lockSettings(options: RunOptions): LockSettings {
  const tool = (options.extra.lockTool ?? "demo") as LockTool;
  if (!LOCK_TOOLS.includes(tool))
    throw new UsageError(`lockTool must be one of ${LOCK_TOOLS.join(", ")}, not ${tool}`);
  if ((options.extra.target ?? "etcd") !== "etcd")
    throw new UsageError(`the lock workload runs against etcd (target etcd), not ${options.extra.target}`);
  const mode = options.extra.demoMode ?? "safe";
  if (mode !== "safe" && mode !== "unsafe" && mode !== "linearizable")
    throw new UsageError(`demoMode for the lock workload is safe or unsafe, not ${mode}`);
  const unsafe = mode === "unsafe";
  const max = intOption(options.extra.max, "max", 1);
  const actors = intOption(options.extra.actors, "actors", 4);
  if (tool === "etcdctl" && max !== 1)
    throw new UsageError(`lockTool etcdctl holds a lock (max 1), not a semaphore of ${max}`);
  if (tool === "etcdctl" && unsafe) throw new UsageError("demoMode unsafe is a mode of lockTool demo");
  return { tool, actors, max, unsafe };
}

/** The wrapper command line of one actor. */
function wrapperArgv(
  settings: LockSettings,
  actor: string,
  endpoints: string,
  prefix: string,
  log: string,
): string[] {
  const cli = crucibleCliCommand();
  const child = (tokenEnv: string, slotEnv?: string) => [
    cli.command,
    ...cli.args,
    "interval",
    "--log",
    log,
    "--holder",
    actor,
    "--token-env",
    tokenEnv,
    ...(slotEnv ? ["--slot-env", slotEnv] : []),
    "--",
    "sleep",
    String(LOCK_HOLD_S),
  ];
  if (settings.tool === "etcdctl")
    return [
      "etcdctl",
      "--endpoints",
      endpoints,
      "lock",
      "--ttl",
      String(LOCK_TTL_S),
      `${prefix}lock`,
      "--",
      ...child("ETCD_LOCK_REV"),
    ];
  return [
    cli.command,
    ...cli.args,
    "demo-lock",
    "--endpoints",
    endpoints,
    "--prefix",
    prefix,
    "--ttl",
    String(LOCK_TTL_S),
    "--max",
    String(settings.max),
    "--kill-after",
    `${LOCK_KILL_AFTER_MS}ms`,
    "--name",
    actor,
    ...(settings.unsafe ? ["--unsafe"] : []),
    "--",
    ...child("CRUCIBLE_LOCK_REV", "CRUCIBLE_LOCK_SLOT"),
  ];
}

/** A client that observes the lock: `holders` lists the keys under the prefix (and their values). */
function lockObserver(state: { prefix: string }): Client {
  return {
    name: "lock-observer",
    async open({ cluster }) {
      const client = new EtcdLeaseClient({ endpoints: (cluster?.nodes ?? []).map((node) => node.address) });
      const connection: ClientConnection = {
        async invoke(op: Op): Promise<Completion> {
          try {
            const { kvs } = await client.rangePrefix(state.prefix);
            return { type: "ok", value: kvs.map((kv) => kv.value || kv.key) };
          } catch (error) {
            // A read changes nothing: a failed one certainly did not happen.
            return { type: "fail", error: (error as Error).message, value: op.value };
          }
        },
        async close() {
          client.close();
        },
      };
      return connection;
    },
  };
}

/**
 * What the run recorded: the number of intervals (open ones apart), holders
 * and loss events. `unknown` when nothing was recorded (the interval
 * checkers would have nothing to judge); otherwise valid, as evidence.
 */
export function lockEvidence(): Checker {
  return {
    name: "lock-evidence",
    check(history, ctx): CheckResult {
      const intervals = ctx.intervals ?? [];
      const open = intervals.filter((interval) => interval.end === undefined).length;
      const holders = [...new Set(intervals.map((interval) => interval.holder))].sort();
      const lossFs = new Set(["actor-pause", "actor-kill", "actor-stop", "lease-revoke", "start-partition"]);
      const lossEvents = history.filter(
        (op) => op.process === "nemesis" && op.type === "ok" && lossFs.has(op.f),
      ).length;
      return {
        // Evidence, not a verdict: valid once something was recorded (the interval checkers judge it).
        valid: intervals.length === 0 ? "unknown" : true,
        explanation:
          intervals.length === 0
            ? "no interval was recorded: no wrapper ever ran its child"
            : `${intervals.length} intervals recorded (${open} open) by ${holders.length} holders (${holders.join(", ")}), ${lossEvents} loss events`,
        intervals: intervals.length,
        open,
        holders,
        lossEvents,
      };
    },
  };
}

export default defineTest((options) => {
  const settings = lockSettings(options);
  const names = actorNames({ count: settings.actors });
  const state = { prefix: `crucible/${randomBytes(6).toString("hex")}/lock/` };
  let actors: Actors | undefined;
  let leaseClient: EtcdLeaseClient | undefined;
  const lockNemesis = actorNemesis({
    actors: () => actors,
    leases: () => (leaseClient ? { client: leaseClient, prefix: state.prefix } : undefined),
    freshHolder: { timeoutMs: LOCK_FRESH_HOLDER_TIMEOUT_MS },
  });
  const plan = nemesisForRun(options, {
    actorNames: names,
    // A pause must hit the holder to matter: "all" always does, a minority often (one would, 1 time in K).
    actorTargets: ["minority", "all"],
    actorNemesis: lockNemesis,
  });
  // No --nemesis given: the handover schedule, designed so that every round has a loss event that matters;
  // an explicit one: its kinds as the lock's seeded mix (every kind dealt, actor faults aimed at a fresh hold).
  const kinds = parseFaultKinds(options.nemesis);
  const nemesis =
    options.nemesisExplicit === false
      ? lockHandoverSchedule({
          intervalMs: options.nemesisIntervalMs,
          timeLimitMs: options.timeLimitMs,
          actorNemesis: lockNemesis,
        })
      : kinds.length === 0
        ? undefined
        : lockMixSchedule({
            kinds,
            nodeNames: Array.from({ length: options.nodes }, (_, i) => `n${i + 1}`),
            actorNames: names,
            intervalMs: options.nemesisIntervalMs,
            timeLimitMs: options.timeLimitMs,
            random: new Random(options.seed).fork(STREAMS.nemesisSchedule.label),
            actorNemesis: lockNemesis,
          });
  const toolName = settings.tool === "etcdctl" ? "etcdctl" : settings.unsafe ? "demo-unsafe" : "demo";
  return {
    name: `etcd-lock-${toolName}${settings.max > 1 ? `-max${settings.max}` : ""}`,
    cluster: (ctx) =>
      plan.startCluster({
        recipe: (hooks) => etcd({ advertisePeerUrl: hooks.advertisePeerUrl }),
        ctx,
        network: "auto",
      }),
    actors: async (ctx) => {
      const nodes = ctx.cluster?.nodes ?? [];
      leaseClient = new EtcdLeaseClient({ endpoints: nodes.map((node) => node.address) });
      const endpoints = nodes.map((node) => node.address).join(",");
      actors = await startActors({
        names,
        command: (actor) =>
          wrapperArgv(settings, actor.name, endpoints, state.prefix, ctx.intervalLogPath)[0]!,
        args: (actor) =>
          wrapperArgv(settings, actor.name, endpoints, state.prefix, ctx.intervalLogPath).slice(1),
        respawn: { delayMs: RESPAWN_DELAY_MS },
        logDir: ctx.logDir,
        onExit: ctx.onExit,
        keep: ctx.options.keep,
      });
      const close = actors.close.bind(actors);
      // The lease client goes with the actors.
      Object.defineProperty(actors, "close", {
        value: async () => {
          await close();
          leaseClient?.close();
        },
      });
      return actors;
    },
    client: lockObserver(state),
    concurrency: 1,
    generator: stagger(500, repeat({ f: "holders", value: null })),
    // Observe long enough after the last heal for convergence to be judged (quiet period + a whole hold).
    finalGenerator: timeLimit(LOCK_FINAL_PHASE_MS, stagger(500, repeat({ f: "holders", value: null }))),
    ...(nemesis && { nemesis }),
    checker: [
      stats(),
      unhandledExceptions(),
      lockEvidence(),
      boundedConcurrency({
        limit: settings.max,
        lossWindowMs: LOCK_LOSS_WINDOW_MS,
        lossRules: LOCK_LOSS_RULES,
      }),
      fencingTokens({ by: "slot", lossRules: LOCK_LOSS_RULES }),
      lockConvergence({
        expectedHolders: Math.min(settings.max, settings.actors),
        quietMs: LOCK_LOSS_WINDOW_MS,
        // A handover includes starting the next child's recorder (a Node process): generous on a loaded machine.
        handoverMs: LOCK_HANDOVER_MS,
        allowWaiting: true,
        exitFs: ["actor-exit"],
      }),
    ],
    describe: {
      workload: "lock",
      lockTool: settings.tool,
      unsafe: settings.unsafe,
      actors: settings.actors,
      max: settings.max,
      ttlS: LOCK_TTL_S,
      killAfterMs: LOCK_KILL_AFTER_MS,
      holdS: LOCK_HOLD_S,
      lossWindowMs: LOCK_LOSS_WINDOW_MS,
      keyPrefix: state.prefix,
      faultSchedule: options.nemesisExplicit === false ? "handover" : "seeded mix, aimed",
    },
  };
});
