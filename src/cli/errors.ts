/**
 * How the CLI reports a library error. The library names what the user set by
 * its option names (`{ name: "network", value: "netns" }`) and never spells a
 * flag; this file is the one place that turns those names into the flags that
 * set them (`--network netns: ...`) and an error into its exit code.
 */
import { describeError, ExitCode, type ExitCodeValue, formatUsage, UsageError } from "../errors/index.js";

/**
 * Library setting → the flag that sets it. A setting missing here is printed
 * as `--` plus its name in kebab case, which is how the flags are named.
 */
export const FLAG_OF_SETTING: Readonly<Record<string, string>> = {
  concurrency: "--concurrency",
  controlDir: "--control-dir",
  demoMode: "--demo-mode",
  hosts: "--hosts",
  keep: "--keep",
  model: "--model",
  nemesis: "--nemesis",
  nemesisIntervalMs: "--nemesis-interval",
  network: "--network",
  nodes: "--nodes",
  opTimeoutMs: "--op-timeout",
  port: "--port",
  readConsistency: "--read-consistency",
  readFrom: "--read-from",
  seed: "--seed",
  store: "--store",
  target: "--target",
  timeLimitMs: "--time-limit",
  variant: "--variant",
  workload: "--workload",
};

/** The flag that sets a library setting. */
export function flagOfSetting(name: string): string {
  return FLAG_OF_SETTING[name] ?? `--${name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
}

/**
 * The line the CLI prints for an error: a user error in its own words with
 * its setting spelled as a flag; anything else described by
 * {@link describeError} (the stack is the caller's choice).
 */
export function cliErrorMessage(error: unknown): string {
  if (error instanceof UsageError)
    return formatUsage(error.detail, error.where, error.setting, flagOfSetting);
  return describeError(error);
}

/** The exit code for an error that ended a command: 64 for a user error, 3 for anything else. */
export function exitCodeForError(error: unknown): ExitCodeValue {
  return error instanceof UsageError ? error.exitCode : ExitCode.runFailed;
}
