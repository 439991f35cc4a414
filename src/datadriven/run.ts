/**
 * The datadriven engine: run a handler over the directives of a file (or
 * every file under a folder), compare each output with the expected one,
 * and report mismatches as a unified diff at `file:line`, or, in rewrite
 * mode, write the actual outputs back into the file.
 *
 * It knows no test framework. A run is a sequence of *steps* (one per
 * directive, nested per subtest and per file), and an optional `step`
 * callback lets an adapter map each to a framework's subtest (node:test's
 * `t.test`); see `vitest.ts` and `node-test.ts`.
 *
 * Rewrite mode: pass `{ rewrite: true }`, or set the environment variable
 * `CRUCIBLE_REWRITE=1` (the test-runner equivalent of Go's `-rewrite` flag
 * and of `crucible datadriven --rewrite`). A file is rewritten only if every
 * directive ran without error, and only when some output changed.
 *
 * As in Go, the first failing directive stops its file (later directives
 * usually depend on the state it should have left), and each file gets a
 * fresh handler when the handler is given per file (`perFile`).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describeError, invariant, UsageError } from "../errors/index.js";
import { unifiedDiff } from "./diff.js";
import type { Directive, DirectiveContext } from "./directive.js";
import type { CmdArg } from "./line-parser.js";
import { type DataDrivenFile, type DirectiveEntry, type Entry, parseDataDriven } from "./parser.js";
import { normalizeOutput } from "./text.js";
import { rewriteDataDriven } from "./writer.js";

/** Turns one directive into its actual output. */
export type DirectiveHandler = (d: Directive) => string | Promise<string>;

/** A handler made for one file, and how to release what it started (a cluster, a connection). */
export interface FileHandler {
  handler: DirectiveHandler;
  close?: () => void | Promise<void>;
}

/** What a per-file factory may use: the file's rewrite flag and temp dir. */
export interface FileContext {
  readonly path: string;
  readonly rewrite: boolean;
  tempDir(): string;
}

export type HandlerFactory = (file: string, context: FileContext) => FileHandler | Promise<FileHandler>;

/** A handler shared by every file, or a factory called once per file (fresh state per file). */
export type HandlerSource = DirectiveHandler | { readonly perFile: HandlerFactory };

/** Build a `HandlerSource` that makes a fresh handler for each file. */
export function perFile(factory: HandlerFactory): { readonly perFile: HandlerFactory } {
  return { perFile: factory };
}

/**
 * Runs one named step. `run` receives the step runner to use for nested
 * steps. The default runs `run` directly; a framework adapter wraps it in a
 * subtest. Errors `run` throws are the engine's own failure reports.
 */
export type StepRunner = (name: string, run: (inner: StepRunner) => Promise<void>) => Promise<unknown>;

export interface DataDrivenOptions {
  /** Regenerate expected outputs in place; default: true when env `CRUCIBLE_REWRITE` is `1` or `true`. */
  rewrite?: boolean;
  /** Throw a `DataDrivenError` when a file fails (mismatch, error, parse error); default true. */
  throwOnFailure?: boolean;
  /** Wrap each file, subtest and directive in a framework step; default: run inline. */
  step?: StepRunner;
  /** Called after each directive, e.g. to print progress. */
  onResult?: (result: DirectiveResult) => void;
  /** Stop starting directives once aborted; the remaining ones are reported skipped. */
  signal?: AbortSignal;
}

/** The environment variable that turns rewrite mode on for the test-runner API. */
export const REWRITE_ENV = "CRUCIBLE_REWRITE";

/** Rewrite mode as the environment asks for it (`CRUCIBLE_REWRITE=1`). */
export function rewriteFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env[REWRITE_ENV]?.trim().toLowerCase();
  return value === "1" || value === "true" || value === "yes";
}

export type DirectiveStatus = "pass" | "mismatch" | "error" | "skipped";

export interface DirectiveResult {
  readonly entry: DirectiveEntry;
  readonly status: DirectiveStatus;
  /** The output as compared and written (final newline added, temp dir shown as `<TEMP>`). */
  readonly actual?: string;
  /** For a mismatch: `--- expected` / `+++ actual` unified diff. */
  readonly diff?: string;
  /** For an error: what the handler threw. */
  readonly error?: unknown;
  /** For a mismatch or error: the full report, starting with `file:line`. */
  readonly message?: string;
  /** In rewrite mode: the output differs from the expected, so the file will change. */
  readonly changed: boolean;
}

export type FileStatus = "pass" | "fail" | "invalid";

export interface FileResult {
  readonly path: string;
  /** `invalid`: the file could not be read or parsed (`error` says why); `fail`: a directive failed. */
  readonly status: FileStatus;
  readonly results: readonly DirectiveResult[];
  /** The parse or read error of an invalid file. */
  readonly error?: UsageError;
  /** True when rewrite mode wrote new outputs into the file. */
  readonly rewritten: boolean;
}

/** Thrown by `runDataDriven`/`walkDataDriven` when something failed; `message` holds every report. */
export class DataDrivenError extends Error {
  readonly files: readonly FileResult[];
  constructor(files: readonly FileResult[]) {
    super(files.flatMap(failureMessages).join("\n\n"));
    this.name = "DataDrivenError";
    this.files = files;
  }
}

/** The reports of a file's failures (parse error, mismatches with diffs, handler errors). */
export function failureMessages(file: FileResult): string[] {
  if (file.error !== undefined) return [file.error.message];
  return file.results.flatMap((result) => (result.message === undefined ? [] : [result.message]));
}

/**
 * Run one datadriven file. Resolves to the file's result; throws a
 * `DataDrivenError` on failure unless `throwOnFailure` is false.
 */
export async function runDataDriven(
  path: string,
  handler: HandlerSource,
  options: DataDrivenOptions = {},
): Promise<FileResult> {
  const result = await executeFile(path, handler, options, options.step ?? inlineStep);
  if (result.status !== "pass" && (options.throwOnFailure ?? true)) throw new DataDrivenError([result]);
  return result;
}

/**
 * Run every datadriven file under `dir` (recursively, in name order; hidden
 * and editor temp files — `.x`, `x~`, `#x#` — skipped), one step per file.
 * `dir` may also be a single file.
 */
export async function walkDataDriven(
  dir: string,
  handler: HandlerSource,
  options: DataDrivenOptions = {},
): Promise<FileResult[]> {
  const step = options.step ?? inlineStep;
  const files = await listDataDrivenFiles(dir);
  const results: FileResult[] = [];
  for (const file of files) {
    const name = relative(dir, file) || file;
    await runStep(step, name, async (inner) => {
      const result = await executeFile(file, handler, options, inner);
      results.push(result);
      if (result.status !== "pass") throw new DataDrivenError([result]);
    });
  }
  const failed = results.filter((result) => result.status !== "pass");
  if (failed.length > 0 && (options.throwOnFailure ?? true)) throw new DataDrivenError(failed);
  return results;
}

/** Editor temp and hidden files, skipped by the walk (Go's rule). */
export const SKIPPED_FILE = /(^\..*)|(.*~$)|(^#.*#$)/;

/** The files `walkDataDriven` runs for `path`: the path itself if a file, else its files recursively, sorted. */
export async function listDataDrivenFiles(path: string, maxFiles = 10_000): Promise<string[]> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot read datadriven path: ${error.code ?? error.message}`, path);
  });
  if (!info.isDirectory()) return [path];
  const files: string[] = [];
  const visit = async (dir: string): Promise<void> => {
    const names = (await readdir(dir)).sort();
    for (const name of names) {
      if (SKIPPED_FILE.test(name)) continue;
      const full = join(dir, name);
      if ((await stat(full)).isDirectory()) await visit(full);
      else files.push(full);
      if (files.length > maxFiles) throw new UsageError(`more than ${maxFiles} files under the folder`, path);
    }
  };
  await visit(path);
  return files;
}

/** Read and parse a file; a missing file or malformed content is a `UsageError`. */
export async function loadDataDriven(path: string): Promise<DataDrivenFile> {
  let source: string;
  try {
    source = await readFile(path, "utf8");
  } catch (error) {
    throw new UsageError(
      `cannot read datadriven file: ${(error as NodeJS.ErrnoException).code ?? error}`,
      path,
    );
  }
  return parseDataDriven(source, { path });
}

async function executeFile(
  path: string,
  handler: HandlerSource,
  options: DataDrivenOptions,
  step: StepRunner,
): Promise<FileResult> {
  let file: DataDrivenFile;
  try {
    file = await loadDataDriven(path);
  } catch (error) {
    if (error instanceof UsageError) return { path, status: "invalid", results: [], error, rewritten: false };
    throw error;
  }
  const run = await DataDrivenFileRun.open(file, handler, options);
  try {
    await runEntries(run, file.entries, step);
  } finally {
    await run.close();
  }
  return run.result();
}

async function runEntries(
  run: DataDrivenFileRun,
  entries: readonly Entry[],
  step: StepRunner,
): Promise<void> {
  for (const entry of entries) {
    if (entry.kind === "subtest") {
      const name = entry.name.slice(entry.name.lastIndexOf("/") + 1);
      await runStep(step, name, (inner) => runEntries(run, entry.entries, inner));
      continue;
    }
    if (run.stopped) {
      run.skip(entry);
      continue;
    }
    await runStep(step, directiveStepName(entry), async () => {
      const result = await run.runDirective(entry);
      if (result.status === "mismatch" || result.status === "error") throw new DirectiveFailure(result);
    });
  }
}

/** The name a directive's step gets: `line 12: put key=a`. */
export function directiveStepName(entry: DirectiveEntry): string {
  return `line ${entry.directive.line}: ${entry.directive.title}`;
}

/** A directive's failure, thrown inside its step so a framework marks that step failed. */
export class DirectiveFailure extends Error {
  readonly result: DirectiveResult;
  constructor(result: DirectiveResult) {
    super(result.message ?? `${result.entry.directive.pos}: ${result.status}`);
    this.name = "DirectiveFailure";
    this.result = result;
  }
}

const inlineStep: StepRunner = async (_name, run) => run(inlineStep);

/** Run a step; the engine's own failure reports are already recorded, so they do not propagate further. */
async function runStep(
  step: StepRunner,
  name: string,
  run: (inner: StepRunner) => Promise<void>,
): Promise<void> {
  try {
    await step(name, run);
  } catch (error) {
    if (error instanceof DirectiveFailure || error instanceof DataDrivenError) return;
    throw error;
  }
}

/**
 * One file being run: the handler, the temp dir, the results so far and the
 * outputs a rewrite will write. Adapters that register one framework test
 * per directive (vitest) drive it directly: `open`, `runDirective` in file
 * order, `close`.
 */
export class DataDrivenFileRun {
  readonly file: DataDrivenFile;
  readonly rewrite: boolean;
  private readonly handler: DirectiveHandler;
  private readonly closeHandler: (() => void | Promise<void>) | undefined;
  private readonly options: DataDrivenOptions;
  private readonly results = new Map<DirectiveEntry, DirectiveResult>();
  private readonly context: Ctx;
  private failed = false;
  private closed = false;
  private wrote = false;

  private constructor(
    file: DataDrivenFile,
    fileHandler: FileHandler,
    options: DataDrivenOptions,
    context: Ctx,
  ) {
    this.file = file;
    this.handler = fileHandler.handler;
    this.closeHandler = fileHandler.close;
    this.options = options;
    this.rewrite = context.rewrite;
    this.context = context;
  }

  /** Start running `file`: resolve the handler (calling a per-file factory). */
  static async open(
    file: DataDrivenFile,
    source: HandlerSource,
    options: DataDrivenOptions = {},
  ): Promise<DataDrivenFileRun> {
    const context = new Ctx(file.path, options.rewrite ?? rewriteFromEnv());
    let fileHandler: FileHandler;
    try {
      fileHandler =
        typeof source === "function" ? { handler: source } : await source.perFile(file.path, context);
    } catch (error) {
      context.removeTempDir();
      throw error;
    }
    return new DataDrivenFileRun(file, fileHandler, options, context);
  }

  /** True once a directive failed (later ones are skipped) or the signal aborted. */
  get stopped(): boolean {
    return this.failed || (this.options.signal?.aborted ?? false);
  }

  /** Run one directive (in file order), compare, record. */
  async runDirective(entry: DirectiveEntry): Promise<DirectiveResult> {
    invariant(!this.closed, "DataDrivenFileRun: runDirective after close");
    if (this.stopped) return this.skip(entry);
    const d = this.prepare(entry.directive);
    let result: DirectiveResult;
    try {
      const actual = this.context.presentOutput(await this.handler(d));
      const changed = actual !== d.expected;
      if (!changed || this.rewrite) result = { entry, status: "pass", actual, changed };
      else {
        const diff = unifiedDiff(d.expected, actual);
        result = {
          entry,
          status: "mismatch",
          actual,
          diff,
          changed,
          message:
            `${d.pos}: output of \`${d.title}\` does not match the expected output\n${diff}` +
            `(to accept the actual output, rerun with ${REWRITE_ENV}=1 or \`crucible datadriven --rewrite\`)`,
        };
      }
    } catch (error) {
      const message =
        error instanceof UsageError && error.where !== undefined
          ? error.message
          : `${d.pos}: \`${d.title}\` failed: ${error instanceof Error ? (error.stack ?? error.message) : describeError(error)}`;
      result = { entry, status: "error", error, message, changed: false };
    }
    if (result.status !== "pass") this.failed = true;
    return this.record(result);
  }

  /** Record `entry` as not run. */
  skip(entry: DirectiveEntry): DirectiveResult {
    return this.record({ entry, status: "skipped", changed: false });
  }

  /**
   * Finish: in rewrite mode write the new outputs (only if nothing failed
   * and something changed), remove the temp dir, close the handler. Safe to
   * call twice.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.rewrite && !this.failed) {
        const outputs = new Map<DirectiveEntry, string>();
        for (const [entry, result] of this.results)
          if (result.actual !== undefined) outputs.set(entry, result.actual);
        const anyChanged = [...this.results.values()].some((result) => result.changed);
        if (anyChanged) {
          await writeFile(this.file.path, rewriteDataDriven(this.file, outputs));
          this.wrote = true;
        }
      }
    } finally {
      try {
        await this.closeHandler?.();
      } finally {
        this.context.removeTempDir();
      }
    }
  }

  /** The file's result so far (complete after `close`). */
  result(): FileResult {
    const results = this.file.directives.map(
      (entry) => this.results.get(entry) ?? { entry, status: "skipped" as const, changed: false },
    );
    const failed = results.some((result) => result.status === "mismatch" || result.status === "error");
    return { path: this.file.path, status: failed ? "fail" : "pass", results, rewritten: this.wrote };
  }

  private record(result: DirectiveResult): DirectiveResult {
    this.results.set(result.entry, result);
    this.options.onResult?.(result);
    return result;
  }

  /** The directive the handler sees: `<TEMP>` replaced by the temp dir in input and arguments. */
  private prepare(directive: Directive): Directive {
    const withTemp = (text: string): string =>
      text.includes(TEMP_MARKER) ? text.replaceAll(TEMP_MARKER, this.context.tempDir()) : text;
    const args: CmdArg[] = directive.args.map((arg) => ({ key: arg.key, vals: arg.vals.map(withTemp) }));
    return directive.with({ input: withTemp(directive.input), args, context: this.context });
  }
}

/** The placeholder for the per-file temp dir in inputs, arguments and outputs. */
export const TEMP_MARKER = "<TEMP>";

/** The per-file context: lazily created temp dir and output presentation. */
class Ctx implements DirectiveContext, FileContext {
  readonly path: string;
  readonly rewrite: boolean;
  private dir: string | undefined;

  constructor(path: string, rewrite: boolean) {
    this.path = path;
    this.rewrite = rewrite;
  }

  tempDir(): string {
    this.dir ??= mkdtempSync(join(tmpdir(), "crucible-datadriven-"));
    return this.dir;
  }

  presentOutput(output: string): string {
    const normalized = normalizeOutput(output);
    return this.dir === undefined ? normalized : normalized.replaceAll(this.dir, TEMP_MARKER);
  }

  removeTempDir(): void {
    if (this.dir !== undefined) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }
}
