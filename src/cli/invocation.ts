/**
 * The arguments `main` was called with, kept for the reproduce command a run
 * prints. A leaf of its own so that `main` can set it without loading the
 * `run` command's modules.
 */
let argvOfThisInvocation: readonly string[] = process.argv.slice(2);

/** The arguments `main` was called with (for the reproduce command). */
export function invocationArgv(): readonly string[] {
  return argvOfThisInvocation;
}

export function setInvocationArgv(argv: readonly string[]): void {
  argvOfThisInvocation = argv;
}
