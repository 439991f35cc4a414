/**
 * `writeRunReport(runDir)`: turn a stored run folder into its report files.
 * Reads `test.json`, `results.json`, `history.jsonl` and, when there is one,
 * `intervals.jsonl` (placed by `results.json`'s `intervalOriginNs`); writes `report.html`
 * and `junit.xml` beside them (each through a temp file and a rename, so a
 * reader never sees half a report). The runner calls it at the end of a run;
 * `crucible report <run-dir>` calls it to regenerate.
 */
import { readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { describeError, OutputError, UsageError } from "../errors/index.js";
import { summarize } from "../history/analysis.js";
import { type Interval, parseIntervalLog } from "../history/intervals.js";
import { readHistoryFile } from "../history/reader.js";
import type { Results, TestInfo } from "../history/results.js";
import { renderReport } from "./html.js";
import { renderJunit } from "./junit.js";
import type { ReportFile } from "./model.js";

export interface RunReportPaths {
  reportPath: string;
  junitPath: string;
  /** Things a person should know: a torn last line, a missing test.json. */
  warnings: string[];
}

/** Node log files linked from a report, at most (a big cluster's logs are listed, not all of them linked). */
const LOG_FILES_MAX = 200;

async function readJson<T>(path: string, what: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new UsageError(`not valid JSON (${describeError(error)}); expected ${what}`, path);
  }
}

/** Log files under `nodes/`, two levels deep at most (`nodes/n1.log`, `nodes/n1/etcd.log`). */
async function nodeLogs(runDir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name, "en", { numeric: true }));
    for (const entry of entries) {
      if (found.length >= LOG_FILES_MAX) return;
      const path = join(dir, entry.name);
      if (entry.isDirectory() && depth < 2) await walk(path, depth + 1);
      else if (entry.isFile()) found.push(relative(runDir, path).split(sep).join("/"));
    }
  };
  await walk(join(runDir, "nodes"), 1);
  return found;
}

/** Links to the run's raw files, relative to report.html; hrefs are URL-encoded per segment. */
async function rawFiles(runDir: string): Promise<ReportFile[]> {
  const names = ["history.jsonl", "results.json", "test.json", "junit.xml", "intervals.jsonl"];
  const present: string[] = [];
  for (const name of names) {
    if (name === "junit.xml")
      present.push(name); // written next to the report, below
    else if (
      await stat(join(runDir, name)).then(
        () => true,
        () => false,
      )
    )
      present.push(name);
  }
  present.push(...(await nodeLogs(runDir)));
  return present.map((name) => ({ name, href: name.split("/").map(encodeURIComponent).join("/") }));
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temp, text);
    await rename(temp, path);
  } catch (error) {
    // No space for the report, or a path that cannot be a file: no *.tmp left behind, the path named.
    await rm(temp, { force: true }).catch(() => {});
    throw new OutputError(path, error);
  }
}

/**
 * The run's `intervals.jsonl` on the history's time axis, shifted by
 * `results.json`'s `intervalOriginNs`; undefined when there is no log. A log
 * without a stored origin (a run from before it was stored) cannot be placed
 * on the axis: the report says so and draws no holds rather than guess.
 */
async function readIntervals(
  runDir: string,
  results: Results,
  warnings: string[],
): Promise<readonly Interval[] | undefined> {
  const path = join(runDir, "intervals.jsonl");
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const origin = results.intervalOriginNs;
  if (origin === undefined || !/^\d{1,20}$/.test(origin)) {
    warnings.push(
      `${path}: not drawn: results.json has ${origin === undefined ? "no" : `a malformed (${JSON.stringify(origin)})`} \`intervalOriginNs\` (the run's CLOCK_MONOTONIC origin as a decimal string), so its holds cannot be placed on the history's time axis`,
    );
    return undefined;
  }
  return parseIntervalLog(text, path, {
    originNs: BigInt(origin),
    onWarning: (message) => warnings.push(message),
  });
}

/**
 * Write `report.html` and `junit.xml` into a run folder. Throws `UsageError`
 * when `results.json` or `history.jsonl` is missing or malformed; a missing
 * `test.json` only warns (the report then lacks seed and command).
 */
export async function writeRunReport(runDir: string): Promise<RunReportPaths> {
  const warnings: string[] = [];
  const folder = await stat(runDir).catch(() => undefined);
  if (!folder?.isDirectory())
    throw new UsageError("not a run folder (expected store/<test>/<timestamp>/)", runDir);
  const test = await readJson<TestInfo>(join(runDir, "test.json"), "the run's test.json");
  if (!test)
    warnings.push(`${join(runDir, "test.json")}: missing; the report has no seed or reproduce command`);
  const historyPath = join(runDir, "history.jsonl");
  if (!(await stat(historyPath).catch(() => undefined)))
    throw new UsageError("history.jsonl is missing", runDir);
  const history = await readHistoryFile(historyPath);
  warnings.push(...history.warnings);
  const stored = await readJson<Results>(join(runDir, "results.json"), "the run's results.json");
  let results: Results;
  if (stored) results = stored;
  else {
    // The runner died before checking (SIGKILL, power): report the history it recorded, unjudged.
    const check = `crucible check ${historyPath} --model <model>`;
    warnings.push(
      `${join(runDir, "results.json")}: missing (the run never reached its checkers); judge the history with \`${check}\``,
    );
    results = {
      valid: "unknown",
      checkers: {},
      complete: false,
      error: `the runner stopped before it checked the history (no results.json); \`${check}\` judges what was recorded`,
      stats: summarize(history.ops),
      notes: [],
    };
  }
  const intervals = await readIntervals(runDir, results, warnings);
  const files = await rawFiles(runDir);
  const reportPath = join(runDir, "report.html");
  const junitPath = join(runDir, "junit.xml");
  await writeAtomically(junitPath, renderJunit(test, results));
  await writeAtomically(
    reportPath,
    renderReport({
      test,
      results,
      history: history.ops,
      files,
      warnings,
      ...(intervals && { intervals }),
    }),
  );
  return { reportPath, junitPath, warnings };
}
