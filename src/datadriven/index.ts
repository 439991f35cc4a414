/**
 * Datadriven tests: golden files in cockroachdb/datadriven's format, run
 * against a handler that turns each directive into output.
 *
 * ```
 * # testdata/counter
 * inc n=2
 * ----
 * 2
 * ```
 *
 * ```ts
 * await runDataDriven("testdata/counter", (d) => {
 *   if (d.cmd === "inc") return String((count += d.intArg("n", 1)));
 *   throw d.error(`unknown directive ${d.cmd}`);
 * });
 * ```
 *
 * Expected outputs are regenerated with `CRUCIBLE_REWRITE=1` (or
 * `crucible datadriven --rewrite`). Framework adapters live beside this
 * module: `vitest.ts` (`describeDataDriven`) and `node-test.ts`
 * (`testDataDriven`, `nodeTestStep`); they are not re-exported here so that
 * importing the engine never loads a test framework.
 */
// The ready-made cluster directives (the handler of `crucible datadriven --target`), to use or to extend.
export {
  ClusterHarness,
  clusterDirectives,
  formatDatum,
  makeClusterHandler,
  SQL_DIRECTIVE_NAMES,
  SqlHarness,
  type SqlHarnessOptions,
  splitStatements,
  sqlDirectives,
} from "./cluster-handler.js";
export { type UnifiedDiffOptions, unifiedDiff } from "./diff.js";
export {
  type ArgKind,
  type ArgValue,
  Directive,
  type DirectiveContext,
  type DirectiveInit,
  parseGoDurationMs,
} from "./directive.js";
export { type DirectiveTable, genericDirectives, retryDirective, tableHandler } from "./generic.js";
export { type CmdArg, formatCmdArg, type ParsedLine, parseDirectiveLine } from "./line-parser.js";
export {
  type DataDrivenFile,
  type DirectiveEntry,
  type Entry,
  MAX_FILE_BYTES,
  type OutputForm,
  type ParseOptions,
  parseDataDriven,
  type SubtestEntry,
} from "./parser.js";
export { MAX_RETRY_ATTEMPTS, type RetryOptions, type RetryOutcome, retry } from "./retry.js";
export {
  DataDrivenError,
  DataDrivenFileRun,
  type DataDrivenOptions,
  DirectiveFailure,
  type DirectiveHandler,
  type DirectiveResult,
  type DirectiveStatus,
  type FileContext,
  type FileHandler,
  type FileResult,
  type FileStatus,
  failureMessages,
  type HandlerFactory,
  type HandlerSource,
  listDataDrivenFiles,
  loadDataDriven,
  perFile,
  REWRITE_ENV,
  rewriteFromEnv,
  runDataDriven,
  type StepRunner,
  TEMP_MARKER,
  walkDataDriven,
} from "./run.js";
export {
  formatOutputBlock,
  needsDoubleSeparator,
  normalizeOutput,
  rewriteDataDriven,
  writeDataDriven,
} from "./writer.js";
