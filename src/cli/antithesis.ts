/**
 * `crucible antithesis [test-file]`: run a test whose main phase is driven
 * from outside, one operation per command, through a control directory of
 * FIFOs (Antithesis' test composer protocol, as Jepsen speaks it). Without a
 * test file it runs the built-in demo test. See docs/antithesis.md.
 *
 * `crucible composer op|check [control-dir]`: the driver's side, one
 * command; it runs the shell script shipped in scripts/composer/ (which a
 * driver may also call directly, without starting Node for every command).
 */
import { spawn } from "node:child_process";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { controlledSpec, FifoController } from "../control/controller.js";
import { resolveSeed } from "../control/seed.js";
import { describeError, ExitCode } from "../errors/index.js";
import type { Results } from "../history/results.js";
import { type RunTestOutcome, runTest } from "../runner/run-test.js";
import { type RunOptions, resolveTest, type TestDefinition } from "../runner/spec.js";
import { attachTestOptions, declaredTestOptions } from "../runner/test-options.js";
import { hostsFromFlags } from "./hosts.js";
import { durationOption } from "./options.js";
import {
  addRunFlags,
  builtInTest,
  checkHostsFit,
  exitCodeForOutcome,
  invocationArgv,
  loadTestFile,
  refuseTlsWithout,
  reproduceCommand,
  runOnHosts,
  runOptionsFromFlags,
} from "./run.js";
import { addTestOptionFlags, testOptionsFromFlags } from "./test-options.js";

/** The composer script shipped with the package (same relative place from src/cli and dist/cli). */
export const COMPOSER_SCRIPT = fileURLToPath(new URL("../../scripts/composer/composer.sh", import.meta.url));

type RunFlags = Parameters<typeof runOptionsFromFlags>[0];

interface AntithesisFlags extends RunFlags {
  controlDir?: string;
  entropyFile?: string;
  controlIdleTimeout: number;
}

/** The verdict line written into `check` FIFOs: `exitCode` first, so a shell script can read it with sed. */
export function verdictLine(outcome: RunTestOutcome, exitCode: number): string {
  const { results } = outcome;
  const checkers: Record<string, Results["valid"]> = {};
  for (const [name, result] of Object.entries(results.checkers)) checkers[name] = result.valid;
  return JSON.stringify({
    exitCode,
    valid: results.valid,
    complete: results.complete,
    ...(results.error !== undefined && { error: results.error }),
    test: outcome.test.name,
    seed: outcome.test.seed,
    runDir: resolve(outcome.runDir),
    checkers,
    ops: results.stats.ops,
  });
}

export interface ExecuteAntithesisConfig {
  testFile: string | undefined;
  flags: AntithesisFlags;
  argv: readonly string[];
}

/** Load, run under FIFO control, answer `check`, print the verdict; returns the exit code. */
export async function executeAntithesis(config: ExecuteAntithesisConfig): Promise<number> {
  const { flags } = config;
  const hosts = hostsFromFlags(flags);
  if (hosts) checkHostsFit(flags, hosts);
  if (flags.tls && !config.testFile) refuseTlsWithout(flags);
  const definition = config.testFile
    ? await loadTestFile(config.testFile)
    : await builtInTest(flags.workload);
  const seedChoice = resolveSeed({ flagSeed: flags.seed, entropyFile: flags.entropyFile, env: process.env });
  const test = testOptionsFromFlags(definition, flags);
  const options = {
    ...runOptionsFromFlags({ ...flags, seed: seedChoice.seed }, hosts),
    ...(test && { test }),
  };
  const controlDir = resolve(flags.controlDir ?? join(options.storeDir, "control"));
  const reproduce = reproduceCommand(config.argv, options.seed);
  // With --json, stdout carries only the results; everything else goes to stderr.
  const out = flags.json ? process.stderr : process.stdout;
  const say = (line: string): void => {
    out.write(`${line}\n`);
  };
  say(`seed: ${options.seed} (${seedChoice.source})    (replay: ${reproduce})`);

  const stop = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals === 1) {
      say(`${signal}: stopping the run cleanly (again to abort at once)`);
      stop.abort(new Error(signal));
    } else {
      process.exit(ExitCode.runFailed);
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const controller = new FifoController({
    controlDir,
    log: say,
    signal: stop.signal,
    idleTimeoutMs: flags.controlIdleTimeout,
  });
  // The wrapper declares what the test declares, so the runner fills in the test's option defaults.
  const controlled: TestDefinition = attachTestOptions(
    async (runOptions: RunOptions) =>
      controlledSpec(await resolveTest(definition, runOptions), {
        describe: { protocol: "fifo", controlDir, seedSource: seedChoice.source },
      }),
    declaredTestOptions(definition),
  );
  try {
    let outcome: RunTestOutcome;
    try {
      const run = (): Promise<RunTestOutcome> =>
        runTest({
          definition: controlled,
          options,
          reproduce,
          argv: config.argv,
          signal: stop.signal,
          log: say,
          driveMainPhase: controller.driveMainPhase,
        });
      // On hosts: the controlled test's clusters run there, as with `crucible run --hosts`.
      outcome = hosts ? await runOnHosts(hosts, run, say) : await run();
    } catch (error) {
      await controller.finish(
        JSON.stringify({
          exitCode: ExitCode.runFailed,
          error: `the run failed: ${describeError(error)}`,
        }),
      );
      throw error;
    }
    const code = exitCodeForOutcome(outcome);
    await controller.finish(verdictLine(outcome, code));
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(outcome.results, null, 2)}\n`);
    } else {
      const { results } = outcome;
      const verdict = results.valid === true ? "valid" : results.valid === false ? "invalid" : "unknown";
      say(
        `${outcome.test.name} · seed ${options.seed} · ${verdict}${results.complete ? "" : " (incomplete)"}`,
      );
      for (const [name, result] of Object.entries(results.checkers)) {
        say(`  ${name}: ${result.valid}${result.explanation ? ` — ${result.explanation}` : ""}`);
      }
      say(`  ops ${results.stats.ops} (${controller.served} on command)`);
      for (const problem of outcome.reportErrors) say(`warning: ${problem}`);
      for (const problem of outcome.storeErrors) say(`error: ${problem}`);
      say(`run folder: ${resolve(outcome.runDir)}`);
    }
    if (code !== ExitCode.valid) {
      say(`to reproduce: ${reproduce}\nhistory: ${resolve(outcome.runDir, "history.jsonl")}`);
    }
    return code;
  } finally {
    controller.close();
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
  }
}

/** Run the shipped composer script for one command; resolves to its exit code. */
export function runComposerScript(command: "op" | "check", controlDir: string | undefined): Promise<number> {
  return new Promise((resolveCode) => {
    const child = spawn("sh", [COMPOSER_SCRIPT, command, ...(controlDir ? [controlDir] : [])], {
      stdio: "inherit",
    });
    child.on("error", (error) => {
      process.stderr.write(`crucible composer: cannot run ${COMPOSER_SCRIPT}: ${error.message}\n`);
      resolveCode(ExitCode.runFailed);
    });
    child.on("exit", (code, signal) => resolveCode(code ?? (signal ? ExitCode.runFailed : 0)));
  });
}

export async function registerAntithesisCommand(program: Command): Promise<void> {
  const command = addRunFlags(
    program
      .command("antithesis")
      .description(
        "run a test driven through a control directory of FIFOs, one op per op-<id> and a verdict per check (the built-in demo test when no file is given)",
      )
      .argument("[test-file]", "a .ts or .js file exporting defineTest(...)"),
  )
    .option("--control-dir <dir>", "the control directory (default: <store>/control)")
    .option(
      "--entropy-file <path>",
      "take the seed from the first 6 bytes of this file (e.g. /dev/urandom under Antithesis); also CRUCIBLE_ENTROPY_FILE. --seed and CRUCIBLE_SEED come first",
    )
    .addOption(
      durationOption(
        "--control-idle-timeout <seconds>",
        "with no command for this long, end the main phase as if check had come",
        3_600_000,
      ),
    );
  await addTestOptionFlags(command, invocationArgv(), loadTestFile);
  command.action(async (testFile: string | undefined, flags: AntithesisFlags) => {
    process.exitCode = await executeAntithesis({ testFile, flags, argv: invocationArgv() });
  });

  const composer = program
    .command("composer")
    .description("the driver's side of `crucible antithesis`: one command through the control directory");
  composer
    .command("op")
    .description("run one operation; prints the completed op as one JSON line")
    .argument("[control-dir]", "the control directory (default: $CRUCIBLE_CONTROL_DIR or store/control)")
    .exitOverride()
    .action(async (controlDir: string | undefined) => {
      process.exitCode = await runComposerScript("op", controlDir);
    });
  composer
    .command("check")
    .description("end the main phase and run the checkers; prints the verdict, exits with its code")
    .argument("[control-dir]", "the control directory (default: $CRUCIBLE_CONTROL_DIR or store/control)")
    .exitOverride()
    .action(async (controlDir: string | undefined) => {
      process.exitCode = await runComposerScript("check", controlDir);
    });
}
