/**
 * The `crucible` command. Each subcommand lives in its own file and
 * registers itself on the program; this file only wires them and maps
 * errors to the documented exit codes (README, DESIGN.md):
 * 0 valid · 1 invalid · 2 unknown · 3 run failed · 64 bad usage or input.
 */
import { Command, CommanderError } from "commander";
import { ExitCode, UsageError } from "../errors/index.js";
import { crucibleVersion } from "../errors/version.js";
import { cliErrorMessage, exitCodeForError } from "./errors.js";
import { registerRunCommand, setInvocationArgv } from "./run.js";

type Register = (program: Command) => void;

/** Subcommands written by other parts; each is optional until it lands, so a missing one is skipped. */
const OPTIONAL_COMMANDS: readonly [module: string, exportName: string][] = [
  ["./check.js", "registerCheckCommand"],
  ["./demo.js", "registerDemoCommand"],
  ["./datadriven.js", "registerDatadrivenCommand"],
  ["./report.js", "registerReportCommand"],
  ["./serve.js", "registerServeCommand"],
  ["./demo-server.js", "registerDemoServerCommand"],
  ["./antithesis.js", "registerAntithesisCommand"],
];

export async function buildProgram(): Promise<Command> {
  const program = new Command("crucible")
    .description("Test distributed systems under faults: real clusters, seeded faults, checked histories.")
    .version(crucibleVersion(), "-V, --version")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  registerRunCommand(program);
  for (const [module, exportName] of OPTIONAL_COMMANDS) {
    let loaded: Record<string, unknown>;
    try {
      loaded = (await import(module)) as Record<string, unknown>;
    } catch (error) {
      if (
        (error as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND" &&
        String(error).includes(module.slice(2))
      )
        continue;
      throw error;
    }
    const register = loaded[exportName];
    if (typeof register === "function") (register as Register)(program);
  }
  // Every subcommand reports usage errors through the same path.
  for (const command of program.commands) command.exitOverride();
  return program;
}

/** Run the CLI; resolves to the exit code (never calls process.exit itself). */
export async function main(argv: readonly string[]): Promise<number> {
  setInvocationArgv(argv);
  try {
    const program = await buildProgram();
    await program.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : ExitCode.valid;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit 0; every other commander error is bad usage (it already printed why).
      if (
        error.code === "commander.helpDisplayed" ||
        error.code === "commander.version" ||
        error.exitCode === 0
      )
        return 0;
      return ExitCode.usage;
    }
    // A user error is one line with its settings spelled as flags; anything else keeps its stack.
    const text =
      error instanceof UsageError || !(error instanceof Error) ? cliErrorMessage(error) : error.stack;
    process.stderr.write(`crucible: ${text ?? cliErrorMessage(error)}\n`);
    return exitCodeForError(error);
  }
}
