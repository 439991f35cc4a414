/**
 * The sync section of report.html: what a person reads first about a sync
 * run (`crucible run --workload sync`, docs/sync.md) — the overall pass, a
 * per-action table and the verification list with each one's evidence.
 *
 * - **The per-action table is recomputed from the history**, not copied from
 *   `results.json`: each chaos action is a pair of ops (`f` the action, its
 *   completion's type `ok | fail | info`, its `outcome` class `ok |
 *   expectedFail | skipped | unexpectedFail`), so the rows are counts of
 *   those pairs and the time is invocation to completion. The journal is
 *   what happened; `results.sync.perAction` is what the engine counted, and
 *   when the two disagree the section says so, action by action, rather
 *   than pick one silently.
 * - **The verifications and `pass` are `results.sync`'s** (the CI report),
 *   with each one's explanation from its checker entry; a failed one's
 *   evidence (a convergence diff, the events counted twice) is listed line by
 *   line, capped so a huge diff cannot bloat the page.
 * - A run folder without `results.sync` (every other workload) has no sync
 *   section: `buildSyncSection` returns null.
 *
 * Pure: computed once in Node, so the page only draws. `results.json` may be
 * hand-edited or from another version, so its `sync` field is read as
 * untrusted data (fields of the wrong type are left out, never thrown on).
 */
import { pairOps } from "../history/analysis.js";
import type { Op } from "../history/op.js";
import type { Results } from "../history/results.js";

/** The engine's outcome classes, and the completion type each is journaled as (src/sync/engine.ts). */
export const SYNC_OUTCOME_CLASSES = ["ok", "expectedFail", "skipped", "unexpectedFail"] as const;
export type SyncOutcomeClass = (typeof SYNC_OUTCOME_CLASSES)[number];

export interface SyncActionRow {
  action: string;
  /** Actions run (invocations), completed or not. */
  count: number;
  ok: number;
  fail: number;
  info: number;
  /** Invoked, never completed (the run was killed mid-action). */
  open: number;
  /** The fails split by class: a documented refusal or a fault the model expected, and a skip (nothing ran). */
  expectedFail: number;
  skipped: number;
  /** Info ops are the unexpected failures: what fails a run. */
  unexpectedFail: number;
  /** Invocation to completion, summed over the completed actions, in ms. */
  totalMs: number;
  meanMs: number | null;
  maxMs: number | null;
}

export interface SyncVerificationRow {
  name: string;
  passed: boolean;
  /** A status other than pass/fail the verification reports (e.g. not applicable), when it has one. */
  status: string | null;
  explanation: string | null;
  /** The evidence, one line each (capped at {@link EVIDENCE_LINES_MAX}). */
  evidence: string[];
  /** Lines left out by the cap. */
  evidenceCut: number;
}

export interface SyncSectionData {
  pass: boolean | null;
  seed: number | null;
  actors: number | null;
  durationMs: number | null;
  syncs: number | null;
  /** One row per action name, sorted by name. */
  actions: SyncActionRow[];
  totals: Omit<SyncActionRow, "action">;
  verifications: SyncVerificationRow[];
  /** Where `results.sync.perAction` disagrees with the history, in words. */
  mismatches: string[];
}

/** Evidence lines shown per verification; the rest are counted (results.json has them all). */
export const EVIDENCE_LINES_MAX = 50;
/** Characters per evidence line shown. */
const EVIDENCE_LINE_CHARS_MAX = 400;

const roundMs = (ms: number): number => Math.round(ms * 1000) / 1000;

function emptyRow(): Omit<SyncActionRow, "action"> {
  return {
    count: 0,
    ok: 0,
    fail: 0,
    info: 0,
    open: 0,
    expectedFail: 0,
    skipped: 0,
    unexpectedFail: 0,
    totalMs: 0,
    meanMs: null,
    maxMs: null,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const numberOrNull = (value: unknown): number | null =>
  typeof value === "number" && Number.isFinite(value) ? value : null;

/** Per action, from the history's pairs of ops; only ops that carry an `outcome` class are chaos actions. */
export function syncActionRows(history: readonly Op[]): {
  actions: SyncActionRow[];
  totals: Omit<SyncActionRow, "action">;
} {
  const rows = new Map<string, Omit<SyncActionRow, "action">>();
  const totals = emptyRow();
  const completed = new Map<Omit<SyncActionRow, "action">, number>();
  for (const { invoke, completion } of pairOps(history)) {
    // An action's invocation has no outcome yet; its completion names the class. An open action
    // counts when its invocation is shaped like the engine's (it names the actor).
    if (completion === undefined ? typeof invoke.actor !== "string" : typeof completion.outcome !== "string")
      continue;
    let row = rows.get(invoke.f);
    if (row === undefined) {
      row = emptyRow();
      rows.set(invoke.f, row);
    }
    for (const target of [row, totals]) {
      target.count++;
      if (completion === undefined) {
        target.open++;
        continue;
      }
      if (completion.type === "ok" || completion.type === "fail" || completion.type === "info")
        target[completion.type]++;
      // `ok` is the completion type's count above; the fails and infos are split by class.
      const outcome = completion.outcome;
      if (outcome === "expectedFail" || outcome === "skipped" || outcome === "unexpectedFail")
        target[outcome]++;
      const ms = Math.max(0, (completion.time - invoke.time) / 1e6);
      target.totalMs += ms;
      target.maxMs = target.maxMs === null ? ms : Math.max(target.maxMs, ms);
      completed.set(target, (completed.get(target) ?? 0) + 1);
    }
  }
  const finish = (row: Omit<SyncActionRow, "action">) => {
    const n = completed.get(row) ?? 0;
    row.meanMs = n === 0 ? null : roundMs(row.totalMs / n);
    row.totalMs = roundMs(row.totalMs);
    row.maxMs = row.maxMs === null ? null : roundMs(row.maxMs);
  };
  const actions = [...rows.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([action, row]) => {
      finish(row);
      return { action, ...row };
    });
  finish(totals);
  return { actions, totals };
}

/** Where the engine's per-action counts (`results.sync.perAction`) differ from the history's. */
function compareWithEngine(actions: readonly SyncActionRow[], perAction: unknown): string[] {
  if (!isRecord(perAction)) return ["results.json's sync report has no per-action stats to compare"];
  const mismatches: string[] = [];
  const byName = new Map(actions.map((row) => [row.action, row]));
  const names = new Set([...byName.keys(), ...Object.keys(perAction)]);
  for (const name of [...names].sort()) {
    const stored = isRecord(perAction[name]) ? (perAction[name] as Record<string, unknown>) : {};
    const row = byName.get(name);
    for (const outcome of SYNC_OUTCOME_CLASSES) {
      const engine = numberOrNull(stored[outcome]) ?? 0;
      const journal = row === undefined ? 0 : outcome === "ok" ? row.ok : row[outcome];
      if (engine !== journal)
        mismatches.push(`${name}: ${outcome} ${engine} in results.json, ${journal} in history.jsonl`);
    }
  }
  return mismatches;
}

function verificationRows(verifications: unknown, results: Results): SyncVerificationRow[] {
  if (!Array.isArray(verifications)) return [];
  const rows: SyncVerificationRow[] = [];
  for (const item of verifications) {
    if (!isRecord(item) || typeof item.name !== "string") continue;
    const lines = typeof item.details === "string" ? item.details.split("\n").filter((l) => l !== "") : [];
    const checker = results.checkers?.[item.name];
    const explanation = typeof checker?.explanation === "string" ? checker.explanation : null;
    // toReportVerification puts a failed verification's explanation first in its details: shown once.
    if (explanation !== null && lines[0] === explanation) lines.shift();
    rows.push({
      name: item.name,
      passed: item.passed === true,
      status: typeof item.status === "string" ? item.status : null,
      explanation,
      evidence: lines
        .slice(0, EVIDENCE_LINES_MAX)
        .map((line) =>
          line.length > EVIDENCE_LINE_CHARS_MAX ? `${line.slice(0, EVIDENCE_LINE_CHARS_MAX - 1)}…` : line,
        ),
      evidenceCut: Math.max(0, lines.length - EVIDENCE_LINES_MAX),
    });
  }
  return rows;
}

/** The sync section's data; null when `results` has no sync report (not a sync run). */
export function buildSyncSection(results: Results, history: readonly Op[]): SyncSectionData | null {
  const sync = (results as { sync?: unknown }).sync;
  if (!isRecord(sync)) return null;
  const { actions, totals } = syncActionRows(history);
  const syncStats = isRecord(sync.syncStats) ? sync.syncStats : {};
  return {
    pass: typeof sync.pass === "boolean" ? sync.pass : null,
    seed: numberOrNull(sync.seed),
    actors: numberOrNull(sync.actors),
    durationMs: numberOrNull(sync.durationMs),
    syncs: numberOrNull(syncStats.count),
    actions,
    totals,
    verifications: verificationRows(sync.verifications, results),
    mismatches: compareWithEngine(actions, sync.perAction),
  };
}
