/** The CLI's exit codes (DESIGN.md); documented in the README. */
export const ExitCode = {
  /** Every checker said valid. */
  valid: 0,
  /** An anomaly was found. */
  invalid: 1,
  /** A checker could not decide (time budget, too little information). */
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
 * An error the user can fix (bad flag, malformed file): printed without a
 * stack trace and mapped to exit 64. `where` names the file and line.
 */
export class UsageError extends Error {
  readonly where: string | undefined;
  constructor(message: string, where?: string) {
    super(where ? `${where}: ${message}` : message);
    this.name = "UsageError";
    this.where = where;
  }
}
