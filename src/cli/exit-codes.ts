/** The CLI's exit codes and user errors live in the bottom layer (src/errors); re-exported here while callers move. */
export { ExitCode, type ExitCodeValue, exitCodeForValidity, UsageError } from "../errors/index.js";
