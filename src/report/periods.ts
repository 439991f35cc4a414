/**
 * Fault periods: when was the system under a fault? The nemesis journals each
 * fault op as an invoke and a completion (`kill` … `start`, `pause` … `resume`,
 * `start-partition` … `stop-partition`); this pairs them into periods that
 * reports shade. Which op heals which is the fault vocabulary's
 * (`faults/vocabulary.ts`: the table of kinds, then the naming rule for any
 * other nemesis); docs/faults.md says how a custom nemesis names its ops.
 *
 * A period runs from the invocation of the op that starts the fault to the
 * completion of the op that heals it. That is the widest window in which the
 * fault may have been in effect: the fault can bite any time after its op was
 * invoked, and is only known to be gone once the healing op has completed.
 * A fault never healed runs to the end of the history (`healed: false`).
 * A nemesis op that neither starts nor heals a known fault (a one-shot
 * `bump-clock`, say) is a period of its own, from its invoke to its completion.
 */
import { healedKinds, isNeutralNemesisOp, isStarter } from "../faults/vocabulary.js";
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
    // A failed fault did not happen, and a failed heal healed nothing.
    if (isNeutralNemesisOp(op.f) || op.type === "fail") continue;
    const healed = healedKinds(op.f);
    if (healed.length > 0) {
      // A heal with an unknown outcome may not have healed: the period stays open until one is known.
      if (op.type === "info") continue;
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

/**
 * A fault op's value in a few words, for labels and the fault table: a
 * partition as its sides (`n1 n2 | n3`), a node list as names, other fields
 * as `key value`. The full value stays in the op's details.
 */
export function describeFaultValue(value: unknown, maxLength = 120): string {
  const text = faultValueWords(value);
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
}

function faultValueWords(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value) && value.every((item) => typeof item === "string")) return value.join(", ");
  if (typeof value !== "object" || Array.isArray(value)) return JSON.stringify(value);
  const record = value as Record<string, unknown>;
  const words: string[] = [];
  if (typeof record.shape === "string") words.push(record.shape);
  const grudge = record.grudge;
  if (grudge && typeof grudge === "object" && !Array.isArray(grudge)) {
    words.push(describeGrudge(grudge as Record<string, unknown>));
  }
  if (Array.isArray(record.nodes)) words.push(record.nodes.join(", "));
  for (const [key, field] of Object.entries(record)) {
    if (["shape", "grudge", "nodes", "cut", "partial", "uncut", "reach", "via"].includes(key)) continue;
    if (typeof field === "number" || typeof field === "string" || typeof field === "boolean") {
      words.push(`${key} ${field}`);
    }
  }
  return words.join(" · ") || JSON.stringify(value);
}

/**
 * A grudge (node → nodes whose traffic it drops) as its sides when it splits
 * the nodes into groups that talk within and not across (`n1 n2 | n3`);
 * otherwise as the links it cuts (`n1↛n3, ...`), e.g. a majorities ring.
 */
function describeGrudge(grudge: Record<string, unknown>): string {
  const drops = new Map<string, Set<string>>();
  for (const [node, dropped] of Object.entries(grudge)) {
    drops.set(node, new Set(Array.isArray(dropped) ? dropped.map(String) : []));
  }
  const nodes = [...drops.keys()].sort();
  const talks = (a: string, b: string) => !drops.get(a)?.has(b) && !drops.get(b)?.has(a);
  const groups: string[][] = [];
  for (const node of nodes) {
    const group = groups.find((candidate) => candidate.every((member) => talks(member, node)));
    if (group) group.push(node);
    else groups.push([node]);
  }
  const clean = groups.every((group, i) =>
    groups.every((other, j) => i === j || group.every((a) => other.every((b) => !talks(a, b)))),
  );
  if (clean && groups.length > 1) return groups.map((group) => group.join(" ")).join(" | ");
  const links = nodes.flatMap((to) => [...(drops.get(to) ?? [])].map((from) => `${from}↛${to}`));
  return links.join(", ");
}
