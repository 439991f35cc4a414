/**
 * `crucible run [test-file]`: run a test (the built-in demo register test
 * when no file is given), store everything under `store/<test>/<timestamp>/`,
 * print progress while it runs and a verdict at the end, exit 0/1/2/3.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Command } from "commander";
import { createLogUpdate } from "log-update";
import { resolveSeed } from "../control/seed.js";
import { describeError, ExitCode, exitCodeForValidity, UsageError } from "../errors/index.js";
import { FAULT_KINDS } from "../faults/schedule.js";
import { formatProgressLine, formatSummary } from "../report/index.js";
import { type RunTestOutcome, runTest } from "../runner/run-test.js";
import type { Progress, Runner } from "../runner/runner.js";
import type { RunOptions, TestDefinition } from "../runner/spec.js";
import { defaultNodesFor, REGISTER_TARGETS } from "../tests/targets.js";
import { invocationArgv } from "./invocation.js";
import {
  choiceParser,
  durationOption,
  listParser,
  parsePositiveInt,
  parseSeedFlag,
  parseVariantName,
} from "./options.js";

export const NEMESIS_KINDS = FAULT_KINDS;
export const TARGETS = REGISTER_TARGETS;

/** The flags `run` shares with commands that run a test the same way (e.g. `antithesis`). */
export function addRunFlags(command: Command): Command {
  return command
    .addOption(
      durationOption("--time-limit <seconds>", "length of the main phase (e.g. 20, 90s, 2m)", 20_000),
    )
    .option("--concurrency <n>", "client workers", parsePositiveInt, 5)
    .option(
      "--seed <n>",
      "seed for every random choice (random when omitted; printed at start)",
      parseSeedFlag,
    )
    .option("--store <dir>", "where runs are stored", "store")
    .option(
      "--nemesis <kinds>",
      `faults to inject: none or a comma-separated list of ${NEMESIS_KINDS.join(", ")}`,
      listParser(NEMESIS_KINDS),
      ["kill", "pause"],
    )
    .addOption(durationOption("--nemesis-interval <seconds>", "time between a fault and its heal", 5_000))
    .option(
      "--network <mode>",
      "how network faults are made: proxy (userspace, no root), netns (namespaces + iptables, root), auto",
      choiceParser(["proxy", "netns", "auto"]),
    )
    .option(
      "--nodes <n>",
      "cluster size (default: the target's own: 1 for postgres, 3 otherwise)",
      parsePositiveInt,
    )
    .option(
      "--variant <name>",
      "force the cluster's configuration variant (as logged: replay with variant X); default: the seed picks",
      parseVariantName,
    )
    .option("--target <system>", `system under test: ${TARGETS.join(", ")}`, choiceParser(TARGETS), "demo")
    .option(
      "--demo-mode <mode>",
      "demo server mode",
      choiceParser(["linearizable", "stale-reads"]),
      "linearizable",
    )
    .option(
      "--read-from <where>",
      "Redis: read from the primary or a replica",
      choiceParser(["primary", "replica"]),
    )
    .option(
      "--read-consistency <level>",
      "etcd: linearizable or serializable reads",
      choiceParser(["linearizable", "serializable"]),
    )
    .addOption(
      durationOption(
        "--op-timeout <seconds>",
        "per-op timeout (e.g. 5, 300ms); a slower op is recorded as info",
        5_000,
      ),
    )
    .option("--keep", "keep the cluster's temp dirs after the run", false)
    .option("--json", "print the results object as JSON on stdout (progress goes to stderr)", false);
}

interface RunFlags {
  timeLimit: number;
  concurrency: number;
  seed?: number;
  store: string;
  nemesis: string[];
  nemesisInterval: number;
  network?: string;
  /** Undefined: the target's own default (`defaultNodesFor`). */
  nodes?: number;
  target: string;
  /** Undefined: the seed picks the recipe's variant. */
  variant?: string;
  demoMode: string;
  readFrom?: string;
  readConsistency?: string;
  opTimeout: number;
  keep: boolean;
  json: boolean;
}

export function runOptionsFromFlags(flags: RunFlags): RunOptions {
  return {
    // No environment and no entropy file: only `crucible antithesis` reads those (docs/determinism.md).
    seed: resolveSeed({ flagSeed: flags.seed }).seed,
    timeLimitMs: flags.timeLimit,
    concurrency: flags.concurrency,
    nodes: flags.nodes ?? defaultNodesFor(flags.target),
    // A test file's own `nodes` replaces the target's default, never an explicit --nodes.
    nodesExplicit: flags.nodes !== undefined,
    ...(flags.variant !== undefined && { variant: flags.variant }),
    nemesis: flags.nemesis,
    nemesisIntervalMs: flags.nemesisInterval,
    opTimeoutMs: flags.opTimeout,
    storeDir: flags.store,
    keep: flags.keep,
    extra: {
      target: flags.target,
      demoMode: flags.demoMode,
      readFrom: flags.readFrom,
      readConsistency: flags.readConsistency,
      network: flags.network,
    },
  };
}

/** Load a test file (TypeScript or JavaScript) and return its test definition; bad files are UsageErrors. */
export async function loadTestFile(path: string): Promise<TestDefinition> {
  const absolute = resolve(path);
  if (!existsSync(absolute)) throw new UsageError("no such test file", path);
  let loaded: Record<string, unknown>;
  try {
    if (/\.[cm]?tsx?$/.test(absolute)) {
      const { tsImport } = await import("tsx/esm/api");
      loaded = (await tsImport(pathToFileURL(absolute).href, import.meta.url)) as Record<string, unknown>;
    } else {
      loaded = (await import(pathToFileURL(absolute).href)) as Record<string, unknown>;
    }
  } catch (error) {
    throw new UsageError(`could not load the test file: ${describeError(error)}`, path);
  }
  // A .ts file outside an ESM package is compiled as CommonJS: its exports arrive under `default`.
  const exports =
    loaded.default && typeof loaded.default === "object" && !("client" in loaded.default) && !loaded.test
      ? (loaded.default as Record<string, unknown>)
      : loaded;
  const definition = exports.default ?? exports.test;
  const isSpec = (value: unknown): boolean =>
    typeof value === "function" || (typeof value === "object" && value !== null && "client" in value);
  if (!isSpec(definition)) {
    throw new UsageError(
      "the file does not export a test: expected `export default defineTest({...})` or `export const test = defineTest(...)`",
      path,
    );
  }
  return definition as TestDefinition;
}

export async function builtInTest(): Promise<TestDefinition> {
  const module = await import("../tests/register.js");
  return module.default;
}

/** The command line that replays this run: the same arguments with the seed pinned. */
export function reproduceCommand(argv: readonly string[], seed: number): string {
  const kept: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--seed") {
      i++;
      continue;
    }
    if (argv[i]!.startsWith("--seed=")) continue;
    kept.push(argv[i]!);
  }
  const quoted = kept.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`));
  return ["crucible", ...quoted, "--seed", String(seed)].join(" ");
}

interface Display {
  line(text: string): void;
  progress(runner: Runner): void;
  stop(): void;
}

function formatProgress(progress: Progress, color: boolean): string {
  const opsPerSec = progress.elapsedMs > 0 ? (progress.ops * 1000) / progress.elapsedMs : 0;
  const phase = progress.phase === "main" ? "" : `[${progress.phase}] `;
  return `${phase}${formatProgressLine({ ...progress, opsPerSec, color })}`;
}

/** Live status line on a TTY (log-update); plain periodic lines otherwise (CI logs). */
function makeDisplay(toStderr: boolean): Display {
  const stream = toStderr ? process.stderr : process.stdout;
  const tty = Boolean(stream.isTTY) && !process.env.CI;
  const update = tty ? createLogUpdate(stream, { showCursor: true }) : undefined;
  let timer: NodeJS.Timeout | undefined;
  let lastPlainMs = 0;
  return {
    line(text) {
      update?.clear();
      stream.write(`${text}\n`);
    },
    progress(runner) {
      timer = setInterval(
        () => {
          const progress = runner.progress();
          if (progress.phase === "setup") return;
          if (update) update(formatProgress(progress, true));
          else if (progress.elapsedMs - lastPlainMs >= 5_000) {
            lastPlainMs = progress.elapsedMs;
            stream.write(`${formatProgress(progress, false)}\n`);
          }
        },
        tty ? 250 : 1_000,
      );
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      update?.clear();
      update?.done();
    },
  };
}

export function exitCodeForOutcome(outcome: RunTestOutcome): number {
  if (!outcome.results.complete) return ExitCode.runFailed;
  return exitCodeForValidity(outcome.results.valid);
}

export interface ExecuteRunConfig {
  testFile: string | undefined;
  flags: RunFlags;
  argv: readonly string[];
  /** Called with the runner before the run starts. */
  onRunner?: (runner: Runner) => void;
  /** Drive the main phase yourself (external control); default: until the time limit. */
  driveMainPhase?: (runner: Runner) => Promise<void>;
}

/** Load, run, report; returns the exit code. Shared by `run` and commands built on it. */
export async function executeRun(config: ExecuteRunConfig): Promise<number> {
  const { flags } = config;
  const definition = config.testFile ? await loadTestFile(config.testFile) : await builtInTest();
  const options = runOptionsFromFlags(flags);
  const reproduce = reproduceCommand(config.argv, options.seed);
  const display = makeDisplay(flags.json);
  display.line(`seed: ${options.seed}    (replay: ${reproduce})`);

  // First Ctrl-C: stop cleanly (heal, stop processes, keep the history). Second: leave now.
  const stop = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals === 1) {
      display.line(`${signal}: stopping the run cleanly (again to abort at once)`);
      stop.abort(new Error(signal));
    } else {
      process.exit(ExitCode.runFailed);
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const outcome = await runTest({
      definition,
      ...(config.testFile && { source: config.testFile }),
      options,
      reproduce,
      argv: config.argv,
      signal: stop.signal,
      ...(config.driveMainPhase && { driveMainPhase: config.driveMainPhase }),
      log: (line) => display.line(line),
      onRunner: (runner) => {
        display.progress(runner);
        config.onRunner?.(runner);
      },
    });
    display.stop();
    const reportPath = resolve(outcome.runDir, "report.html");
    for (const problem of outcome.reportErrors) display.line(`warning: ${problem}`);
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(outcome.results, null, 2)}\n`);
    } else {
      const color = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
      const summary = formatSummary(outcome.test, outcome.results, {
        ...(existsSync(reportPath) && { reportPath }),
        color,
        history: outcome.history,
      });
      process.stdout.write(`${summary}\n`);
    }
    // The verdict is printed above; a store that could not take results.json makes the run failed (3).
    for (const problem of outcome.storeErrors) display.line(`error: ${problem}`);
    const code = outcome.storeErrors.length > 0 ? ExitCode.runFailed : exitCodeForOutcome(outcome);
    if (code !== ExitCode.valid) {
      // The summary already says how to reproduce; the history is what to open next.
      display.line(`history: ${resolve(outcome.runDir, "history.jsonl")}`);
    }
    return code;
  } finally {
    display.stop();
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
  }
}

export { invocationArgv, setInvocationArgv } from "./invocation.js";

export function registerRunCommand(program: Command): void {
  addRunFlags(
    program
      .command("run")
      .description("run a test (the built-in demo register test when no file is given)")
      .argument("[test-file]", "a .ts or .js file exporting defineTest(...)"),
  ).action(async (testFile: string | undefined, flags: RunFlags, command: Command) => {
    void command;
    process.exitCode = await executeRun({ testFile, flags, argv: invocationArgv() });
  });
}
