/**
 * The report's data model: everything the HTML page draws, computed once in
 * Node from `{ test, results, history }` so the page only draws. Columnar
 * arrays (one entry per operation) keep the embedded JSON small and the page
 * fast with 100,000 ops; times are seconds since the test started, rounded to
 * the microsecond.
 */
import { highlightsOf } from "../checker/highlights.js";
import { pairOps, quantile, summarize } from "../history/analysis.js";
import type { Interval } from "../history/intervals.js";
import type { Op } from "../history/op.js";
import type { Results, RunStats, TestInfo } from "../history/results.js";
import { buildHolds, type HoldsData } from "./holds.js";
import { describeFaultValue, faultPeriods } from "./periods.js";
import { buildSyncSection, type SyncSectionData } from "./sync.js";

/** Outcome codes of a timeline bar. `open`: invoked, never completed (the history ended first). */
export const OUTCOMES = ["ok", "fail", "info", "open"] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface ReportFile {
  /** What the link shows: `history.jsonl`, `nodes/n1.log`. */
  name: string;
  /** Relative URL from the report's folder. */
  href: string;
}

export interface ReportInput {
  /** The run's test.json; undefined for a bare history (`crucible check --report`). */
  test: TestInfo | undefined;
  results: Results;
  history: readonly Op[];
  /** Raw files to link from the report (relative to it). Default none. */
  files?: readonly ReportFile[];
  /** Warnings from reading the inputs (a torn last line, ...), shown in the header. */
  warnings?: readonly string[];
  /** The run's interval log on the history's time axis, drawn as hold lanes (`holds.ts`). Default none. */
  intervals?: readonly Interval[];
}

export interface TimelineData {
  lanes: { label: string; processes: string }[];
  fNames: string[];
  /** Per bar, sorted by lane then start. */
  lane: number[];
  startS: number[];
  /** End of the bar; for `open` bars, the end of the history. */
  endS: number[];
  outcome: number[];
  f: number[];
  /** `Op.index` of the invocation. */
  invokeIndex: number[];
  /** `Op.index` of the completion, -1 when there is none. */
  completionIndex: number[];
  endOfHistoryS: number;
}

export interface PeriodData {
  kind: string;
  startS: number;
  endS: number;
  healed: boolean;
  instant: boolean;
  healedBy: string | null;
  valueText: string;
}

export interface CounterexampleData {
  /**
   * `linearizability`: a counterexample (`stuck` ops after a linearized
   * prefix). `highlights`: ops the checker named with its own labels
   * (`result.highlights`, docs/checkers.md); `stuckBars` are those ops.
   */
  kind: "linearizability" | "highlights";
  checker: string;
  key: string | null;
  explanation: string;
  /** Bar numbers (positions in TimelineData) of the ops that could not be linearized next. */
  stuckBars: number[];
  /** Bar numbers of the last ops of the linearized prefix, newest last. */
  prefixTailBars: number[];
  prefixLength: number;
  /** One line per highlighted op, stuck ones first: what it did, in words; `label` is the checker's own (highlights). */
  rows: { bar: number; role: "stuck" | "prefix" | "highlight"; text: string; label?: string }[];
}

export interface LatencyGroup {
  f: string;
  outcome: "ok" | "fail" | "info";
  /** Invocation times, s, ascending. */
  t: number[];
  latencyMs: number[];
}

export interface QuantileSeries {
  f: string;
  q: number;
  values: (number | null)[];
}

export interface ThroughputSeries {
  f: string;
  outcome: "ok" | "fail" | "info";
  opsPerSec: number[];
}

export interface ReportData {
  title: string;
  test: TestInfo | null;
  verdict: Results["valid"];
  complete: boolean;
  error: string | null;
  notes: string[];
  warnings: string[];
  stats: RunStats;
  checkers: { name: string; valid: Results["valid"]; explanation: string | null; detail: string }[];
  files: ReportFile[];
  timeline: TimelineData;
  periods: PeriodData[];
  counterexamples: CounterexampleData[];
  latency: { groups: LatencyGroup[]; binS: number; binStartS: number[]; quantiles: QuantileSeries[] };
  throughput: { binS: number; binStartS: number[]; series: ThroughputSeries[] };
  /** Who held the lock or slot when; null without an interval log. */
  holds: HoldsData | null;
  /** A sync run's per-action table and verifications (`sync.ts`); null for any other run. */
  sync: SyncSectionData | null;
}

/** Detail JSON per checker is capped so a huge result cannot bloat the page. */
const CHECKER_DETAIL_CHARS_MAX = 100_000;
/** At most this many stuck ops are highlighted (a counterexample names a few; a broken one, thousands). */
const STUCK_OPS_MAX = 1000;
/** How many of the last linearized ops to highlight with the stuck ones: the context of the anomaly. */
const PREFIX_TAIL_OPS = 6;
/** Plot resolution: about this many time bins for throughput and rolling quantiles. */
const PLOT_BINS_TARGET = 120;

const toSeconds = (ns: number): number => Math.round(ns / 1000) / 1e6;
const roundMs = (ms: number): number => Math.round(ms * 1000) / 1000;

/** A bin width from 1, 2, 5 × 10^k seconds, so axis ticks and bins line up. */
export function niceBinSeconds(durationS: number, binsTarget: number): number {
  const raw = Math.max(durationS / binsTarget, 1e-3);
  const exponent = Math.floor(Math.log10(raw));
  for (const step of [1, 2, 5, 10]) {
    const width = step * 10 ** exponent;
    if (width >= raw) return Number(width.toPrecision(6));
  }
  return 10 ** (exponent + 1);
}

/** Text for a value in a tooltip: JSON, capped. */
function shortJson(value: unknown, charsMax: number): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? "null";
  } catch {
    text = String(value);
  }
  return text.length > charsMax ? `${text.slice(0, charsMax - 1)}…` : text;
}

function buildTimeline(history: readonly Op[], concurrency: number | undefined) {
  const pairs = pairOps(history);
  let endNs = 0;
  for (const op of history) if (op.time > endNs) endNs = op.time;

  // Lanes: one per worker (process mod concurrency, Jepsen's numbering of fresh processes) when
  // that never puts two ops in flight on one lane; otherwise one per process.
  const clientProcesses = new Set<number>();
  let hasNemesis = false;
  for (const pair of pairs) {
    if (pair.invoke.process === "nemesis") hasNemesis = true;
    else clientProcesses.add(pair.invoke.process);
  }
  const byWorker = concurrency !== undefined && concurrency > 0 && workerLanesFit(pairs, concurrency);
  const laneKey = (process: number): number => (byWorker ? process % concurrency! : process);
  const keys = [...new Set([...clientProcesses].map(laneKey))].sort((a, b) => a - b);
  const lanes: TimelineData["lanes"] = [];
  const laneOf = new Map<number, number>();
  if (hasNemesis) lanes.push({ label: "nemesis", processes: "nemesis" });
  for (const key of keys) {
    laneOf.set(key, lanes.length);
    lanes.push({ label: byWorker ? `worker ${key}` : `process ${key}`, processes: "" });
  }
  if (byWorker) {
    const members = new Map<number, number[]>();
    for (const process of [...clientProcesses].sort((a, b) => a - b)) {
      const list = members.get(laneKey(process)) ?? [];
      list.push(process);
      members.set(laneKey(process), list);
    }
    for (const [key, list] of members) {
      const shown = list.length > 8 ? `${list.slice(0, 8).join(", ")}, … (${list.length})` : list.join(", ");
      lanes[laneOf.get(key)!]!.processes = `process ${shown}`;
    }
  } else {
    for (const key of keys) lanes[laneOf.get(key)!]!.processes = `process ${key}`;
  }

  const fIndex = new Map<string, number>();
  const order = pairs.map((_, i) => i);
  const laneOfPair = pairs.map((pair) =>
    pair.invoke.process === "nemesis" ? 0 : laneOf.get(laneKey(pair.invoke.process))!,
  );
  order.sort((a, b) => laneOfPair[a]! - laneOfPair[b]! || pairs[a]!.invoke.time - pairs[b]!.invoke.time);
  const timeline: TimelineData = {
    lanes,
    fNames: [],
    lane: [],
    startS: [],
    endS: [],
    outcome: [],
    f: [],
    invokeIndex: [],
    completionIndex: [],
    endOfHistoryS: toSeconds(endNs),
  };
  const barOfOpIndex = new Map<number, number>();
  for (const position of order) {
    const { invoke, completion } = pairs[position]!;
    let f = fIndex.get(invoke.f);
    if (f === undefined) {
      f = timeline.fNames.length;
      fIndex.set(invoke.f, f);
      timeline.fNames.push(invoke.f);
    }
    const bar = timeline.lane.length;
    timeline.lane.push(laneOfPair[position]!);
    timeline.startS.push(toSeconds(invoke.time));
    timeline.endS.push(toSeconds(completion ? completion.time : endNs));
    timeline.outcome.push(completion ? OUTCOMES.indexOf(completion.type as Outcome) : 3);
    timeline.f.push(f);
    timeline.invokeIndex.push(invoke.index);
    timeline.completionIndex.push(completion ? completion.index : -1);
    barOfOpIndex.set(invoke.index, bar);
    if (completion) barOfOpIndex.set(completion.index, bar);
  }
  return { timeline, barOfOpIndex, pairs };
}

function workerLanesFit(pairs: ReturnType<typeof pairOps>, concurrency: number): boolean {
  const busyUntil = new Map<number, number>();
  const sorted = pairs.filter((pair) => pair.invoke.process !== "nemesis");
  sorted.sort((a, b) => a.invoke.time - b.invoke.time);
  for (const { invoke, completion } of sorted) {
    const worker = (invoke.process as number) % concurrency;
    if ((busyUntil.get(worker) ?? -1) > invoke.time) return false;
    busyUntil.set(worker, completion ? completion.time : Number.POSITIVE_INFINITY);
  }
  return true;
}

interface Counterexample {
  key?: unknown;
  linearizedPrefix?: unknown;
  stuck?: unknown;
}

function isCounterexample(value: unknown): value is Counterexample {
  return typeof value === "object" && value !== null && Array.isArray((value as Counterexample).stuck);
}

/** The counterexamples in a result: `counterexample`, or each of `counterexamples`. */
function counterexamplesOf(result: Record<string, unknown>): Counterexample[] {
  const found: Counterexample[] = [];
  if (isCounterexample(result.counterexample)) found.push(result.counterexample);
  if (Array.isArray(result.counterexamples)) {
    for (const item of result.counterexamples.slice(0, 100)) if (isCounterexample(item)) found.push(item);
  }
  return found;
}

function numbers(value: unknown): number[] {
  return Array.isArray(value) ? value.filter((item): item is number => typeof item === "number") : [];
}

/**
 * An op in a few words: `write 7`, `read key 3 → 5`, `cas [1,2]`, with its
 * process, outcome and times. Values are capped at 80 characters.
 */
export function describeOp(invoke: Op, completion: Op | undefined): string {
  const key = invoke.key === undefined ? "" : ` key ${shortJson(invoke.key, 40)}`;
  const outcome = completion ? completion.type : "never completed";
  const showsResult =
    completion?.type === "ok" && JSON.stringify(completion.value) !== JSON.stringify(invoke.value);
  const value = showsResult
    ? `${shortJson(invoke.value, 40)} → ${shortJson(completion!.value, 80)}`
    : shortJson(invoke.value, 80);
  const times = completion
    ? `${toSeconds(invoke.time).toFixed(3)}–${toSeconds(completion.time).toFixed(3)} s`
    : `from ${toSeconds(invoke.time).toFixed(3)} s`;
  const error = completion?.error ? ` (${completion.error.slice(0, 80)})` : "";
  return `process ${invoke.process}: ${invoke.f}${key} ${value}, ${outcome}${error}, ${times}`;
}

/** Build everything the page draws. Pure; linear in the history plus a sort. */
export function buildReportData(input: ReportInput): ReportData {
  const { test, results, history } = input;
  const { timeline, barOfOpIndex, pairs } = buildTimeline(history, test?.concurrency);
  const stats = results.stats ?? summarize(history);

  const checkers = Object.entries(results.checkers ?? {}).map(([name, result]) => {
    let detail = shortJson(result, CHECKER_DETAIL_CHARS_MAX);
    try {
      detail = JSON.stringify(result, null, 2) ?? "null";
      if (detail.length > CHECKER_DETAIL_CHARS_MAX)
        detail = `${detail.slice(0, CHECKER_DETAIL_CHARS_MAX)}\n… (cut)`;
    } catch {
      // keep the short form
    }
    return { name, valid: result.valid, explanation: result.explanation ?? null, detail };
  });

  const pairOfInvoke = new Map(pairs.map((pair) => [pair.invoke.index, pair]));
  const pairAtBar = (bar: number) => pairOfInvoke.get(timeline.invokeIndex[bar]!);
  const counterexamples: CounterexampleData[] = [];
  for (const [name, result] of Object.entries(results.checkers ?? {})) {
    for (const example of counterexamplesOf(result)) {
      const bars = (indices: number[]) =>
        indices.map((index) => barOfOpIndex.get(index)).filter((bar): bar is number => bar !== undefined);
      const prefix = numbers(example.linearizedPrefix);
      const stuckBars = [...new Set(bars(numbers(example.stuck)))].slice(0, STUCK_OPS_MAX);
      const tail = [...new Set(bars(prefix.slice(-PREFIX_TAIL_OPS * 2)))].slice(-PREFIX_TAIL_OPS);
      const rows: CounterexampleData["rows"] = [];
      for (const [role, list] of [
        ["stuck", stuckBars],
        ["prefix", tail.filter((bar) => !stuckBars.includes(bar))],
      ] as const) {
        for (const bar of list.slice(0, 50)) {
          const pair = pairAtBar(bar);
          if (pair) rows.push({ bar, role, text: describeOp(pair.invoke, pair.completion) });
        }
      }
      counterexamples.push({
        kind: "linearizability",
        rows,
        checker: name,
        key: example.key === undefined || example.key === null ? null : String(example.key),
        explanation: result.explanation ?? "",
        stuckBars,
        prefixTailBars: tail.filter((bar) => !stuckBars.includes(bar)),
        prefixLength: prefix.length,
      });
    }
  }

  for (const [name, result] of Object.entries(results.checkers ?? {})) {
    const highlights = highlightsOf(result);
    const rows: CounterexampleData["rows"] = [];
    const highlighted: number[] = [];
    for (const { index, label } of highlights) {
      const bar = barOfOpIndex.get(index);
      if (bar === undefined) continue;
      if (!highlighted.includes(bar)) highlighted.push(bar);
      const pair = pairAtBar(bar);
      if (pair && rows.length < 200)
        rows.push({ bar, role: "highlight", label, text: describeOp(pair.invoke, pair.completion) });
    }
    if (highlighted.length === 0) continue;
    counterexamples.push({
      kind: "highlights",
      rows,
      checker: name,
      key: null,
      explanation: result.explanation ?? "",
      stuckBars: highlighted,
      prefixTailBars: [],
      prefixLength: 0,
    });
  }

  const periods: PeriodData[] = faultPeriods(history).map((period) => ({
    kind: period.kind,
    startS: toSeconds(period.startNs),
    endS: toSeconds(period.endNs),
    healed: period.healed,
    instant: period.instant,
    healedBy: period.healedBy ?? null,
    valueText: describeFaultValue(period.value),
  }));

  // Latency points per (f, outcome), by invocation time; rolling quantiles per f over ok+fail ops.
  const durationS = timeline.endOfHistoryS;
  const binS = niceBinSeconds(durationS, PLOT_BINS_TARGET);
  const binCount = Math.max(1, Math.ceil(durationS / binS) + 1);
  const binStartS = Array.from({ length: binCount }, (_, i) => Number((i * binS).toPrecision(9)));
  const groups = new Map<string, LatencyGroup>();
  const perFBins = new Map<string, number[][]>();
  const throughput = new Map<string, ThroughputSeries>();
  const clientPairs = pairs.filter((pair) => pair.invoke.process !== "nemesis" && pair.completion);
  clientPairs.sort((a, b) => a.invoke.time - b.invoke.time);
  for (const { invoke, completion } of clientPairs) {
    const outcome = completion!.type as "ok" | "fail" | "info";
    const groupKey = `${invoke.f}\u0000${outcome}`;
    let group = groups.get(groupKey);
    if (!group) {
      group = { f: invoke.f, outcome, t: [], latencyMs: [] };
      groups.set(groupKey, group);
    }
    const latencyMs = Math.max(0, (completion!.time - invoke.time) / 1e6);
    const t = toSeconds(invoke.time);
    group.t.push(t);
    group.latencyMs.push(roundMs(latencyMs));
    if (outcome !== "info") {
      let bins = perFBins.get(invoke.f);
      if (!bins) {
        bins = Array.from({ length: binCount }, () => []);
        perFBins.set(invoke.f, bins);
      }
      bins[Math.min(binCount - 1, Math.floor(t / binS))]!.push(latencyMs);
    }
    let series = throughput.get(groupKey);
    if (!series) {
      series = { f: invoke.f, outcome, opsPerSec: new Array<number>(binCount).fill(0) };
      throughput.set(groupKey, series);
    }
    const doneBin = Math.min(binCount - 1, Math.floor(toSeconds(completion!.time) / binS));
    series.opsPerSec[doneBin]! += 1;
  }
  const quantiles: QuantileSeries[] = [];
  for (const [f, bins] of perFBins) {
    const sortedBins = bins.map((bin) => bin.sort((a, b) => a - b));
    for (const q of [0.5, 0.95, 0.99]) {
      quantiles.push({
        f,
        q,
        values: sortedBins.map((bin) => (bin.length === 0 ? null : roundMs(quantile(bin, q)))),
      });
    }
  }
  const outcomeOrder = { ok: 0, fail: 1, info: 2 };
  const byFThenOutcome = <T extends { f: string; outcome: "ok" | "fail" | "info" }>(a: T, b: T) =>
    a.f.localeCompare(b.f) || outcomeOrder[a.outcome] - outcomeOrder[b.outcome];
  const throughputSeries = [...throughput.values()].sort(byFThenOutcome);
  for (const series of throughputSeries) {
    series.opsPerSec = series.opsPerSec.map((count) => Math.round((count / binS) * 100) / 100);
  }

  return {
    title: test?.name ?? "history",
    test: test ?? null,
    verdict: results.valid,
    complete: results.complete ?? true,
    error: results.error ?? null,
    notes: [...(results.notes ?? [])],
    warnings: [...(input.warnings ?? [])],
    stats,
    checkers,
    files: [...(input.files ?? [])],
    timeline,
    periods,
    counterexamples,
    latency: { groups: [...groups.values()].sort(byFThenOutcome), binS, binStartS, quantiles },
    throughput: { binS, binStartS, series: throughputSeries },
    holds: buildHolds(input.intervals, history, results.checkers ?? {}),
    sync: buildSyncSection(results, history),
  };
}
