/**
 * Fault periods: when was the system under a fault? The nemesis journals each
 * fault op as an invoke and a completion (`kill` … `start`, `pause` … `resume`,
 * `partition` … `heal`); this pairs them into periods that reports shade.
 *
 * A period runs from the invocation of the op that starts the fault to the
 * completion of the op that heals it. That is the widest window in which the
 * fault may have been in effect: the fault can bite any time after its op was
 * invoked, and is only known to be gone once the healing op has completed.
 * A fault never healed runs to the end of the history (`healed: false`).
 * A nemesis op that neither starts nor heals a known fault (a one-shot
 * `bump-clock`, say) is a period of its own, from its invoke to its completion.
 */
import type { Op } from "../history/op.js";

export interface FaultPeriod {
  /** What kind of fault: the `f` of the op that started it (`kill`, `pause`, `partition`, ...). */
  kind: string;
  /** Start of the period, ns since the test started (the fault op's invocation). */
  startNs: number;
  /** End of the period, ns (the healing op's completion, or the end of the history). */
  endNs: number;
  /** `Op.index` of the op that started the fault (its invocation). */
  startIndex: number;
  /** `Op.index` of the op that healed it (its completion); undefined when never healed. */
  endIndex: number | undefined;
  /** The f of the healing op (`start`, `resume`, `heal`, ...), when healed. */
  healedBy: string | undefined;
  healed: boolean;
  /** The fault op's value (which nodes, which partition), for tooltips. */
  value: unknown;
  /** True for one-shot ops with no healing partner. */
  instant: boolean;
}

/**
 * Which op heals which fault. Several names map to one kind because nemeses
 * differ (`stop`/`kill` are both healed by `start`); a healing op closes every
 * open fault of each kind it heals.
 */
const HEALS: Record<string, readonly string[]> = {
  start: ["kill", "stop", "crash"],
  resume: ["pause", "stop-process"],
  heal: ["partition", "partition-halves", "partition-ring", "isolate", "drop", "latency", "loss", "slow"],
  "stop-partition": ["start-partition"],
  "reset-clock": ["bump-clock", "strobe-clock", "skew-clock", "clock-skew", "bump", "strobe", "skew"],
  "clock-reset": ["bump-clock", "strobe-clock", "skew-clock", "clock-skew", "bump", "strobe", "skew"],
  "heal-network": [
    "partition",
    "latency",
    "loss",
    "slow",
    "drop",
    "start-partition",
    "start-latency",
    "start-loss",
    "start-bandwidth",
  ],
  release: ["hold"],
  "unrevoke-lease": ["revoke-lease"],
};

const STARTERS = new Set(Object.values(HEALS).flat());

/** Nemesis ops that are neither a fault nor a heal: they get no period. */
const NEUTRAL = new Set(["wait-for-recovery", "log"]);

/**
 * The kinds an op with this f heals; also pairs the generic `start-X` →
 * `stop-X`, `X-start` → `X-stop`. Shared with the runner's live display of
 * the faults in effect.
 */
export function healedKinds(f: string): readonly string[] {
  const known = HEALS[f];
  if (known) return known;
  if (f.startsWith("stop-")) return [`start-${f.slice(5)}`];
  if (f.endsWith("-stop")) return [`${f.slice(0, -5)}-start`];
  if (f.startsWith("heal-")) return [f.slice(5)];
  return [];
}

export function isNeutralNemesisOp(f: string): boolean {
  return NEUTRAL.has(f);
}

export function isStarter(f: string): boolean {
  return STARTERS.has(f) || f.startsWith("start-") || f.endsWith("-start");
}

/**
 * Pair the nemesis ops of a history into fault periods, ordered by start.
 * Linear in the history; ignores client ops. A second start of a kind that is
 * already open extends nothing and opens nothing (the fault is already on);
 * a healing op with nothing open (the final phase heals everything, always)
 * produces no period.
 */
export function faultPeriods(history: readonly Op[]): FaultPeriod[] {
  const periods: FaultPeriod[] = [];
  const open = new Map<string, FaultPeriod>();
  // The nemesis is one process: its invoke is always followed by its completion.
  let pendingInvoke: Op | undefined;
  let lastNs = 0;
  for (const op of history) {
    if (op.time > lastNs) lastNs = op.time;
    if (op.process !== "nemesis") continue;
    if (op.type === "invoke") {
      pendingInvoke = op;
      continue;
    }
    const invoke = pendingInvoke && pendingInvoke.f === op.f ? pendingInvoke : op;
    pendingInvoke = undefined;
    if (NEUTRAL.has(op.f)) continue;
    const healed = healedKinds(op.f);
    if (healed.length > 0) {
      for (const kind of healed) {
        const period = open.get(kind);
        if (!period) continue;
        period.endNs = op.time;
        period.endIndex = op.index;
        period.healedBy = op.f;
        period.healed = true;
        open.delete(kind);
      }
      continue;
    }
    if (isStarter(op.f)) {
      if (open.has(op.f)) continue;
      const period: FaultPeriod = {
        kind: op.f,
        startNs: invoke.time,
        endNs: Number.NaN,
        startIndex: invoke.index,
        endIndex: undefined,
        healedBy: undefined,
        healed: false,
        value: op.value ?? invoke.value,
        instant: false,
      };
      open.set(op.f, period);
      periods.push(period);
      continue;
    }
    periods.push({
      kind: op.f,
      startNs: invoke.time,
      endNs: op.time,
      startIndex: invoke.index,
      endIndex: op.index,
      healedBy: undefined,
      healed: true,
      value: op.value ?? invoke.value,
      instant: true,
    });
  }
  // An invoke with no completion (the run ended mid-fault) still started a fault.
  if (pendingInvoke && isStarter(pendingInvoke.f) && !open.has(pendingInvoke.f)) {
    const period: FaultPeriod = {
      kind: pendingInvoke.f,
      startNs: pendingInvoke.time,
      endNs: Number.NaN,
      startIndex: pendingInvoke.index,
      endIndex: undefined,
      healedBy: undefined,
      healed: false,
      value: pendingInvoke.value,
      instant: false,
    };
    open.set(pendingInvoke.f, period);
    periods.push(period);
  }
  for (const period of open.values()) period.endNs = Math.max(lastNs, period.startNs);
  return periods.sort((a, b) => a.startNs - b.startNs);
}
