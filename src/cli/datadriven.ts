/**
 * `crucible datadriven <files or dirs...> [--rewrite] [--target ...] [--demo-mode ...]`:
 * run datadriven test files (cockroachdb/datadriven format) and print a
 * unified diff for every mismatch.
 *
 * Exit codes: 0 every directive matched (or, with `--rewrite`, the files
 * were brought up to date) · 1 a mismatch · 3 a directive crashed (not a
 * usage problem) · 64 a file that does not parse, an unknown directive or a
 * bad argument (the file is what needs fixing).
 *
 * Handlers: each file gets a fresh handler from `makeHandler(file, flags)`
 * (which starts the target cluster and closes it after the file). Without
 * one, the generic directives (`create-file`, `append-file`, `cat-file`,
 * `echo`, `retry`) run with no cluster, and any other directive is an error
 * that names it and lists the known ones.
 */
import type { Command } from "commander";
import type { ClusterHandlerOptions } from "../datadriven/cluster-handler.js";
import { genericDirectives, tableHandler } from "../datadriven/generic.js";
import {
  type DirectiveResult,
  type FileHandler,
  type FileResult,
  perFile,
  walkDataDriven,
} from "../datadriven/run.js";
import { ExitCode, type ExitCodeValue, UsageError } from "../errors/index.js";
import { cliErrorMessage } from "./errors.js";
import { choiceParser } from "./options.js";

export const DATADRIVEN_TARGETS = ["demo", "etcd", "redis", "postgres"] as const;

export interface DatadrivenFlags {
  /** Write actual outputs into the files instead of comparing. */
  rewrite: boolean;
  /** System the cluster directives drive; undefined when not given. */
  target?: string;
  /** Demo server mode (`linearizable`, `stale-reads`) when the target is the demo. */
  demoMode?: string;
}

export interface DatadrivenCommandOptions {
  /** Makes the handler for one file (starting what it drives) and how to close it. Default: generic directives only. */
  makeHandler?: (file: string, flags: DatadrivenFlags) => Promise<FileHandler>;
  /** Where reports go; default process stdout/stderr. */
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
}

export function registerDatadrivenCommand(program: Command, options: DatadrivenCommandOptions = {}): Command {
  return program
    .command("datadriven")
    .description("run datadriven test files (cockroachdb/datadriven format); print a diff for each mismatch")
    .argument("<paths...>", "files, or folders searched recursively")
    .option("--rewrite", "write the actual outputs into the files instead of comparing", false)
    .option(
      "--target <system>",
      `system the cluster directives drive: ${DATADRIVEN_TARGETS.join(", ")}`,
      choiceParser(DATADRIVEN_TARGETS),
    )
    .option("--demo-mode <mode>", "demo server mode", choiceParser(["linearizable", "stale-reads"]))
    .action(async (paths: string[], flags: DatadrivenFlags) => {
      process.exitCode = await runDatadrivenCommand(paths, flags, options);
    });
}

/** The command's work, without commander or process state: returns the exit code. */
export async function runDatadrivenCommand(
  paths: readonly string[],
  flags: DatadrivenFlags,
  options: DatadrivenCommandOptions = {},
): Promise<ExitCodeValue> {
  const stdout = options.stdout ?? ((text: string) => process.stdout.write(text));
  const stderr = options.stderr ?? ((text: string) => process.stderr.write(text));
  const makeHandler = options.makeHandler ?? (await clusterHandlerFactory()) ?? genericHandlerFactory;
  const source = perFile((file) => makeHandler(file, flags));

  const files: FileResult[] = [];
  let usageProblem = false;
  for (const path of paths) {
    let results: FileResult[];
    try {
      results = await walkDataDriven(path, source, {
        rewrite: flags.rewrite,
        throwOnFailure: false,
      });
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      stderr(`${cliErrorMessage(error)}\n`);
      usageProblem = true;
      continue;
    }
    for (const file of results) {
      files.push(file);
      report(file, flags, stdout, stderr);
    }
  }

  const all = files.flatMap((file) => file.results);
  const count = (status: DirectiveResult["status"]): number => all.filter((r) => r.status === status).length;
  const invalid = files.filter((file) => file.status === "invalid").length;
  const rewritten = files.filter((file) => file.rewritten).length;
  stdout(
    `${files.length} file(s), ${all.length} directive(s): ${count("pass")} passed, ${count("mismatch")} mismatched, ` +
      `${count("error")} errored, ${count("skipped")} skipped` +
      (invalid > 0 ? `, ${invalid} file(s) did not parse` : "") +
      (flags.rewrite ? `; ${rewritten} file(s) rewritten` : "") +
      "\n",
  );

  const errors = all.filter((r) => r.status === "error");
  if (usageProblem || invalid > 0 || errors.some((r) => r.error instanceof UsageError)) return ExitCode.usage;
  if (errors.length > 0) return ExitCode.runFailed;
  if (count("mismatch") > 0) return ExitCode.invalid;
  return ExitCode.valid;
}

function report(
  file: FileResult,
  flags: DatadrivenFlags,
  stdout: (text: string) => void,
  stderr: (text: string) => void,
): void {
  if (file.status === "pass") {
    const note = flags.rewrite ? (file.rewritten ? "rewritten" : "up to date") : "ok";
    stdout(`${note.padEnd(10)} ${file.path} (${file.results.length} directive(s))\n`);
    return;
  }
  stdout(`${(file.status === "invalid" ? "INVALID" : "FAIL").padEnd(10)} ${file.path}\n`);
  for (const message of cliFailureMessages(file)) stderr(`${message}\n\n`);
}

/** The engine's failure reports, with each user error's settings spelled as flags. */
function cliFailureMessages(file: FileResult): string[] {
  if (file.error !== undefined) return [cliErrorMessage(file.error)];
  return file.results.flatMap((result) => {
    if (result.message === undefined) return [];
    const named = result.error instanceof UsageError && result.error.setting !== undefined;
    return [named ? cliErrorMessage(result.error) : result.message];
  });
}

/** The flags as the ready-made cluster handler's options (it checks them and names them as settings). */
function clusterHandlerOptions(flags: DatadrivenFlags): ClusterHandlerOptions {
  return { target: flags.target, demoMode: flags.demoMode };
}

type HandlerMaker = (file: string, flags: DatadrivenFlags) => Promise<FileHandler>;
type ClusterHandlerMaker = (file: string, options: ClusterHandlerOptions) => Promise<FileHandler>;

/**
 * The cluster directives (exec, async/await, wait, tick, hold/release,
 * kill/restart, ...) live in `src/datadriven/cluster-handler.ts`, exporting
 * `makeClusterHandler(file, options)`; in a build without it this finds
 * nothing and the generic handler runs. Loaded lazily so the command stays
 * light (and starts no cluster code for generic files).
 */
async function clusterHandlerFactory(): Promise<HandlerMaker | undefined> {
  const specifier = "../datadriven/cluster-handler.js";
  try {
    const loaded = (await import(specifier)) as { makeClusterHandler?: ClusterHandlerMaker };
    const make = loaded.makeClusterHandler;
    return make && ((file, flags) => make(file, clusterHandlerOptions(flags)));
  } catch (error) {
    if (
      (error as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND" &&
      String(error).includes("cluster-handler")
    )
      return undefined;
    throw error;
  }
}

/** The default without cluster directives: generic directives only, no cluster. */
async function genericHandlerFactory(_file: string, flags: DatadrivenFlags): Promise<FileHandler> {
  if (flags.target !== undefined)
    throw new UsageError(
      `--target ${flags.target}: this build has no cluster directives yet; only the generic ones (create-file, append-file, cat-file, echo, retry) are available`,
    );
  return { handler: tableHandler(genericDirectives()) };
}
