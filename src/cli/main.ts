/**
 * The `crucible` command. Each subcommand lives in its own file and
 * registers itself on the program; this file only wires them and maps
 * errors to the documented exit codes (README, docs/architecture.md):
 * 0 valid · 1 invalid · 2 unknown · 3 run failed · 64 bad usage or input.
 *
 * Startup is kept short: a subcommand's modules (checkers, runner, cluster
 * fixtures, ...) are imported only when that subcommand runs. Every other
 * subcommand is registered as a stub that carries just what `crucible --help`
 * lists (its name, usage and description), so `crucible --version` loads
 * nothing but commander. `crucible <cmd> --help` and `crucible help <cmd>`
 * load `<cmd>`'s module, so they show its options.
 */
import { Command, CommanderError, Help } from "commander";
import { ExitCode, OutputError, UsageError } from "../errors/index.js";
import { crucibleVersion } from "../errors/version.js";
import { cliErrorMessage, exitCodeForError } from "./errors.js";
import { setInvocationArgv } from "./invocation.js";

/**
 * Adds a subcommand (or, for `antithesis`, two) with its options and action
 * to the program; may be async (`run` loads the test file named on the
 * command line to add the options it declares).
 */
type Register = (program: Command) => unknown;

interface CommandEntry {
  name: string;
  /** What follows the name in `crucible --help`, as commander writes it for the loaded command. */
  usage: string;
  /** The same words the module gives its command (a test keeps them equal). */
  description: string;
  /**
   * Imports the module that registers the command. A literal `import()` of a
   * named export: renaming the module or the export fails the typecheck.
   * Absent for a command registered together with another one (`registeredBy`).
   */
  load?: () => Promise<Register>;
  /** The command whose `load` registers this one too. */
  registeredBy?: string;
}

/** Every subcommand, in the order `crucible --help` lists them. */
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: "run",
    usage: "[options] [test-file]",
    description: "run a test (the built-in demo register test when no file is given)",
    load: async () => (await import("./run.js")).registerRunCommand,
  },
  {
    name: "check",
    usage: "[options] <files...>",
    description:
      "check recorded histories: linearizability, bank, counter, set, set-full, long-fork (jsonl, Jepsen EDN and JSON, Porcupine logs); bounded-concurrency over an interval log",
    load: async () => (await import("./check.js")).registerCheckCommand,
  },
  {
    name: "demo",
    usage: "[options]",
    description: "start a real cluster (demo server, etcd, Redis or PostgreSQL) and keep it up until Ctrl-C",
    load: async () => (await import("./demo.js")).registerDemoCommand,
  },
  {
    name: "datadriven",
    usage: "[options] <paths...>",
    description: "run datadriven test files (cockroachdb/datadriven format); print a diff for each mismatch",
    load: async () => (await import("./datadriven.js")).registerDatadrivenCommand,
  },
  {
    name: "report",
    usage: "<run-dir>",
    description: "regenerate report.html and junit.xml of a stored run",
    load: async () => (await import("./report.js")).registerReportCommand,
  },
  {
    name: "serve",
    usage: "[options]",
    description: "serve a page listing stored runs, with links to their reports and raw files",
    load: async () => (await import("./serve.js")).registerServeCommand,
  },
  {
    name: "interval",
    usage: "[options] <command...>",
    description: "run a command while recording its hold (start and end records) in an interval log",
    load: async () => (await import("./interval.js")).registerIntervalCommand,
  },
  {
    name: "demo-lock",
    usage: "[options] <command...>",
    description:
      "hold one of N lease-guarded slots in etcd while a command runs (the lock workload's demo wrapper)",
    load: async () => (await import("./demo-lock.js")).registerDemoLockCommand,
  },
  {
    name: "antithesis",
    usage: "[options] [test-file]",
    description:
      "run a test driven through a control directory of FIFOs, one op per op-<id> and a verdict per check (the built-in demo test when no file is given)",
    load: async () => (await import("./antithesis.js")).registerAntithesisCommand,
  },
  {
    name: "composer",
    usage: "",
    description: "the driver's side of `crucible antithesis`: one command through the control directory",
    registeredBy: "antithesis",
  },
];

/** The subcommand `argv` runs (or asks help for), if it names one. */
function invokedCommand(argv: readonly string[]): CommandEntry | undefined {
  const name = argv[0] === "help" ? argv[1] : argv[0];
  const entry = COMMANDS.find((candidate) => candidate.name === name);
  if (entry?.registeredBy === undefined) return entry;
  return COMMANDS.find((candidate) => candidate.name === entry.registeredBy);
}

/**
 * The program for `argv`: the invoked subcommand fully registered, the others
 * as stubs for the help listing. Without `argv`, every subcommand is loaded.
 */
export async function buildProgram(argv?: readonly string[]): Promise<Command> {
  const stubTerms = new Map<Command, string>();
  const program = new Command("crucible")
    .description("Test distributed systems under faults: real clusters, seeded faults, checked histories.")
    .version(crucibleVersion(), "-V, --version")
    .showHelpAfterError("(run with --help for usage)")
    .configureHelp({
      subcommandTerm: (command) => stubTerms.get(command) ?? Help.prototype.subcommandTerm(command),
    })
    .exitOverride();
  const invoked = argv === undefined ? undefined : invokedCommand(argv);
  for (const entry of COMMANDS) {
    // Registered already, by the entry named in its `registeredBy`.
    if (program.commands.some((command) => command.name() === entry.name)) continue;
    if (entry.load !== undefined && (argv === undefined || entry === invoked)) {
      await (await entry.load())(program);
      continue;
    }
    const stub = program.command(entry.name).description(entry.description);
    stubTerms.set(stub, entry.usage === "" ? entry.name : `${entry.name} ${entry.usage}`);
  }
  // Every subcommand reports usage errors through the same path.
  for (const command of program.commands) command.exitOverride();
  return program;
}

/** Run the CLI; resolves to the exit code (never calls process.exit itself). */
export async function main(argv: readonly string[]): Promise<number> {
  setInvocationArgv(argv);
  try {
    const program = await buildProgram(argv);
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
    // An OutputError (a full or read-only store, a bad output path) is an operating error: one line too.
    const text =
      error instanceof UsageError || error instanceof OutputError || !(error instanceof Error)
        ? cliErrorMessage(error)
        : error.stack;
    process.stderr.write(`crucible: ${text ?? cliErrorMessage(error)}\n`);
    return exitCodeForError(error);
  }
}
