/**
 * How to start a demo server process, for the cluster fixtures and tests.
 *
 *   const { command, args } = demoServerCommand();
 *   spawn(command, [...args, "--name", "n1", "--port", "0", "--data-dir", dir], ...)
 *
 * `dist/demo/main.js` when built and not older than its sources, else
 * `src/demo/main.ts` through tsx (../programs/launch.ts).
 */
import { type ProgramCommand, type ProgramCommandOptions, programCommand } from "../programs/launch.js";

export { packageRoot } from "../programs/launch.js";

export type DemoServerCommand = ProgramCommand;
export type DemoServerCommandOptions = ProgramCommandOptions;

/** The command that starts one demo server; append the server's flags to `args`. */
export function demoServerCommand(options: DemoServerCommandOptions = {}): DemoServerCommand {
  return programCommand({
    built: "dist/demo/main.js",
    source: "src/demo/main.ts",
    watch: ["demo", "errors"],
    ...options,
  });
}

/**
 * The command that runs the `crucible` CLI in a child process (`crucible
 * demo-lock`, `crucible interval` as a lock workload's wrapper and child):
 * `dist/cli/bin.js` when built and not older than any file of `src/` (the
 * CLI is made of all of it), else `src/cli/bin.ts` through tsx. Append the
 * CLI's arguments to `args`.
 */
export function crucibleCliCommand(options: DemoServerCommandOptions = {}): DemoServerCommand {
  return programCommand({ built: "dist/cli/bin.js", source: "src/cli/bin.ts", watch: ["."], ...options });
}
