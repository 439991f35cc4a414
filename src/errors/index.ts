/**
 * The bottom layer: errors, exit codes and the version. Every other folder may
 * import from here; this folder imports nothing of Crucible's.
 *
 * Three kinds of failure, kept apart on purpose (TigerBeetle's rule):
 * - **User errors** ({@link UsageError}): a bad flag, a malformed file, a test
 *   definition that does not fit. The user fixes them; they are printed in one
 *   line without a stack trace and carry their exit code.
 * - **Operating errors**: a node that dies, a refused connection, a timeout.
 *   They are data (an `info` op, a failed fault, an `unknown` result), never
 *   an exception that ends a run. {@link describeError} turns whatever was
 *   thrown into the words that data carries.
 * - **Programmer errors** ({@link invariant}): a broken assumption inside
 *   Crucible. They throw loudly, with a stack, because only a fix helps.
 */

/** The CLI's exit codes; documented in the README. */
export const ExitCode = {
  /** Every checker said valid. */
  valid: 0,
  /** An anomaly was found. */
  invalid: 1,
  /** A checker could not decide (time budget, too little evidence). */
  unknown: 2,
  /** The run itself failed: setup, a crash, an interrupted run. */
  runFailed: 3,
  /** Bad usage or a bad input file. */
  usage: 64,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** The exit code for a verdict. */
export function exitCodeForValidity(valid: true | false | "unknown"): ExitCodeValue {
  if (valid === true) return ExitCode.valid;
  if (valid === false) return ExitCode.invalid;
  return ExitCode.unknown;
}

/**
 * A library setting that the user chose and that cannot work as chosen
 * (`{ name: "network", value: "netns" }`). The library names settings by their
 * option names; the CLI translates them into its flag names, so no library
 * message ever spells a flag.
 */
export interface Setting {
  readonly name: string;
  /** The value chosen; absent when the setting was missing. */
  readonly value?: string;
  /** The values that would work, when the setting was missing and there are few. */
  readonly expected?: readonly string[];
  /** The other setting this one only applies with (`demoMode` needs `{ name: "target", value: "demo" }`). */
  readonly requires?: { readonly name: string; readonly value: string };
}

/**
 * The one-line text of a user error: `where: `, then the setting and its value
 * when one is at fault (`network netns: needs root`), or the detail followed
 * by the values a missing setting could take (`... (target demo|etcd|redis)`),
 * or the setting it needs (`demoMode applies to target demo, not etcd`).
 * `spell` names a setting: the library uses its option name, the CLI its flag.
 */
export function formatUsage(
  detail: string,
  where: string | undefined,
  setting: Setting | undefined,
  spell: (name: string) => string = (name) => name,
): string {
  const at = where ? `${where}: ` : "";
  if (setting === undefined) return `${at}${detail}`;
  const name = spell(setting.name);
  if (setting.requires !== undefined)
    return `${at}${name} applies to ${spell(setting.requires.name)} ${setting.requires.value}, ${detail}`;
  if (setting.value !== undefined) return `${at}${name} ${setting.value}: ${detail}`;
  if (setting.expected !== undefined) return `${at}${detail} (${name} ${setting.expected.join("|")})`;
  return `${at}${detail} (${name})`;
}

export interface UsageErrorOptions {
  /** The setting at fault, for the CLI to name as a flag. */
  readonly setting?: Setting;
  readonly cause?: unknown;
}

/**
 * An error the user can fix (bad flag, malformed file, a test definition of
 * the wrong shape): printed without a stack trace, exit 64. `where` names the
 * file and line (`history.jsonl:12`). With a `setting`, the message names it
 * by its option name ({@link formatUsage}); the CLI re-spells it as a flag.
 */
export class UsageError extends Error {
  readonly where: string | undefined;
  readonly setting: Setting | undefined;
  readonly exitCode: ExitCodeValue = ExitCode.usage;
  /** The message without the `where: ` prefix. */
  readonly detail: string;
  constructor(message: string, where?: string, options: UsageErrorOptions = {}) {
    super(
      formatUsage(message, where, options.setting),
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "UsageError";
    this.where = where;
    this.setting = options.setting;
    this.detail = message;
  }
}

/**
 * A file Crucible had to write could not be written (a full disk, a
 * read-only store, a path that is a directory): an operating error, exit 3,
 * printed as one line naming the path and the cause, never with a stack.
 */
export class OutputError extends Error {
  readonly path: string;
  readonly exitCode: ExitCodeValue = ExitCode.runFailed;
  constructor(path: string, cause: unknown) {
    super(`could not write ${path}: ${describeError(cause)}`, { cause });
    this.path = path;
  }
}

/** Thrown by {@link invariant}: a bug in Crucible, not in the user's test. */
export class InvariantError extends Error {
  constructor(message: string) {
    super(`invariant violated: ${message}`);
    this.name = "InvariantError";
  }
}

/**
 * Assert a programmer's assumption. One condition and one message per call:
 * a failed invariant must say exactly which assumption broke.
 */
export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvariantError(message);
}

/**
 * Words for anything that was thrown, safe on every value JavaScript can
 * throw: an Error (its name when not plain `Error`, its errno code when the
 * message lacks it), a string, `null`, a null-prototype object, an object whose
 * `toString` throws. Never throws itself.
 */
export function describeError(error: unknown): string {
  try {
    if (error instanceof Error) {
      const code = (error as { code?: unknown }).code;
      const prefix = error.name && error.name !== "Error" ? `${error.name}: ` : "";
      const message =
        typeof code === "string" && !error.message.includes(code)
          ? `${code}: ${error.message}`
          : error.message;
      return `${prefix}${message}`;
    }
    if (typeof error === "string") return error;
    if (error === null || error === undefined) return String(error);
    if (typeof error === "object") {
      const message = (error as { message?: unknown }).message;
      if (typeof message === "string") return message;
      try {
        const json = JSON.stringify(error);
        if (json !== undefined) return json;
      } catch {}
      return Object.prototype.toString.call(error);
    }
    return String(error);
  } catch {
    return "an unprintable value was thrown";
  }
}
