/**
 * Consistency models and the anomalies each forbids, after Elle's published
 * model map (Jepsen's `elle.consistency-model`, itself drawn from Adya,
 * Bailis et al., Cerone et al., Daudjee and Salem). Three relations:
 *
 * - `IMPLIED_ANOMALIES`: a → b means "a history with a also has b" (a G0 cycle
 *   is also a G1c cycle; G1a, G1b and G1c together are G1).
 * - `MODEL_IMPLIES`: a → b means "a history that satisfies a satisfies b"
 *   (serializable → repeatable-read).
 * - `DIRECTLY_FORBIDS`: the anomalies a model adds over the models it implies.
 *
 * A model forbids an anomaly when it, or a model it implies, directly forbids
 * the anomaly or one the anomaly implies. Given the anomalies found, `not`
 * lists the weakest models ruled out and `alsoNot` the stronger ones.
 *
 * Names are Elle's friendly ones; Adya's PL-n names are accepted as aliases.
 * `garbage-read` (a read of a value nobody wrote) is ours: Elle has no name for
 * it in this map; we say it implies G1a, because a value from nowhere is at
 * least as bad as a value from an aborted transaction.
 */
import { UsageError } from "../../errors/index.js";

const IMPLIED_ANOMALIES: Readonly<Record<string, readonly string[]>> = {
  G0: ["G1c", "G0-process"],
  "G0-process": ["G1c-process", "G0-realtime"],
  "G0-realtime": ["G1c-realtime"],
  G1a: ["G1"],
  G1b: ["G1"],
  G1c: ["G1", "G1c-process"],
  "G1c-process": ["G1c-realtime", "G1-process"],
  "G1c-realtime": ["G1-realtime"],
  G1: ["G1-process"],
  "G1-process": ["G1-realtime"],
  "G-single": ["G-nonadjacent", "GSIb", "G-single-process"],
  "G-single-process": ["G-nonadjacent-process", "G-single-realtime"],
  "G-single-realtime": ["G-nonadjacent-realtime"],
  "G-nonadjacent": ["G2", "G-nonadjacent-process"],
  "G-nonadjacent-process": ["G2-process", "G-nonadjacent-realtime"],
  "G-nonadjacent-realtime": ["G2-realtime"],
  G2: ["G2-process"],
  "G2-item": ["G2", "G2-item-process"],
  "G2-item-process": ["G2-process", "G2-item-realtime"],
  "G2-item-realtime": ["G2-realtime"],
  "G2-process": ["G2-realtime"],
  GSIa: ["GSI"],
  GSIb: ["GSI"],
  "incompatible-order": ["G1a"],
  "future-read": ["G1c"],
  "dirty-update": ["G1a"],
  "garbage-read": ["G1a"],
  "lost-update": ["write-skew", "G2-item"],
  "write-skew": ["G2"],
};

const MODEL_IMPLIES: Readonly<Record<string, readonly string[]>> = {
  "causal-cerone": ["read-atomic"],
  "consistent-view": ["cursor-stability", "monotonic-view"],
  "cursor-stability": ["read-committed"],
  "forward-consistent-view": ["consistent-view"],
  "read-committed": ["read-uncommitted"],
  serializable: ["repeatable-read", "update-serializable", "snapshot-isolation"],
  "update-serializable": ["forward-consistent-view"],
  "monotonic-atomic-view": ["read-committed"],
  "monotonic-view": ["read-committed"],
  "monotonic-snapshot-read": ["read-committed"],
  "parallel-snapshot-isolation": ["causal-cerone", "ROLA"],
  prefix: ["causal-cerone"],
  "read-atomic": ["monotonic-atomic-view"],
  "repeatable-read": ["cursor-stability", "monotonic-atomic-view"],
  ROLA: ["read-atomic"],
  "snapshot-isolation": [
    "forward-consistent-view",
    "monotonic-atomic-view",
    "monotonic-snapshot-read",
    "parallel-snapshot-isolation",
    "prefix",
  ],
  "strict-serializable": [
    "serializable",
    "snapshot-isolation",
    "strong-snapshot-isolation",
    "strong-session-serializable",
  ],
  "strong-session-read-uncommitted": ["read-uncommitted"],
  "strong-session-read-committed": ["read-committed", "strong-session-read-uncommitted"],
  "strong-read-uncommitted": ["strong-session-read-uncommitted"],
  "strong-read-committed": ["strong-session-read-committed", "strong-read-uncommitted"],
  "strong-session-serializable": ["serializable", "strong-session-snapshot-isolation"],
  "strong-session-snapshot-isolation": ["snapshot-isolation", "strong-session-read-committed"],
  "strong-snapshot-isolation": ["strong-session-snapshot-isolation", "strong-read-committed"],
  "read-uncommitted": [],
  // Single-object models: named so that Elle's model names are all accepted; they forbid no transactional anomaly.
  linearizable: ["sequential"],
  sequential: ["causal"],
  causal: ["writes-follow-reads", "PRAM"],
  PRAM: ["monotonic-reads", "monotonic-writes", "read-your-writes"],
  "writes-follow-reads": [],
  "monotonic-reads": [],
  "monotonic-writes": [],
  "read-your-writes": [],
};

const DIRECTLY_FORBIDS: Readonly<Record<string, readonly string[]>> = {
  "causal-cerone": ["internal", "G1a"],
  "cursor-stability": ["G1", "G-cursor", "lost-update"],
  "monotonic-view": ["G1", "G-monotonic"],
  "monotonic-snapshot-read": ["G1", "G-MSR"],
  "consistent-view": ["G1", "G-single"],
  "forward-consistent-view": ["G1", "G-SIb"],
  "parallel-snapshot-isolation": ["internal", "G1a"],
  serializable: ["G1", "G2", "internal"],
  "read-committed": ["G1"],
  "read-uncommitted": ["G0", "duplicate-elements", "cyclic-versions"],
  prefix: ["internal", "G1a"],
  "snapshot-isolation": ["internal", "G1", "G-SI", "G-nonadjacent"],
  "read-atomic": ["internal", "G1a", "future-read"],
  "repeatable-read": ["G1", "G2-item", "lost-update"],
  ROLA: ["lost-update"],
  "strict-serializable": ["G1", "G1c-realtime", "G2-realtime"],
  "strong-session-read-uncommitted": ["G0-process"],
  "strong-session-read-committed": ["G1c-process"],
  "strong-read-uncommitted": ["G0-realtime"],
  "strong-read-committed": ["G1c-realtime"],
  "strong-session-snapshot-isolation": ["internal", "G1-process", "G-nonadjacent-process"],
  "strong-snapshot-isolation": ["internal", "G1-realtime", "G-nonadjacent-realtime"],
  "strong-session-serializable": ["G1-process", "G2-process"],
  "update-serializable": ["G1", "G-update"],
};

/** Adya's and other names for the same models. */
const ALIASES: Readonly<Record<string, string>> = {
  "PL-1": "read-uncommitted",
  "PL-2": "read-committed",
  "PL-2.99": "repeatable-read",
  "PL-3": "serializable",
  "conflict-serializable": "serializable",
  "PL-SI": "snapshot-isolation",
  "PL-SS": "strict-serializable",
  "strong-serializable": "strict-serializable",
  "PL-2+": "consistent-view",
  "PL-FCV": "forward-consistent-view",
  "PL-CS": "cursor-stability",
  "PL-2L": "monotonic-view",
  "PL-MSR": "monotonic-snapshot-read",
  "PL-3U": "update-serializable",
  "strong-session-PL-1": "strong-session-read-uncommitted",
  "strong-session-PL-2": "strong-session-read-committed",
  "strong-PL-1": "strong-read-uncommitted",
  "strong-PL-2": "strong-read-committed",
};

/** Every model name this checker knows, friendly names first. */
export const consistencyModelNames: readonly string[] = [
  ...Object.keys(MODEL_IMPLIES).sort(),
  ...Object.keys(ALIASES).sort(),
];

/** Canonical (friendly) name of a model; a `UsageError` naming the known ones when unknown. */
export function canonicalModel(name: string): string {
  const canonical = ALIASES[name] ?? name;
  if (!Object.hasOwn(MODEL_IMPLIES, canonical)) {
    throw new UsageError(
      `unknown consistency model ${JSON.stringify(name)}; expected one of ${consistencyModelNames.join(", ")}`,
      "consistencyModels",
    );
  }
  return canonical;
}

function closure(start: Iterable<string>, next: (node: string) => readonly string[]): Set<string> {
  const seen = new Set<string>();
  const queue = [...start];
  while (queue.length > 0) {
    const node = queue.pop()!;
    if (seen.has(node)) continue;
    seen.add(node);
    queue.push(...next(node));
  }
  return seen;
}

const reverse = (graph: Readonly<Record<string, readonly string[]>>): Map<string, string[]> => {
  const out = new Map<string, string[]>();
  for (const [from, tos] of Object.entries(graph))
    for (const to of tos) {
      const list = out.get(to) ?? [];
      list.push(from);
      out.set(to, list);
    }
  return out;
};

const IMPLIED_BY = reverse(IMPLIED_ANOMALIES);
const IMPLIED_BY_MODEL = reverse(MODEL_IMPLIES);
const FORBIDDEN_BY = reverse(DIRECTLY_FORBIDS);

/** Anomalies implied by these (themselves included): G0 → G1c, G1, ... */
export const impliedAnomalies = (anomalies: Iterable<string>): Set<string> =>
  closure(anomalies, (a) => IMPLIED_ANOMALIES[a] ?? []);

/** The anomalies none of which may appear if every one of `models` holds. */
export function anomaliesForbiddenBy(models: Iterable<string>): Set<string> {
  const implied = closure([...models].map(canonicalModel), (m) => MODEL_IMPLIES[m] ?? []);
  const direct = [...implied].flatMap((model) => DIRECTLY_FORBIDS[model] ?? []);
  // Any anomaly that implies a forbidden one is forbidden too.
  return closure(direct, (a) => IMPLIED_BY.get(a) ?? []);
}

/**
 * The models these anomalies rule out: `not`, the weakest of them (each is
 * implied by none of the others), and `alsoNot`, the rest, sorted.
 */
export function modelBoundary(anomalies: Iterable<string>): { not: string[]; alsoNot: string[] } {
  const direct = [...impliedAnomalies(anomalies)].flatMap((a) => FORBIDDEN_BY.get(a) ?? []);
  const impossible = closure(direct, (m) => IMPLIED_BY_MODEL.get(m) ?? []);
  const not: string[] = [];
  const alsoNot: string[] = [];
  for (const model of [...impossible].sort()) {
    // A model is among the weakest when no other impossible model is implied by it.
    const weaker = closure(MODEL_IMPLIES[model] ?? [], (m) => MODEL_IMPLIES[m] ?? []);
    if ([...weaker].some((other) => impossible.has(other))) alsoNot.push(model);
    else not.push(model);
  }
  return { not, alsoNot };
}

/** Every anomaly name the model map knows, sorted. */
export const anomalyNames: readonly string[] = [
  ...new Set([
    ...Object.keys(IMPLIED_ANOMALIES),
    ...Object.values(IMPLIED_ANOMALIES).flat(),
    ...Object.values(DIRECTLY_FORBIDS).flat(),
    "internal",
  ]),
].sort();
