/**
 * `runTest`: one test run end to end, with its store folder. The library
 * entry point behind `crucible run` (which adds flag parsing, test-file
 * loading and the console display).
 */

import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HostError } from "../cluster/ssh.js";
import { describeError, OutputError, UsageError } from "../errors/index.js";
import { crucibleVersion } from "../errors/version.js";
import type { Op } from "../history/op.js";
import type { Results, TestInfo } from "../history/results.js";
import { writeRunReport } from "../report/index.js";
import { createRunDir, updateLatestLink, writeJsonFile } from "../store/store.js";
import { type Progress, Runner } from "./runner.js";
import { type RunOptions, resolveRun, type TestDefinition, type TestSpec } from "./spec.js";
import { declaredTestOptions, resolveTestOptions, validateTestOptionSpecs } from "./test-options.js";

export interface RunTestConfig {
  definition: TestDefinition;
  /** The test file the definition came from, for error messages. */
  source?: string;
  options: RunOptions;
  /** The command line that reproduces this run (stored in test.json, printed on failure). */
  reproduce?: string;
  argv?: readonly string[];
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** Called with the runner once it exists (for progress displays and external control). */
  onRunner?: (runner: Runner) => void;
  /** Write report.html and junit.xml (default true). */
  writeReports?: boolean;
  /**
   * How the main phase is driven: by default `runner.runMainPhase()` (until
   * the time limit). External control (the FIFO protocol) passes its own
   * loop of `runner.stepOne()` calls, ending when told to check.
   */
  driveMainPhase?: (runner: Runner) => Promise<void>;
}

export interface RunTestOutcome {
  results: Results;
  test: TestInfo;
  runDir: string;
  spec: TestSpec;
  /** Problems writing reports (never lose the results over a report). */
  reportErrors: string[];
  /** Problems writing results.json (a full or read-only store): the verdict is in `results` only. */
  storeErrors: string[];
  /** The history, in memory (also in `<runDir>/history.jsonl`). */
  history: readonly Op[];
}

export function makeTestInfo(
  spec: TestSpec,
  options: RunOptions,
  config: RunTestConfig,
  startedAt: Date,
): TestInfo {
  return {
    name: spec.name,
    seed: options.seed,
    startedAt: startedAt.toISOString(),
    reproduce: config.reproduce ?? `crucible run --seed ${options.seed}`,
    argv: config.argv ?? [],
    timeLimitMs: spec.timeLimitMs ?? options.timeLimitMs,
    opTimeoutMs: spec.opTimeoutMs ?? options.opTimeoutMs,
    concurrency: spec.concurrency ?? options.concurrency,
    nodes: options.nodes,
    cluster: undefined,
    nemesis: spec.nemesis?.kinds ?? [],
    versions: { crucible: crucibleVersion(), node: process.version },
    ...(spec.describe && { spec: spec.describe }),
    ...(options.test !== undefined &&
      Object.keys(options.test).length > 0 && { testOptions: { ...options.test } }),
  };
}

/**
 * The run options with every option the test declares set: the value given
 * (the CLI's flags, a caller's `options.test`) or its default. Declarations
 * are checked here too, so a test run from code gets the same errors as one
 * run from the CLI.
 */
export function withTestOptionDefaults(
  definition: TestDefinition,
  options: RunOptions,
  source: string | undefined,
): RunOptions {
  const declared = declaredTestOptions(definition);
  if (Object.keys(declared).length === 0) return options;
  validateTestOptionSpecs(declared, new Set(), source);
  return { ...options, test: resolveTestOptions(declared, options.test ?? {}) };
}

/** Write report.html and junit.xml; returns problems instead of throwing (a report never costs the results). */
export async function writeReports(runDir: string): Promise<string[]> {
  try {
    const { warnings } = await writeRunReport(runDir);
    return warnings.map((warning) => `report: ${warning}`);
  } catch (error) {
    return [`could not write the report: ${describeError(error)}`];
  }
}

export async function runTest(config: RunTestConfig): Promise<RunTestOutcome> {
  const log = config.log ?? (() => {});
  const withDefaults = withTestOptionDefaults(config.definition, config.options, config.source);
  const { spec, options } = await resolveRun(config.definition, withDefaults, config.source);
  const startedAt = new Date();
  const runDir = createRunDir(options.storeDir, spec.name, startedAt);
  const test = makeTestInfo(spec, options, config, startedAt);
  writeJsonFile(join(runDir, "test.json"), test);
  try {
    updateLatestLink(runDir);
  } catch (error) {
    // A convenience link: a store that cannot take it still records the run.
    log(`warning: could not update the latest link: ${describeError(error)}`);
  }
  log(`run folder: ${runDir}`);

  const runner = new Runner({ spec, options, runDir, ...(config.signal && { signal: config.signal }), log });
  config.onRunner?.(runner);
  let results: Results;
  let failure: unknown;
  try {
    await runner.start();
    if (runner.cluster) {
      test.cluster = {
        name: runner.cluster.name,
        variant: runner.cluster.variant,
        // What ran: TLS from --tls or from the test's own startCluster({ tls: true }).
        ...(runner.cluster.nodes.some((node) => node.meta.tls !== undefined) && { tls: true }),
      };
      // What ran, not what was asked: a cluster() may start another size than options.nodes.
      test.nodes = runner.cluster.nodes.length;
      writeJsonFile(join(runDir, "test.json"), test);
    }
    await (config.driveMainPhase ? config.driveMainPhase(runner) : runner.runMainPhase());
    await runner.runFinalPhase();
  } catch (error) {
    failure = error;
    log(
      `run failed: ${error instanceof UsageError || error instanceof OutputError || error instanceof HostError ? error.message : error instanceof Error && error.stack ? error.stack : describeError(error)}`,
    );
  } finally {
    await runner.teardown();
  }
  results = await runner.check();
  if (failure !== undefined) {
    // A run that failed has not earned `valid`: an anomaly found before the failure stands.
    results = {
      ...results,
      valid: results.valid === true ? "unknown" : results.valid,
      complete: false,
      error: `the run failed: ${describeError(failure)}`,
    };
  }
  // The verdict exists now: a store that cannot take it (full, read-only) costs the file, not the verdict.
  const storeErrors: string[] = [];
  try {
    writeJsonFile(join(runDir, "results.json"), results);
  } catch (error) {
    storeErrors.push(describeError(error));
  }
  const reportErrors = config.writeReports === false ? [] : await writeReports(runDir);
  if (reportErrors.length) {
    try {
      writeFileSync(join(runDir, "report-errors.txt"), `${reportErrors.join("\n")}\n`);
    } catch (error) {
      rmSync(join(runDir, "report-errors.txt"), { force: true });
      reportErrors.push(describeError(new OutputError(join(runDir, "report-errors.txt"), error)));
    }
  }
  // The test itself is wrong (a generator that gives 42, a cluster() that returns no cluster): the
  // results are written, and the user is told what to fix in which file, as for any bad input.
  if (failure instanceof UsageError)
    throw new UsageError(failure.detail, failure.where ?? config.source, {
      cause: failure,
      ...(failure.setting && { setting: failure.setting }),
    });
  return { results, test, runDir, spec, reportErrors, storeErrors, history: runner.history };
}

export type { Progress };
