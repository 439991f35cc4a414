/**
 * What a person reads in the terminal: the live status line while a run goes
 * (`formatProgressLine`; the runner prints it with log-update on a TTY and as
 * plain periodic lines in CI logs) and the end-of-run summary
 * (`formatSummary`): verdict per checker, key figures, the anomaly in words,
 * how to reproduce, and where the report is.
 */

import { highlightsOf } from "../checker/highlights.js";
import type { CheckResult, Validity } from "../checker/types.js";
import { pairOps } from "../history/analysis.js";
import type { Op } from "../history/op.js";
import type { Results, TestInfo } from "../history/results.js";
import { escapeTerminal } from "./escape.js";

/** Explanations span lines on purpose (one per checker); every other control character is escaped. */
const MULTILINE = { keepNewlines: true } as const;

import { describeOp } from "./model.js";

const ANSI = {
  reset: "\u001b[0m",
  bold: "\u001b[1m",
  dim: "\u001b[2m",
  red: "\u001b[31m",
  green: "\u001b[32m",
  yellow: "\u001b[33m",
};

type Style = keyof typeof ANSI;

function painter(color: boolean) {
  return (style: Style, text: string): string => (color ? `${ANSI[style]}${text}${ANSI.reset}` : text);
}

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** 1234567 → "1,234,567". */
export function formatCount(n: number): string {
  return integer.format(n);
}

/** Milliseconds for people: "0.42 ms", "12.3 ms", "1.25 s". */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return "–";
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${ms.toFixed(0)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/** A duration for a status line: "12.3 s", "4 m 05 s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "–";
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const totalS = Math.floor(ms / 1000);
  const h = Math.floor(totalS / 3600);
  const m = Math.floor((totalS % 3600) / 60);
  const s = String(totalS % 60).padStart(2, "0");
  return h > 0 ? `${h} h ${String(m).padStart(2, "0")} m ${s} s` : `${m} m ${s} s`;
}

function verdictWord(valid: Validity): { word: string; style: Style; mark: string } {
  if (valid === true) return { word: "valid", style: "green", mark: "✓" };
  if (valid === false) return { word: "INVALID", style: "red", mark: "✗" };
  return { word: "unknown", style: "yellow", mark: "?" };
}

export interface ProgressLine {
  elapsedMs: number;
  /** The run's time limit; 0 or undefined when there is none. */
  timeLimitMs?: number;
  ops: number;
  ok: number;
  fail: number;
  info: number;
  opsPerSec: number;
  /** Faults in effect now, in words (`kill n1`, `partition [n1] | [n2 n3]`). */
  faults: readonly string[];
  /** ANSI colors (only on a TTY). Default false. */
  color?: boolean;
}

/**
 * One status line: `12.3 s / 60.0 s · 1,234 ops (ok 1,200 · fail 20 · info 14) · 98 ops/s · faults: kill n1`.
 * Single line, no trailing newline; fault text is capped so the line fits a terminal.
 */
export function formatProgressLine(progress: ProgressLine): string {
  const paint = painter(progress.color ?? false);
  const limit = progress.timeLimitMs ? ` / ${formatDuration(progress.timeLimitMs)}` : "";
  const counts = [
    paint("green", `ok ${formatCount(progress.ok)}`),
    progress.fail > 0 ? paint("red", `fail ${formatCount(progress.fail)}`) : `fail 0`,
    progress.info > 0 ? paint("yellow", `info ${formatCount(progress.info)}`) : `info 0`,
  ].join(" · ");
  let faults = progress.faults.length === 0 ? "none" : progress.faults.join(", ");
  if (faults.length > 60) faults = `${faults.slice(0, 59)}…`;
  const faultText =
    progress.faults.length === 0 ? paint("dim", "faults: none") : paint("yellow", `faults: ${faults}`);
  return `${formatDuration(progress.elapsedMs)}${limit} · ${formatCount(progress.ops)} ops (${counts}) · ${progress.opsPerSec.toFixed(0)} ops/s · ${faultText}`;
}

export interface SummaryOptions {
  /** Where report.html was written; printed last. */
  reportPath?: string;
  /** ANSI colors (only on a TTY). Default false. */
  color?: boolean;
  /** The history, to name the counterexample's ops in words. Optional. */
  history?: readonly Op[];
  /** Counterexample ops to list per checker. Default 5. */
  opsShownMax?: number;
}

function numbersIn(value: unknown): number[] {
  return Array.isArray(value) ? value.filter((item): item is number => typeof item === "number") : [];
}

/**
 * What ran, from test.json: `cluster: 3 nodes of etcd (variant x)`;
 * undefined when no cluster started (a test without one, or a failed start).
 */
export function clusterLine(test: TestInfo | undefined): string | undefined {
  if (test?.cluster === undefined || !(test.nodes >= 1)) return undefined;
  const size = `${test.nodes} ${test.nodes === 1 ? "node" : "nodes"}`;
  const variant = test.cluster.variant ? ` (variant ${escapeTerminal(test.cluster.variant)})` : "";
  return `cluster: ${size} of ${escapeTerminal(test.cluster.name)}${variant}`;
}

function stringsIn(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}

/**
 * For a valid result of a transactional checker (one with
 * `allowedAnomalyTypes`), the anomalies found that its models allow, counted:
 * `allowed at read-committed: G-single ×3, G2-item ×1`. A count is the
 * anomalies the checker kept; a type at the checker's cap (in
 * `cappedAnomalyTypes`) is shown as `×32+`, since the search stopped looking
 * for more of it. Undefined
 * when the result is not valid (its explanation says more) or none were found.
 */
export function allowedAnomaliesLine(result: CheckResult): string | undefined {
  if (result.valid !== true) return undefined;
  const types = stringsIn(result.allowedAnomalyTypes);
  if (types.length === 0) return undefined;
  const lists = (result.allowedAnomalies ?? {}) as Record<string, unknown>;
  const capped = new Set(stringsIn(result.cappedAnomalyTypes));
  const counted = types.map((type) => {
    const list = lists[type];
    const count = Array.isArray(list) ? list.length : 0;
    const more = capped.has(type) ? "+" : "";
    return `${escapeTerminal(type)} ×${formatCount(count)}${more}`;
  });
  const models = stringsIn(result.consistencyModels);
  const at = models.length > 0 ? ` at ${models.map((m) => escapeTerminal(m)).join(", ")}` : "";
  return `allowed${at}: ${counted.join(", ")}`;
}

/**
 * The end-of-run summary, several lines ending with a newline. Reads only
 * `results` (and `history`, when given, to describe counterexample ops).
 */
export function formatSummary(
  test: TestInfo | undefined,
  results: Results,
  options: SummaryOptions = {},
): string {
  const paint = painter(options.color ?? false);
  const lines: string[] = [];
  const overall = verdictWord(results.valid);
  const name = escapeTerminal(test?.name ?? "history");
  const seed = test ? ` · seed ${test.seed}` : "";
  lines.push(`${paint("bold", name)}${seed} · ${paint(overall.style, paint("bold", overall.word))}`);
  if (!results.complete)
    lines.push(paint("yellow", "  the run did not complete: verdicts cover the history recorded so far"));
  if (results.error) lines.push(paint("red", `  run error: ${escapeTerminal(results.error, MULTILINE)}`));
  for (const reason of results.evidence?.reasons ?? [])
    lines.push(paint("yellow", `  not enough evidence for valid: ${escapeTerminal(reason)}`));
  const entries = Object.entries(results.checkers ?? {});
  const width = Math.max(0, ...entries.map(([checker]) => checker.length));
  for (const [checker, result] of entries) {
    const v = verdictWord(result.valid);
    const why =
      result.valid === true || !result.explanation
        ? ""
        : `  ${escapeTerminal(String(result.explanation), MULTILINE)}`;
    lines.push(
      `  ${paint(v.style, v.mark)} ${escapeTerminal(checker).padEnd(width)}  ${paint(v.style, v.word)}${why}`,
    );
    // A valid transactional verdict can still carry anomalies its models allow
    // (G-single at read committed): say which, so "valid" does not hide them.
    const allowed = allowedAnomaliesLine(result);
    if (allowed !== undefined) lines.push(`    ${" ".repeat(width)}  ${allowed}`);
  }
  const ran = clusterLine(test);
  if (ran !== undefined) lines.push(`  ${ran}`);
  const stats = results.stats;
  if (stats) {
    lines.push(
      `  ops ${formatCount(stats.ops)} (ok ${formatCount(stats.byType.ok)} · fail ${formatCount(stats.byType.fail)} · info ${formatCount(stats.byType.info)}) in ${formatDuration(stats.durationMs)} · ${stats.throughputOpsPerSec.toFixed(1)} ops/s`,
    );
    const l = stats.latency;
    lines.push(
      `  latency p50 ${formatMs(l.p50Ms)} · p95 ${formatMs(l.p95Ms)} · p99 ${formatMs(l.p99Ms)} · max ${formatMs(l.maxMs)}`,
    );
  }
  // The anomaly in words: each invalid checker's explanation, plus the counterexample's ops when we have the history.
  const pairsByIndex = new Map<number, ReturnType<typeof pairOps>[number]>();
  if (options.history) {
    for (const pair of pairOps(options.history)) {
      pairsByIndex.set(pair.invoke.index, pair);
      if (pair.completion) pairsByIndex.set(pair.completion.index, pair);
    }
  }
  const shownMax = options.opsShownMax ?? 5;
  const opWords = (index: number): string => {
    const pair = pairsByIndex.get(index);
    return `op ${index}${pair ? `: ${escapeTerminal(describeOp(pair.invoke, pair.completion))}` : ""}`;
  };
  for (const [checker, result] of entries) {
    if (result.valid === true) continue;
    // The checker's own names for its ops (docs/checkers.md): shown as such, for any verdict but valid.
    const highlights = highlightsOf(result);
    if (result.valid === false)
      lines.push(
        paint(
          "red",
          `anomaly (${escapeTerminal(checker)}): ${escapeTerminal(String(result.explanation ?? "an anomaly was found"), MULTILINE)}`,
        ),
      );
    else if (highlights.length > 0) lines.push(paint("yellow", `ops named by ${escapeTerminal(checker)}:`));
    for (const highlight of highlights.slice(0, shownMax))
      lines.push(`  ${escapeTerminal(highlight.label)}: ${opWords(highlight.index)}`);
    if (highlights.length > shownMax) lines.push(`  … and ${highlights.length - shownMax} more`);
    if (result.valid !== false) continue;
    const example = result.counterexample as { stuck?: unknown; linearizedPrefix?: unknown } | undefined;
    const stuck = numbersIn(example?.stuck);
    if (stuck.length === 0) continue;
    const seen = new Set<number>();
    for (const index of stuck) {
      const pair = pairsByIndex.get(index);
      if (pair && seen.has(pair.invoke.index)) continue;
      if (seen.size >= shownMax) break;
      seen.add(pair ? pair.invoke.index : index);
      lines.push(
        `  could not linearize op ${index}${pair ? `: ${escapeTerminal(describeOp(pair.invoke, pair.completion))}` : ""}`,
      );
    }
    if (stuck.length > seen.size) lines.push(`  … and ${stuck.length - seen.size} more`);
    const prefix = numbersIn(example?.linearizedPrefix);
    if (prefix.length > 0) {
      const last = prefix[prefix.length - 1]!;
      const pair = pairsByIndex.get(last);
      lines.push(
        `  after ${formatCount(prefix.length)} linearized ops, the last: op ${last}${pair ? `: ${escapeTerminal(describeOp(pair.invoke, pair.completion))}` : ""}`,
      );
    }
  }
  if (results.valid !== true && test?.reproduce) lines.push(`reproduce: ${escapeTerminal(test.reproduce)}`);
  for (const note of results.notes ?? []) lines.push(paint("dim", `note: ${escapeTerminal(note)}`));
  if (options.reportPath) lines.push(`report: ${options.reportPath}`);
  return `${lines.join("\n")}\n`;
}
