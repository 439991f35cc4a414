/**
 * The pipeline both transactional checkers share: transactions → the
 * workload's inference (version orders, ww/wr/rw edges, non-cycle anomalies)
 * → process and real-time edges when the models ask for them → strongly
 * connected components → a bounded cycle search per component for each
 * anomaly class the models forbid → the verdict, the anomalies in words,
 * and the models ruled out (`not`, `alsoNot`).
 */
import { UsageError } from "../../errors/index.js";
import type { Op } from "../../history/op.js";
import type { CheckContext, CheckResult, OpHighlight, Validity } from "../types.js";
import type { CycleAnomaly, CycleStep, OpAnomaly, TxnAnomaly, WorkloadAnalysis } from "./anomaly.js";
import { cycleDiagram, edgeLabel, show } from "./anomaly.js";
import { CYCLE_SPECS, CycleSearcher, type CycleSpec, classify, simplify } from "./cycles.js";
import {
  evidenceRow,
  type Graph,
  GraphBuilder,
  KIND_NAMES,
  NONE,
  PROCESS,
  REALTIME,
  RW,
  stronglyConnected,
  WR,
  WW,
} from "./graph.js";
import { anomaliesForbiddenBy, modelBoundary } from "./models.js";
import {
  isTxnHistory,
  NEVER_COMPLETED,
  type Transactions,
  type TxnHistory,
  type TxnWorkload,
  transactionsOf,
  txnHistoryFromOps,
} from "./transactions.js";

export interface TxnCheckOptions {
  /** Models the history must satisfy. Default `["strict-serializable"]`. */
  consistencyModels?: readonly string[];
  /** Anomalies to look for (and report) beyond those the models forbid, exactly as named. */
  anomalies?: readonly string[];
  /** Time budget of the cycle search in each strongly connected component, ms. Default 1000 (Elle's). */
  cycleSearchBudgetMs?: number;
  /** Cycles kept per anomaly type, at most. Default 32. */
  maxCyclesPerType?: number;
  /**
   * After the classes the models forbid, also search the cycle classes they
   * allow (on the edges the forbidden ones needed), and report what is found
   * in `allowedAnomalies`: never held against the history. Default true.
   */
  searchAllowed?: boolean;
}

export const DEFAULT_CONSISTENCY_MODELS: readonly string[] = ["strict-serializable"];
export const DEFAULT_CYCLE_SEARCH_BUDGET_MS = 1000;

export interface TxnCheckResult extends CheckResult {
  /** Anomaly types found that the models forbid, sorted. */
  anomalyTypes: string[];
  anomalies: Record<string, TxnAnomaly[]>;
  /** Anomaly types found that the models allow (reported, not held against the history). */
  allowedAnomalyTypes: string[];
  allowedAnomalies: Record<string, TxnAnomaly[]>;
  /** The weakest models the anomalies found (forbidden and allowed) rule out, and the stronger ones. */
  not: string[];
  alsoNot: string[];
  /** Per anomaly type found, forbidden or allowed: the weakest models it alone rules out. */
  notByAnomaly: Record<string, string[]>;
  consistencyModels: string[];
  notes: string[];
  stats: {
    transactions: number;
    committed: number;
    edges: number;
    components: number;
    largestComponent: number;
    checkMs: number;
  };
}

export type Workload = (
  input: Transactions,
  graph: (nodeCount: number) => GraphBuilder,
) => { analysis: WorkloadAnalysis; builder: GraphBuilder | undefined };

/** The columnar form of a history for `workload`: converted from ops, or checked to be of that workload. */
function columnsOf(history: readonly Op[] | TxnHistory, workload: TxnWorkload): TxnHistory {
  if (!isTxnHistory(history)) return txnHistoryFromOps(history, workload);
  if (history.workload !== workload)
    throw new UsageError(`a ${history.workload} history cannot be checked as ${workload}`);
  return history;
}

export function checkTransactions(
  history: readonly Op[] | TxnHistory,
  workloadName: TxnWorkload,
  workload: Workload,
  options: TxnCheckOptions,
  ctx: CheckContext,
): TxnCheckResult {
  const started = performance.now();
  const models = [...(options.consistencyModels ?? DEFAULT_CONSISTENCY_MODELS)];
  const forbidden = anomaliesForbiddenBy(models);
  // Anomalies asked for by name are searched and reported as named (as elle-cli's
  // --anomalies does): asking for G-single-process does not also ask for G-single.
  const wanted = new Set([...forbidden, ...(options.anomalies ?? [])]);
  const input = transactionsOf(columnsOf(history, workloadName));
  let committed = 0;
  for (let id = 0; id < input.count; id++) committed += input.committed[id]!;
  const notes: string[] = [];
  const empty = (valid: Validity, explanation: string): TxnCheckResult => ({
    valid,
    explanation,
    anomalyTypes: [],
    anomalies: {},
    allowedAnomalyTypes: [],
    allowedAnomalies: {},
    not: [],
    alsoNot: [],
    notByAnomaly: {},
    consistencyModels: models,
    notes,
    stats: {
      transactions: input.count,
      committed,
      edges: 0,
      components: 0,
      largestComponent: 0,
      checkMs: Math.round(performance.now() - started),
    },
  });
  if (committed === 0)
    return empty("unknown", "no transaction committed (no ok txn op), so there is nothing to judge");

  const searched = CYCLE_SPECS.filter((spec) => wanted.has(spec.name));
  const needProcess = searched.some(
    (spec) => spec.name.endsWith("-process") || spec.name.endsWith("-realtime"),
  );
  const needRealtime = searched.some((spec) => spec.name.endsWith("-realtime"));
  const { analysis, builder } = workload(input, (n) => new GraphBuilder(n, input.arena));
  notes.push(...analysis.notes);
  if (!builder) {
    const shown = analysis.duplicates
      .slice(0, 5)
      .map((d) => `key ${show(d.key)} value ${show(d.value)} (ops ${d.ops.join(", ")})`)
      .join("; ");
    const result = empty(
      "unknown",
      `${analysis.duplicates.length} values were written more than once (${shown}): the version order cannot be inferred without unique writes`,
    );
    result.duplicates = analysis.duplicates.slice(0, 100);
    return result;
  }
  if (needProcess) addProcessEdges(input, builder);
  if (needRealtime) {
    if (input.timed) addRealtimeEdges(input, builder);
    else notes.push("some ops have no time: no real-time edges, so real-time anomalies were not searched");
  }
  const graph = builder.build();
  const all = WW | WR | RW | PROCESS | REALTIME;
  const { nontrivial } = stronglyConnected(graph, all, undefined, undefined, input.arena);
  const found = new Map<string, CycleAnomaly[]>();
  const searcher = new CycleSearcher(graph);
  const budgetMs = options.cycleSearchBudgetMs ?? DEFAULT_CYCLE_SEARCH_BUDGET_MS;
  const maxCycles = options.maxCyclesPerType ?? 32;
  const overallDeadline =
    ctx.timeLimitMs === undefined ? Number.POSITIVE_INFINITY : started + ctx.timeLimitMs;
  const name = nameTransactions(input);
  let aborted = false;
  /** Search every component for each of `specs`, most severe first; the classes that timed out somewhere. */
  const searchComponents = (specs: readonly CycleSpec[]): Set<string> => {
    const timedOut = new Set<string>();
    for (const component of nontrivial) {
      if (ctx.signal?.aborted || performance.now() > overallDeadline) {
        aborted = true;
        break;
      }
      const componentStart = performance.now();
      for (let s = 0; s < specs.length; s++) {
        const spec = specs[s]!;
        if ((found.get(spec.name)?.length ?? 0) >= maxCycles) continue;
        // What is left of this component's budget, shared evenly by the classes still to search.
        const left = componentStart + budgetMs - performance.now();
        const deadline = Math.min(overallDeadline, performance.now() + left / (specs.length - s));
        const cycle = searcher.search(component, spec, deadline);
        if (cycle === "timeout") {
          timedOut.add(spec.name);
          continue;
        }
        if (!cycle) continue;
        const simple = simplify(graph, cycle);
        const type = classify(simple.map((e) => graph.kind[e]!));
        const list = found.get(type) ?? [];
        if (list.length < maxCycles)
          list.push(explainCycle(workloadName, graph, simple, type, analysis, input, name));
        found.set(type, list);
      }
    }
    return timedOut;
  };
  nontrivial.sort((a, b) => a.length - b.length);
  const timedOut = searchComponents(searched);
  const forbiddenCut = aborted;
  // Then the classes the models allow, on the edges already built: reported as
  // allowed, with the models they rule out, never held against the history
  // (nor is running out of time on them), as Elle reports every anomaly it finds.
  const allowedSpecs =
    options.searchAllowed === false || aborted
      ? []
      : CYCLE_SPECS.filter(
          (spec) =>
            !wanted.has(spec.name) &&
            (!spec.name.endsWith("-process") || needProcess) &&
            (!spec.name.endsWith("-realtime") || (needRealtime && input.timed)),
        );
  const allowedTimedOut = searchComponents(allowedSpecs);
  const allFound = new Map<string, TxnAnomaly[]>([...analysis.anomalies.byType, ...found]);
  const anomalyTypes = [...allFound.keys()].filter((type) => forbidden.has(type) || wanted.has(type)).sort();
  const allowedAnomalyTypes = [...allFound.keys()].filter((type) => !anomalyTypes.includes(type)).sort();
  const pick = (types: string[]) => Object.fromEntries(types.map((type) => [type, allFound.get(type)!]));
  const boundary = modelBoundary(allFound.keys());
  const unsearched = [...timedOut].filter((type) => !found.has(type));
  let unknownWhy: string | undefined;
  if (unsearched.length > 0) {
    unknownWhy = `the cycle search ran out of its ${budgetMs} ms budget per component before finishing ${unsearched.join(", ")}`;
    notes.push(unknownWhy);
  }
  const allowedUnsearched = [...allowedTimedOut].filter((type) => !found.has(type));
  if (allowedUnsearched.length > 0)
    notes.push(
      `the search for cycles the models allow (reported, not judged) ran out of its budget before finishing ${allowedUnsearched.join(", ")}`,
    );
  if (forbiddenCut) {
    unknownWhy = "the check was stopped (time limit or abort) before every component was searched";
    notes.push(unknownWhy);
  } else if (aborted)
    notes.push(
      "the check was stopped (time limit or abort) while searching the cycles the models allow; every forbidden one was searched",
    );
  const valid: Validity =
    anomalyTypes.length > 0 ? false : unsearched.length > 0 || forbiddenCut ? "unknown" : true;
  const explanation =
    valid === false
      ? `${anomalyTypes.join(", ")} found, so not ${boundary.not.join(", ")}: ${firstExplanation(allFound, anomalyTypes)}`
      : valid === "unknown"
        ? unknownWhy
        : allowedAnomalyTypes.length > 0
          ? `nothing the models forbid; found ${allowedAnomalyTypes.join(", ")}, which they allow${boundary.not.length > 0 ? ` (so not ${boundary.not.join(", ")})` : ""}`
          : undefined;
  const notByAnomaly = Object.fromEntries(
    [...allFound.keys()].sort().map((type) => [type, modelBoundary([type]).not]),
  );
  const largest = nontrivial.reduce((max, c) => Math.max(max, c.length), 0);
  return {
    valid,
    ...(explanation === undefined ? {} : { explanation }),
    anomalyTypes,
    anomalies: pick(anomalyTypes),
    highlights: anomalyHighlights(pick(anomalyTypes)),
    allowedAnomalyTypes,
    allowedAnomalies: pick(allowedAnomalyTypes),
    not: boundary.not,
    alsoNot: boundary.alsoNot,
    notByAnomaly,
    consistencyModels: models,
    notes,
    stats: {
      transactions: input.count,
      committed,
      edges: graph.edgeCount,
      components: nontrivial.length,
      largestComponent: largest,
      checkMs: Math.round(performance.now() - started),
    },
  };
}

function firstExplanation(found: Map<string, TxnAnomaly[]>, types: readonly string[]): string {
  const first = found.get(types[0]!)?.[0];
  return first ? first.explanation : "";
}

/**
 * Process order: each process's transactions, one after another (a process
 * runs one at a time). Only from committed ones: an `info` transaction may
 * never have happened, and a history that reuses a process after one (against
 * Jepsen's rule) must not make it precede anything.
 */
function addProcessEdges(input: Transactions, builder: GraphBuilder): void {
  const last = new Map<number, number>();
  for (let id = 0; id < input.count; id++) {
    const process = input.process[id]!;
    const before = last.get(process);
    if (before !== undefined) builder.add(before, id, PROCESS);
    if (input.committed[id] === 1) last.set(process, id);
    else last.delete(process);
  }
}

/**
 * Real-time order: T1 → T2 when T1 completed before T2 was invoked (history
 * order). Only the frontier — completed transactions not yet followed by a
 * later completed one — links to each invocation, a transitive reduction
 * that keeps edges near n × concurrency instead of n².
 */
function addRealtimeEdges(input: Transactions, builder: GraphBuilder): void {
  // Events in history order without sorting: positions are history indices.
  let last = 0;
  for (let id = 0; id < input.count; id++) {
    const complete = input.completeAt[id]!;
    last = Math.max(last, input.invokeAt[id]!, complete === NEVER_COMPLETED ? 0 : complete);
  }
  const eventAt = input.arena.int32(last + 1).fill(-1);
  for (let id = 0; id < input.count; id++) {
    eventAt[input.invokeAt[id]!] = id * 2;
    const complete = input.completeAt[id]!;
    if (complete !== NEVER_COMPLETED) eventAt[complete] = id * 2 + 1;
  }
  const frontier = new Set<number>();
  for (let position = 0; position <= last; position++) {
    const event = eventAt[position]!;
    if (event === -1) continue;
    const id = event >> 1;
    if ((event & 1) === 0) {
      for (const p of frontier) builder.add(p, id, REALTIME);
      continue;
    }
    // Those that completed before this one was invoked now precede it: it stands for them.
    const invokedAt = input.invokeAt[id]!;
    for (const p of frontier) if (input.completeAt[p]! < invokedAt) frontier.delete(p);
    frontier.add(id);
  }
}

/** Transactions are named by their op index in explanations: `T12` is the txn completed at op 12. */
function nameTransactions(_input: Transactions): (op: number) => string {
  return (op) => `T${op}`;
}

function explainCycle(
  workload: TxnWorkload,
  graph: Graph,
  edges: readonly number[],
  type: string,
  analysis: WorkloadAnalysis,
  input: Transactions,
  name: (op: number) => string,
): CycleAnomaly {
  const opOf = (node: number) => input.opIndex[node]!;
  const steps: CycleStep[] = edges.map((e) => {
    const kind = KIND_NAMES[graph.kind[e]!]!;
    const step: CycleStep = { type: kind, from: opOf(graph.from[e]!), to: opOf(graph.to[e]!), label: "" };
    const row = evidenceRow(graph, e);
    if (row !== NONE && graph.key[row] !== NONE) step.key = analysis.keys.items[graph.key[row]!]!;
    if (kind === "ww") {
      step.previous = analysis.values.items[graph.valueA[row]!];
      step.value = analysis.values.items[graph.valueB[row]!];
    } else if (kind === "wr") step.value = analysis.values.items[graph.valueA[row]!];
    else if (kind === "rw") {
      if (graph.valueA[row] !== NONE) step.previous = analysis.values.items[graph.valueA[row]!];
      step.value = analysis.values.items[graph.valueB[row]!];
      const read = analysis.readList?.(graph.key[row]!, graph.valueA[row]!);
      if (read !== undefined) step.read = read;
    } else if (kind === "process") step.process = input.history.processes[input.process[graph.from[e]!]!]!;
    step.label = edgeLabel(step, workload, name(step.from), name(step.to));
    return step;
  });
  const cycle = steps.map((step) => step.from);
  const because = steps
    .map((step) => `${name(step.from)} < ${name(step.to)}, because ${analysis.describe(step, name)}`)
    .join("; ");
  const processes = edges
    .map(
      (e) =>
        `${name(opOf(graph.from[e]!))} (process ${input.history.processes[input.process[graph.from[e]!]!]!})`,
    )
    .join(", ");
  const diagram = cycleDiagram(steps, workload, name);
  return {
    cycle,
    steps,
    workload,
    diagram,
    explanation: `${processes}: ${because}; so ${name(cycle[0]!)} precedes itself, a cycle (${type}): ${diagram}.`,
  };
}

export type { OpAnomaly };

function isCycleAnomaly(anomaly: TxnAnomaly): anomaly is CycleAnomaly {
  const candidate = anomaly as Partial<CycleAnomaly>;
  return Array.isArray(candidate.cycle) && Array.isArray(candidate.steps);
}

/** Cycles (and op anomalies) per type whose transactions the report names; the rest are in `anomalies`. */
export const HIGHLIGHTED_ANOMALIES_PER_TYPE = 3;

/**
 * The ops of the forbidden anomalies as highlights, so the report marks the
 * cycle's transactions on the timeline, each labelled with its place in the
 * cycle and the edge to the next one, with the values that justify it
 * (`G-single #1: T1 -rw key x (T1 read [1 2], T2 appended 3)-> T2`).
 */
export function anomalyHighlights(anomalies: Record<string, readonly TxnAnomaly[]>): OpHighlight[] {
  const highlights: OpHighlight[] = [];
  for (const [type, list] of Object.entries(anomalies)) {
    list.slice(0, HIGHLIGHTED_ANOMALIES_PER_TYPE).forEach((anomaly, n) => {
      const tag = `${type} #${n + 1}`;
      if (isCycleAnomaly(anomaly)) {
        const position = new Map(anomaly.cycle.map((index, i) => [index, i + 1]));
        const named = (index: number) => `T${position.get(index) ?? "?"}`;
        for (const step of anomaly.steps) {
          const edge = edgeLabel(step, anomaly.workload ?? "list-append", named(step.from), named(step.to));
          highlights.push({
            index: step.from,
            label: `${tag}: ${named(step.from)} -${edge}-> ${named(step.to)}`,
          });
        }
      } else {
        for (const index of (anomaly as OpAnomaly).ops) highlights.push({ index, label: tag });
      }
    });
  }
  return highlights;
}
