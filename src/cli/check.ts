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
 */
import { readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, extname, join } from "node:path";
import type { Command } from "commander";
import {
  checkLinearizableParallel,
  DEFAULT_TIME_LIMIT_MS,
  type LinearizabilityResult,
} from "../checker/linearizable/index.js";
import { modelByName, modelNames } from "../checker/models/index.js";
import type { Validity } from "../checker/types.js";
import { describeError, ExitCode, type ExitCodeValue, OutputError, UsageError } from "../errors/index.js";
import { summarize } from "../history/analysis.js";
import { type HistoryFormat, historyFormats, importHistoryFile } from "../history/import/index.js";
import { escapeTerminal } from "../report/escape.js";
import { cliErrorMessage } from "./errors.js";
import { choiceParser, parseDurationMs } from "./options.js";

export interface CheckFlags {
  /** Model name; default: the one the format suggests (etcd → cas-register, kv → porcupine-kv), else required. */
  model?: string;
  format: HistoryFormat | "auto";
  /** Time budget per file, ms. Default 5 minutes. */
  timeLimit?: number;
  json?: boolean;
  report?: string;
  /** Check per key (default) or as one partition (`--no-partition`, for measuring). */
  partition?: boolean;
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
    .description("check recorded histories for linearizability (Crucible jsonl, Jepsen EDN, Porcupine logs)")
    .argument("<files...>", "history files, or directories (searched recursively)")
    .option("--model <model>", `model: ${modelNames.join(", ")}`, choiceParser(modelNames))
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
    imported = await importHistoryFile(file, { format: flags.format });
  } catch (error) {
    if (error instanceof UsageError) return errorReport(file, error);
    throw error;
  }
  const parseMs = performance.now() - parseStarted;
  const modelName = flags.model ?? imported.suggestedModel;
  if (!modelName) {
    return errorReport(file, new UsageError(`which model? pass --model (${modelNames.join(", ")})`, file));
  }
  const model = modelByName(modelName)!;
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

const round = (ms: number): number => Math.round(ms * 100) / 100;

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
  if (report.explanation) stdout(`  ${report.explanation}\n`);
  const example = report.counterexample;
  if (example) {
    for (const index of [...example.stuck, ...example.related].slice(0, 12)) {
      const words = example.ops[index];
      if (words) stdout(`    ${words}\n`);
    }
  }
}

/** The HTML report: the report module renders a bare history with this check's result. */
async function writeReport(
  out: string,
  file: string,
  several: boolean,
  imported: Awaited<ReturnType<typeof importHistoryFile>>,
  result: LinearizabilityResult,
  report: CheckFileReport,
  modelName: string,
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
    results: {
      valid: result.valid,
      checkers: { [`linearizable(${modelName})`]: { ...result } },
      complete: true,
      stats: summarize(imported.ops),
      notes: [`checked with crucible check --model ${modelName} (${report.checkMs} ms)`],
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
