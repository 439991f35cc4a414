/**
 * `crucible check <files...> --model M`: judge recorded histories offline.
 *
 * Each file (or every file under a directory) is imported (`--format`, auto
 * by default), checked for linearizability against the model, and reported:
 * the verdict, and for an invalid history the counterexample in words. The
 * exit code is the worst verdict over all files (invalid 1 > unknown 2 >
 * valid 0); a malformed file is reported with file:line and makes it 64.
 * `--json` prints one JSON object per file (verdict, op count, parse and
 * check time in ms, peak memory) as a JSON array instead.
 * `--model bounded-concurrency --intervals <log>` judges a lock run's
 * interval log instead, with the history's faults as its loss events; the
 * log is placed on the history's axis by `--origin` or the `results.json`
 * beside it (docs/locks.md).
 */
import { readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import {
  type HistoryCheckerName,
  historyChecker,
  historyCheckerNames,
  isHistoryCheckerName,
} from "../checker/by-name.js";
import { checkBoundedConcurrency } from "../checker/intervals/index.js";
import {
  checkLinearizableParallel,
  DEFAULT_TIME_LIMIT_MS,
  type LinearizabilityResult,
} from "../checker/linearizable/index.js";
import { modelByName, modelNames } from "../checker/models/index.js";
import {
  anomalyNames,
  consistencyModelNames,
  DEFAULT_CYCLE_SEARCH_BUDGET_MS,
  type KeyAssumption,
  listAppend,
  rwRegister,
  type TxnAnomaly,
  type TxnCheckResult,
} from "../checker/txn/index.js";
import type { CheckResult, Validity } from "../checker/types.js";
import { describeError, ExitCode, type ExitCodeValue, OutputError, UsageError } from "../errors/index.js";
import { summarize } from "../history/analysis.js";
import { type HistoryFormat, historyFormats, importHistoryFile } from "../history/import/index.js";
import { type Interval, readIntervalLog } from "../history/intervals.js";
import { escapeTerminal } from "../report/escape.js";
import { cliErrorMessage } from "./errors.js";
import { choiceParser, listParser, parseDurationMs, parsePositiveInt } from "./options.js";

/**
 * `--model` names: Jepsen's history checkers (bank, counter, set, set-full,
 * long-fork), the transactional isolation checkers (list-append, rw-register)
 * and the linearizability models. `set` is Jepsen's set checker
 * (final reads); the linearizable set model is `set-linearizable`.
 */
const LINEARIZABLE_SET_ALIAS = "set-linearizable";
const TXN_MODELS = ["list-append", "rw-register"] as const;
/** Models judged over an interval log (`--intervals`) and the history's faults, not the client ops. */
const INTERVAL_MODELS = ["bounded-concurrency"] as const;
export const checkModelNames: readonly string[] = [
  ...modelNames.filter((name) => name !== "set"),
  LINEARIZABLE_SET_ALIAS,
  ...historyCheckerNames,
  ...TXN_MODELS,
  ...INTERVAL_MODELS,
];

export interface CheckFlags {
  /** Model name; default: the one the format suggests (etcd → cas-register, kv → porcupine-kv), else required. */
  model?: string;
  /** long-fork: keys per group. */
  groupSize?: number;
  /** bank: balances below zero are allowed. */
  negativeBalances?: boolean;
  /** bank: the constant total of all balances (default: the first read's). */
  totalAmount?: number;
  /** set-full: stale reads are anomalies. */
  linearizable?: boolean;
  format: HistoryFormat | "auto";
  /** Time budget per file, ms. Default 5 minutes. */
  timeLimit?: number;
  json?: boolean;
  report?: string;
  /** Check per key (default) or as one partition (`--no-partition`, for measuring). */
  partition?: boolean;
  /** Transactional models (list-append, rw-register): the isolation levels to hold the history to. */
  consistencyModels?: string[];
  /** Transactional models: anomalies to look for beyond those the levels forbid. */
  anomalies?: string[];
  /** Transactional models: the cycle search budget per strongly connected component, ms. */
  cycleSearchBudget?: number;
  /** rw-register: order versions by process (sequential-keys) or real time (linearizable-keys). */
  assume?: KeyAssumption;
  /** bounded-concurrency: the interval log to judge with the history's faults. */
  intervals?: string;
  /** The run's CLOCK_MONOTONIC origin in ns (results.json's `intervalOriginNs`); default: read from a results.json beside the log. */
  origin?: bigint;
  /** bounded-concurrency: at most this many holders at once (default 1). */
  limit?: number;
  /** bounded-concurrency: how long after a loss event is healed an overlap may last, ms. */
  lossWindow?: number;
}

/** Models judged by the transactional isolation checkers rather than the linearizability search. */
const isTxnModel = (model: string): model is (typeof TXN_MODELS)[number] =>
  (TXN_MODELS as readonly string[]).includes(model);
const isIntervalModel = (model: string): model is (typeof INTERVAL_MODELS)[number] =>
  (INTERVAL_MODELS as readonly string[]).includes(model);

/** `--origin`: CLOCK_MONOTONIC nanoseconds as a decimal integer (above 2^53 on a host up for 104 days). */
function parseOriginNs(text: string): bigint {
  if (!/^\d{1,20}$/.test(text.trim()))
    throw new InvalidArgumentError(
      `expected CLOCK_MONOTONIC nanoseconds as a decimal integer (results.json's intervalOriginNs); got "${text}"`,
    );
  return BigInt(text.trim());
}

export interface CheckCommandOptions {
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
}

/** Per file, what `--json` prints. */
export interface CheckFileReport {
  file: string;
  valid: Validity | "error";
  model?: string;
  format?: HistoryFormat;
  ops: number;
  parseMs: number;
  checkMs: number;
  /** Peak resident set size of the process so far, bytes. */
  peakMemoryBytes: number;
  /** Peak estimated size of the search cache, bytes. */
  peakCacheBytes?: number;
  explanation?: string;
  counterexample?: LinearizabilityResult["counterexample"];
  /** Transactional models: the anomaly types found, the models ruled out, and the anomalies in words. */
  anomalyTypes?: string[];
  not?: string[];
  alsoNot?: string[];
  anomalies?: Record<string, TxnAnomaly[]>;
  /** Transactional models: anomalies found that the models allow, and per type found the weakest models it rules out. */
  allowedAnomalyTypes?: string[];
  allowedAnomalies?: Record<string, TxnAnomaly[]>;
  notByAnomaly?: Record<string, string[]>;
  notes?: string[];
  /** A history checker's full result (bank, set-full, long-fork, ...). */
  result?: CheckResult;
  warnings?: string[];
  error?: string;
  /** `--report` could not be written (a directory, /proc, a full disk): the path and the cause. */
  reportError?: string;
}

/** Files found under one directory argument, at most: a bound on a mistaken `crucible check /`. */
const MAX_FILES_PER_DIRECTORY = 100_000;

export function registerCheckCommand(program: Command, options: CheckCommandOptions = {}): Command {
  return program
    .command("check")
    .description(
      "check recorded histories: linearizability, bank, counter, set, set-full, long-fork (jsonl, Jepsen EDN and JSON, Porcupine logs); bounded-concurrency over an interval log",
    )
    .argument("<files...>", "history files, or directories (searched recursively)")
    .option("--model <model>", `model: ${checkModelNames.join(", ")}`, choiceParser(checkModelNames))
    .option(
      "--group-size <n>",
      "long-fork: keys per group (default: inferred from the reads)",
      parsePositiveInt,
    )
    .option("--negative-balances", "bank: balances below zero are allowed")
    .option(
      "--total-amount <n>",
      "bank: the constant total of all balances (default: the first read's sum)",
      parseNonNegativeInt,
    )
    .option("--linearizable", "set-full: a stale read (one that missed a known element) is an anomaly")
    .option(
      "--format <format>",
      `input format: auto, ${historyFormats.join(", ")}`,
      choiceParser(["auto", ...historyFormats]),
      "auto",
    )
    .option(
      "--time-limit <seconds>",
      "time budget per file (then the verdict is unknown); default 300",
      parseDurationMs,
    )
    .option("--no-partition", "check keyed histories as one partition (slower; for measuring)")
    .option(
      "--consistency-models <models>",
      "list-append, rw-register: isolation levels the history must satisfy, comma-separated (default strict-serializable)",
      listParser(consistencyModelNames),
    )
    .option(
      "--anomalies <anomalies>",
      "list-append, rw-register: anomalies to look for beyond those the levels forbid, comma-separated",
      listParser(anomalyNames),
    )
    .option(
      "--cycle-search-budget <duration>",
      `list-append, rw-register: cycle search time per strongly connected component (then unknown); default ${DEFAULT_CYCLE_SEARCH_BUDGET_MS}ms`,
      parseDurationMs,
    )
    .option(
      "--assume <assumption>",
      "rw-register: versions of each key follow process order (sequential-keys) or real time (linearizable-keys)",
      choiceParser(["sequential-keys", "linearizable-keys"]),
    )
    .option(
      "--intervals <file>",
      "bounded-concurrency: the interval log (intervals.jsonl) to judge with the history's faults",
    )
    .option(
      "--origin <ns>",
      "the run's CLOCK_MONOTONIC origin (results.json's intervalOriginNs; default: from a results.json beside the log)",
      parseOriginNs,
    )
    .option(
      "--limit <n>",
      "bounded-concurrency: at most this many holders at once (default 1)",
      parsePositiveInt,
    )
    .option(
      "--loss-window <duration>",
      "bounded-concurrency: how long an overlap may last after a loss event is healed (the lease TTL plus kill-after, e.g. 3s)",
      parseDurationMs,
    )
    .option("--json", "print one JSON object per file (verdict, ops, parse/check ms, peak memory)")
    .option("--report <out.html>", "write an HTML report with the timeline and counterexample")
    .action(async (files: string[], flags: CheckFlags) => {
      process.exitCode = await runCheckCommand(files, flags, options);
    });
}

/** The command's work without commander: returns the exit code. */
export async function runCheckCommand(
  paths: readonly string[],
  flags: CheckFlags,
  options: CheckCommandOptions = {},
): Promise<ExitCodeValue> {
  const stdout = options.stdout ?? ((text: string) => process.stdout.write(text));
  const stderr = options.stderr ?? ((text: string) => process.stderr.write(text));
  const files: string[] = [];
  const reports: CheckFileReport[] = [];
  for (const path of paths) {
    try {
      files.push(...(await expand(path)));
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      const report = errorReport(path, error);
      reports.push(report);
      if (!flags.json) printReport(report, stdout, stderr);
    }
  }
  for (const file of files) {
    const report = await checkFile(file, flags, files.length > 1);
    reports.push(report);
    if (!flags.json) printReport(report, stdout, stderr);
  }
  if (flags.json) stdout(`${JSON.stringify(reports, null, 2)}\n`);
  return worstExitCode(reports);
}

/** invalid beats unknown beats valid; a bad input file beats them all (the run could not say). */
export function worstExitCode(
  reports: readonly Pick<CheckFileReport, "valid" | "reportError">[],
): ExitCodeValue {
  if (reports.some((r) => r.valid === "error")) return ExitCode.usage;
  // An output that could not be written (--report): the command failed to do what it was asked.
  if (reports.some((r) => r.reportError !== undefined)) return ExitCode.runFailed;
  if (reports.some((r) => r.valid === false)) return ExitCode.invalid;
  if (reports.some((r) => r.valid === "unknown")) return ExitCode.unknown;
  return ExitCode.valid;
}

async function expand(path: string): Promise<string[]> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch {
    throw new UsageError("no such file or directory", path);
  }
  if (!info.isDirectory()) return [path];
  const found: string[] = [];
  const entries = await readdir(path, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (
      !entry.isFile() ||
      entry.name.startsWith(".") ||
      [".json", ".md", ".html"].includes(extname(entry.name))
    )
      continue;
    found.push(join(entry.parentPath, entry.name));
    if (found.length > MAX_FILES_PER_DIRECTORY)
      throw new UsageError(`more than ${MAX_FILES_PER_DIRECTORY} files`, path);
  }
  if (found.length === 0) throw new UsageError("no history files in this directory", path);
  return found.sort();
}

function errorReport(file: string, error: Error): CheckFileReport {
  return {
    file,
    valid: "error",
    ops: 0,
    parseMs: 0,
    checkMs: 0,
    peakMemoryBytes: peakRss(),
    error: cliErrorMessage(error),
  };
}

const peakRss = (): number => process.resourceUsage().maxRSS * 1024;

async function checkFile(file: string, flags: CheckFlags, several: boolean): Promise<CheckFileReport> {
  const parseStarted = performance.now();
  let imported: Awaited<ReturnType<typeof importHistoryFile>>;
  try {
    // A transaction of two micro-ops looks like an independent [key value] tuple: never read txns that way.
    imported = await importHistoryFile(file, {
      format: flags.format,
      ...(flags.model !== undefined && isTxnModel(flags.model) ? { independent: false } : {}),
    });
  } catch (error) {
    if (error instanceof UsageError) return errorReport(file, error);
    throw error;
  }
  const parseMs = performance.now() - parseStarted;
  const modelName = flags.model ?? imported.suggestedModel;
  if (!modelName) {
    return errorReport(
      file,
      new UsageError(`which model? pass --model (${checkModelNames.join(", ")})`, file),
    );
  }
  if (isIntervalModel(modelName))
    return checkIntervalFile(file, flags, several, imported, modelName, parseMs);
  if (flags.intervals !== undefined)
    return errorReport(
      file,
      new UsageError(
        `--intervals is judged by ${INTERVAL_MODELS.join(", ")}; expected --model ${INTERVAL_MODELS[0]} (got ${modelName})`,
        file,
      ),
    );
  if (!imported.ops.some((op) => op.process !== "nemesis")) {
    // An empty file (or only blanks, a BOM, /dev/null, only faults) is no evidence: never "valid".
    return {
      file,
      valid: "unknown",
      model: modelName,
      format: imported.format,
      ops: imported.ops.length,
      parseMs: round(parseMs),
      checkMs: 0,
      peakMemoryBytes: peakRss(),
      explanation: "no operations: the file holds no client operation, so there is nothing to judge",
      ...(imported.warnings.length > 0 ? { warnings: imported.warnings } : {}),
    };
  }
  if (isTxnModel(modelName)) return checkTxnFile(file, flags, imported, modelName, parseMs);
  if (isHistoryCheckerName(modelName))
    return checkWithHistoryChecker(file, flags, several, imported, modelName, parseMs);
  const model = modelByName(modelName === LINEARIZABLE_SET_ALIAS ? "set" : modelName)!;
  let result: LinearizabilityResult;
  try {
    // Worker threads when the history is big enough for them to pay; one thread otherwise.
    result = await checkLinearizableParallel(imported.ops, model, {
      timeLimitMs: flags.timeLimit ?? DEFAULT_TIME_LIMIT_MS,
      partition: flags.partition ?? true,
    });
  } catch (error) {
    // A value of the wrong shape for the model (e.g. a cas value that is not a pair) is bad input.
    return errorReport(
      file,
      new UsageError(`does not fit the ${modelName} model: ${describeError(error)}`, file),
    );
  }
  const report: CheckFileReport = {
    file,
    valid: result.valid,
    model: modelName,
    format: imported.format,
    ops: result.stats.opCount,
    parseMs: round(parseMs),
    checkMs: round(result.stats.checkMs),
    peakMemoryBytes: peakRss(),
    peakCacheBytes: result.stats.peakCacheBytes,
    ...(result.explanation ? { explanation: result.explanation } : {}),
    ...(result.counterexample ? { counterexample: result.counterexample } : {}),
    ...(imported.warnings.length > 0 ? { warnings: imported.warnings } : {}),
  };
  if (flags.report) {
    try {
      await writeReport(flags.report, file, several, imported, result, report, modelName);
    } catch (error) {
      // The verdict stands and is printed; the missing report is said in one line and exits 3.
      report.reportError = describeError(error);
    }
  }
  return report;
}

/** Run one of Jepsen's history checkers (bank, counter, set, set-full, long-fork) on an imported file. */
async function checkWithHistoryChecker(
  file: string,
  flags: CheckFlags,
  several: boolean,
  imported: Awaited<ReturnType<typeof importHistoryFile>>,
  name: HistoryCheckerName,
  parseMs: number,
): Promise<CheckFileReport> {
  const checker = historyChecker(name, {
    ...(flags.groupSize !== undefined && { groupSize: flags.groupSize }),
    ...(flags.negativeBalances !== undefined && { negativeBalances: flags.negativeBalances }),
    ...(flags.totalAmount !== undefined && { totalAmount: flags.totalAmount }),
    ...(flags.linearizable !== undefined && { linearizable: flags.linearizable }),
  });
  const started = performance.now();
  const result = await checker.check(imported.ops, {
    timeLimitMs: flags.timeLimit ?? DEFAULT_TIME_LIMIT_MS,
    realTimeKnown: imported.timesKnown,
  });
  const report: CheckFileReport = {
    file,
    valid: result.valid,
    model: name,
    format: imported.format,
    ops: imported.ops.length,
    parseMs: round(parseMs),
    checkMs: round(performance.now() - started),
    peakMemoryBytes: peakRss(),
    ...(result.explanation ? { explanation: result.explanation } : {}),
    result,
    ...(imported.warnings.length > 0 ? { warnings: imported.warnings } : {}),
  };
  if (flags.report) await writeReport(flags.report, file, several, imported, result, report, name);
  return report;
}

/** A non-negative integer flag value (bank totals). */
function parseNonNegativeInt(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value))
    throw new InvalidArgumentError(`expected a non-negative integer; got "${text}"`);
  return value;
}

const round = (ms: number): number => Math.round(ms * 100) / 100;

/** list-append and rw-register: the Elle-style isolation checkers. */
function checkTxnFile(
  file: string,
  flags: CheckFlags,
  imported: Awaited<ReturnType<typeof importHistoryFile>>,
  modelName: (typeof TXN_MODELS)[number],
  parseMs: number,
): CheckFileReport {
  const options = {
    ...(flags.consistencyModels ? { consistencyModels: flags.consistencyModels } : {}),
    ...(flags.anomalies ? { anomalies: flags.anomalies } : {}),
    ...(flags.cycleSearchBudget ? { cycleSearchBudgetMs: flags.cycleSearchBudget } : {}),
  };
  let result: TxnCheckResult;
  try {
    const checker =
      modelName === "list-append"
        ? listAppend(options)
        : rwRegister({ ...options, ...(flags.assume ? { assume: flags.assume } : {}) });
    result = checker.check(imported.ops, {
      timeLimitMs: flags.timeLimit ?? DEFAULT_TIME_LIMIT_MS,
      realTimeKnown: imported.timesKnown,
    });
  } catch (error) {
    // A micro-op of the wrong shape names its op: bad input, exit 64.
    if (error instanceof UsageError)
      return errorReport(file, new UsageError(`does not fit the ${modelName} model: ${error.message}`, file));
    throw error;
  }
  return {
    file,
    valid: result.valid,
    model: modelName,
    format: imported.format,
    ops: imported.ops.length,
    parseMs: round(parseMs),
    checkMs: round(result.stats.checkMs),
    peakMemoryBytes: peakRss(),
    ...(result.explanation ? { explanation: result.explanation } : {}),
    anomalyTypes: result.anomalyTypes,
    not: result.not,
    alsoNot: result.alsoNot,
    anomalies: result.anomalies,
    allowedAnomalyTypes: result.allowedAnomalyTypes,
    allowedAnomalies: result.allowedAnomalies,
    notByAnomaly: result.notByAnomaly,
    ...(result.notes.length > 0 ? { notes: result.notes } : {}),
    ...(imported.warnings.length > 0 ? { warnings: imported.warnings } : {}),
  };
}

function printReport(
  report: CheckFileReport,
  rawStdout: (text: string) => void,
  rawStderr: (text: string) => void,
): void {
  // File names, keys, values and errors come from the history: a crafted one must not drive the terminal.
  const stdout = (text: string) => rawStdout(`${escapeTerminal(text.replace(/\n$/, ""))}\n`);
  const stderr = (text: string) => rawStderr(`${escapeTerminal(text.replace(/\n$/, ""))}\n`);
  if (report.valid === "error") {
    stderr(`${report.error}\n`);
    return;
  }
  const verdict = report.valid === true ? "valid" : report.valid === false ? "INVALID" : "unknown";
  stdout(
    `${report.file}: ${verdict} (${report.model}, ${report.ops} ops, parse ${report.parseMs} ms, check ${report.checkMs} ms)\n`,
  );
  for (const warning of report.warnings ?? []) stdout(`  warning: ${warning}\n`);
  if (report.reportError) stderr(`error: ${report.reportError}\n`);
  if (report.anomalyTypes) {
    printTxnReport(report, stdout);
    return;
  }
  if (report.explanation) stdout(`  ${report.explanation}\n`);
  const example = report.counterexample;
  if (example) {
    for (const index of [...example.stuck, ...example.related].slice(0, 12)) {
      const words = example.ops[index];
      if (words) stdout(`    ${words}\n`);
    }
  }
}

/** Transactional verdicts: the anomalies (a few of each, in words), the models ruled out, the notes. */
function printTxnReport(report: CheckFileReport, stdout: (text: string) => void): void {
  if (report.anomalyTypes!.length > 0) {
    stdout(`  anomalies: ${report.anomalyTypes!.join(", ")}\n`);
    stdout(
      `  not: ${report.not!.join(", ")}${report.alsoNot!.length > 0 ? `; also not: ${report.alsoNot!.join(", ")}` : ""}\n`,
    );
    for (const type of report.anomalyTypes!) {
      const found = report.anomalies?.[type] ?? [];
      for (const anomaly of found.slice(0, 3)) stdout(`    ${type}: ${anomaly.explanation}\n`);
      if (found.length > 3) stdout(`    ... and ${found.length - 3} more ${type}\n`);
    }
  } else if (report.explanation) stdout(`  ${report.explanation}\n`);
  // What the models allow is reported too (as Elle does), with the models each rules out.
  for (const type of report.allowedAnomalyTypes ?? []) {
    const not = report.notByAnomaly?.[type] ?? [];
    const found = report.allowedAnomalies?.[type] ?? [];
    stdout(`  allowed: ${type}${not.length > 0 ? ` (not ${not.join(", ")})` : ""}, ${found.length} found\n`);
    if (found[0]) stdout(`    ${type}: ${found[0].explanation}\n`);
  }
  for (const note of report.notes ?? []) stdout(`  note: ${note}\n`);
}

/** The HTML report: the report module renders a bare history with this check's result. */
async function writeReport(
  out: string,
  file: string,
  several: boolean,
  imported: Awaited<ReturnType<typeof importHistoryFile>>,
  result: CheckResult,
  report: CheckFileReport,
  modelName: string,
  intervals?: { intervals: readonly Interval[]; originNs: bigint },
): Promise<void> {
  const target = several
    ? `${out.replace(/\.html?$/, "")}-${basename(file).replace(/[^\w.-]+/g, "_")}.html`
    : out;
  // Loaded only when asked for, so `check` works while the report module changes.
  const html = (await import("../report/html.js")) as typeof import("../report/html.js");
  const page = html.renderReport({
    test: undefined,
    history: imported.ops,
    warnings: imported.warnings,
    ...(intervals && { intervals: intervals.intervals }),
    results: {
      valid: result.valid,
      checkers: {
        [isHistoryCheckerName(modelName) || isIntervalModel(modelName)
          ? modelName
          : `linearizable(${modelName})`]: { ...result },
      },
      complete: true,
      stats: summarize(imported.ops),
      notes: [`checked with crucible check --model ${modelName} (${report.checkMs} ms)`],
      ...(intervals && { intervalOriginNs: String(intervals.originNs) }),
    },
  });
  const temporary = `${target}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, page);
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => {});
    throw new OutputError(target, error);
  }
}

/**
 * The origin of an interval log: `--origin`, else `intervalOriginNs` from the
 * `results.json` beside the log (a Crucible run folder), else a usage error:
 * without it the log's monotonic times cannot be put on the history's axis.
 */
async function intervalOrigin(flags: CheckFlags, logPath: string): Promise<bigint> {
  if (flags.origin !== undefined) return flags.origin;
  const resultsPath = join(dirname(logPath), "results.json");
  let text: string | undefined;
  try {
    text = await readFile(resultsPath, "utf8");
  } catch {
    text = undefined;
  }
  let stored: unknown;
  try {
    stored =
      text === undefined ? undefined : (JSON.parse(text) as { intervalOriginNs?: unknown }).intervalOriginNs;
  } catch {
    stored = undefined;
  }
  if (typeof stored === "string" && /^\d{1,20}$/.test(stored)) return BigInt(stored);
  throw new UsageError(
    `no origin for the interval log: pass --origin <ns> (the run's CLOCK_MONOTONIC origin, results.json's intervalOriginNs); ${resultsPath} ${text === undefined ? "does not exist" : "has no intervalOriginNs"}`,
    logPath,
  );
}

/** bounded-concurrency: the interval log judged with the history's faults (its loss events, kills and exits). */
async function checkIntervalFile(
  file: string,
  flags: CheckFlags,
  several: boolean,
  imported: Awaited<ReturnType<typeof importHistoryFile>>,
  modelName: (typeof INTERVAL_MODELS)[number],
  parseMs: number,
): Promise<CheckFileReport> {
  if (flags.intervals === undefined)
    return errorReport(
      file,
      new UsageError(`--model ${modelName} judges an interval log; expected --intervals <file>`, file),
    );
  if (several)
    return errorReport(
      file,
      new UsageError("--intervals goes with one history; expected one history file, not several", file),
    );
  if (flags.lossWindow === undefined)
    return errorReport(
      file,
      new UsageError(
        `--model ${modelName} needs --loss-window <duration> (how long an overlap may last after a loss event is healed: the lease TTL plus kill-after)`,
        file,
      ),
    );
  const warnings = [...imported.warnings];
  let intervals: Interval[];
  let originNs: bigint;
  const started = performance.now();
  try {
    originNs = await intervalOrigin(flags, flags.intervals);
    intervals = readIntervalLog(flags.intervals, {
      originNs,
      onWarning: (warning) => warnings.push(warning),
    });
  } catch (error) {
    if (error instanceof UsageError) return errorReport(flags.intervals, error);
    if ((error as NodeJS.ErrnoException).code === "ENOENT")
      return errorReport(flags.intervals, new UsageError("no such file", flags.intervals));
    throw error;
  }
  const result = checkBoundedConcurrency(intervals, imported.ops, {
    limit: flags.limit ?? 1,
    lossWindowMs: flags.lossWindow,
  });
  const report: CheckFileReport = {
    file,
    valid: result.valid,
    model: modelName,
    format: imported.format,
    ops: imported.ops.length,
    parseMs: round(parseMs),
    checkMs: round(performance.now() - started),
    peakMemoryBytes: peakRss(),
    ...(result.explanation ? { explanation: result.explanation } : {}),
    result,
    ...(warnings.length > 0 ? { warnings } : {}),
  };
  if (flags.report) {
    try {
      await writeReport(flags.report, file, several, imported, result, report, modelName, {
        intervals,
        originNs,
      });
    } catch (error) {
      report.reportError = describeError(error);
    }
  }
  return report;
}
