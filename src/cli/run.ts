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
import { type HostsOptions, withHosts } from "../cluster/remote.js";
import { resolveSeed } from "../control/seed.js";
import { SYNC_DEMO_MODES } from "../demo-sync/protocol.js";
import { describeError, ExitCode, exitCodeForValidity, UsageError } from "../errors/index.js";
import { FAULT_KINDS } from "../faults/schedule.js";
import { formatProgressLine, formatSummary } from "../report/index.js";
import { CLIENTS_PER_NODE, defaultConcurrency, defaultOpTimeoutMs } from "../runner/defaults.js";
import { type RunTestOutcome, runTest } from "../runner/run-test.js";
import type { Progress, Runner } from "../runner/runner.js";
import type { RunOptions, TestDefinition } from "../runner/spec.js";
import { SCENARIO_NAMES } from "../sync/scenarios.js";
import { SYNC_TARGETS } from "../tests/sync.js";
import { defaultNodesFor, REGISTER_TARGETS } from "../tests/targets.js";
import { POSTGRES_ISOLATIONS, WORKLOADS } from "../tests/workloads.js";
import { YJS_CLIENT_MODES } from "../yjs-sync/protocol.js";
import { addHostFlags, type HostFlags, hostsFromFlags } from "./hosts.js";
import { invocationArgv } from "./invocation.js";
import {
  choiceParser,
  durationOption,
  listParser,
  parsePositiveInt,
  parseSeedFlag,
  parseVariantName,
} from "./options.js";
import { executeSyncRun } from "./sync.js";
import { addTestOptionFlags, testOptionsFromFlags } from "./test-options.js";

export const NEMESIS_KINDS = FAULT_KINDS;
export const TARGETS = REGISTER_TARGETS;

/** The flags `run` shares with commands that run a test the same way (e.g. `antithesis`). */
export function addRunFlags(command: Command): Command {
  return addHostFlags(command)
    .addOption(
      durationOption("--time-limit <seconds>", "length of the main phase (e.g. 20, 90s, 2m)", 20_000),
    )
    .option(
      "--concurrency <n>",
      `client workers (default: ${CLIENTS_PER_NODE} per node, bound to nodes round-robin)`,
      parsePositiveInt,
    )
    .option(
      "--seed <n>",
      "seed for every random choice (random when omitted; printed at start)",
      parseSeedFlag,
    )
    .option("--store <dir>", "where runs are stored", "store")
    .option(
      "--nemesis <kinds>",
      `faults to inject: none or a comma-separated list of ${NEMESIS_KINDS.join(", ")} (default: ${DEFAULT_NEMESIS.join(",")}; the lock workload: ${LOCK_DEFAULT_NEMESIS.join(",")} on its handover schedule)`,
      listParser(NEMESIS_KINDS),
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
    .option(
      "--target <system>",
      `system under test: ${[...TARGETS, ...SYNC_TARGETS].join(", ")}`,
      choiceParser([...TARGETS, ...SYNC_TARGETS]),
      "demo",
    )
    .option(
      "--demo-mode <mode>",
      `demo server mode (lock workload: safe, unsafe; demo-sync: ${SYNC_DEMO_MODES.join(", ")}; yjs client: ${YJS_CLIENT_MODES.join(", ")})`,
      choiceParser([
        ...new Set([
          "linearizable",
          "stale-reads",
          "safe",
          "unsafe",
          ...SYNC_DEMO_MODES,
          ...YJS_CLIENT_MODES,
        ]),
      ]),
      "linearizable",
    )
    .option(
      "--scenario <name>",
      `sync workload: run one named scenario alone: ${SCENARIO_NAMES.join(", ")}`,
      choiceParser(SCENARIO_NAMES),
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
        "per-op timeout (e.g. 5, 300ms); a slower op is recorded as info (default: a fifth of --nemesis-interval, at most 5s)",
      ),
    )
    .option(
      "--workload <name>",
      `what the built-in test does: ${WORKLOADS.join(", ")} (list-append, rw-register, bank: --target postgres, rw-register also etcd; lock: etcd lock wrappers; sync: actors of an offline-first app)`,
      choiceParser(WORKLOADS),
      "register",
    )
    .option(
      "--isolation <level>",
      `PostgreSQL transaction workloads: ${POSTGRES_ISOLATIONS.join(", ")} (default serializable)`,
      choiceParser(POSTGRES_ISOLATIONS),
    )
    .option(
      "--lock-tool <tool>",
      "lock workload: demo (crucible demo-lock) or etcdctl (etcdctl lock)",
      choiceParser(["demo", "etcdctl"]),
    )
    .option(
      "--actors <k>",
      "lock workload: competing wrappers (default 4); sync workload: actors (default 3)",
      parsePositiveInt,
    )
    .option(
      "--max <n>",
      "lock workload: holders allowed at once (1: a lock; N: a semaphore; default 1)",
      parsePositiveInt,
    )
    .option(
      "--tls",
      "start the servers with TLS (a throwaway CA); the workload clients connect over TLS (etcd, redis, postgres)",
      false,
    )
    .option("--keep", "keep the cluster's temp dirs after the run", false)
    .option("--json", "print the results object as JSON on stdout (progress goes to stderr)", false);
}

interface RunFlags extends HostFlags {
  timeLimit: number;
  /** Undefined: {@link defaultConcurrency} of the node count. */
  concurrency?: number;
  seed?: number;
  store: string;
  /** Undefined: {@link defaultNemesisFor} the workload. */
  nemesis?: string[];
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
  /** Default `register`; the others run on PostgreSQL. */
  workload?: string;
  isolation?: string;
  /** Undefined: {@link defaultOpTimeoutMs} of the nemesis interval. */
  opTimeout?: number;
  keep: boolean;
  tls?: boolean;
  json: boolean;
  lockTool?: string;
  actors?: number;
  max?: number;
  scenario?: string;
}

/** `--nemesis` when not given: process faults of the cluster's nodes. */
export const DEFAULT_NEMESIS: readonly string[] = ["kill", "pause"];
/**
 * `--nemesis` of the lock workload when not given: faults that are loss
 * events (a kill or pause of etcd members is none, so it could never catch
 * an unsafe wrapper), on the lock's handover schedule (src/tests/lock.ts).
 */
export const LOCK_DEFAULT_NEMESIS: readonly string[] = ["lease-revoke", "actor-pause"];

/** The fault kinds a run gets when `--nemesis` is not given. */
export function defaultNemesisFor(workload: string | undefined): string[] {
  return [...(workload === "lock" ? LOCK_DEFAULT_NEMESIS : DEFAULT_NEMESIS)];
}

export function runOptionsFromFlags(flags: RunFlags, hosts?: HostsOptions): RunOptions {
  if (flags.isolation !== undefined && (flags.workload ?? "register") === "register")
    throw new UsageError(
      "--isolation applies to the PostgreSQL transaction workloads: add --workload list-append, rw-register or bank",
    );
  // On hosts, one node per host unless --nodes says fewer.
  const nodes = flags.nodes ?? hosts?.targets.length ?? defaultNodesFor(flags.target);
  return {
    // No environment and no entropy file: only `crucible antithesis` reads those (docs/determinism.md).
    seed: resolveSeed({ flagSeed: flags.seed }).seed,
    timeLimitMs: flags.timeLimit,
    concurrency: flags.concurrency ?? defaultConcurrency(nodes),
    nodes,
    // A test file's own `nodes` replaces the target's default, never an explicit --nodes.
    nodesExplicit: flags.nodes !== undefined || hosts !== undefined,
    ...(flags.variant !== undefined && { variant: flags.variant }),
    nemesis: flags.nemesis ?? defaultNemesisFor(flags.workload),
    // The lock workload builds its designed schedule only when no --nemesis was given.
    nemesisExplicit: flags.nemesis !== undefined,
    nemesisIntervalMs: flags.nemesisInterval,
    opTimeoutMs: flags.opTimeout ?? defaultOpTimeoutMs(flags.nemesisInterval),
    storeDir: flags.store,
    keep: flags.keep,
    ...(flags.tls && { tls: true }),
    extra: {
      target: flags.target,
      demoMode: flags.demoMode,
      readFrom: flags.readFrom,
      readConsistency: flags.readConsistency,
      network: flags.network,
      workload: flags.workload,
      isolation: flags.isolation,
      lockTool: flags.lockTool,
      actors: flags.actors === undefined ? undefined : String(flags.actors),
      max: flags.max === undefined ? undefined : String(flags.max),
      // The lock workload's demo mode is safe or unsafe; the register default (linearizable) means safe there.
      ...(flags.workload === "lock" && flags.demoMode === "linearizable" && { demoMode: "safe" }),
    },
  };
}

/** Test files loaded in this process, by absolute path: the options scan and the run load each once. */
const loadedTestFiles = new Map<string, Promise<TestDefinition>>();

/** Load a test file (TypeScript or JavaScript) and return its test definition; bad files are UsageErrors. */
export function loadTestFile(path: string): Promise<TestDefinition> {
  const absolute = resolve(path);
  let loading = loadedTestFiles.get(absolute);
  if (loading === undefined) {
    loading = importTestFile(path, absolute);
    loadedTestFiles.set(absolute, loading);
  }
  return loading;
}

async function importTestFile(path: string, absolute: string): Promise<TestDefinition> {
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

/** The built-in test: the register test, the lock workload, or a PostgreSQL transaction workload (`--workload`). */
export async function builtInTest(workload = "register"): Promise<TestDefinition> {
  if (workload === "lock") return (await import("../tests/lock.js")).default;
  if (workload !== "register") return (await import("../tests/txn-workloads.js")).default;
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

/** The built-in tests whose servers and clients speak TLS: etcd, Redis and PostgreSQL, not the lock wrappers. */
export function refuseTlsWithout(flags: Pick<RunFlags, "target" | "workload">): void {
  if (!["etcd", "redis", "postgres"].includes(flags.target))
    throw new UsageError(
      `--tls needs --target etcd, redis or postgres (the ${flags.target} server has no TLS)`,
    );
  if (flags.workload === "lock")
    throw new UsageError("--tls: the lock workload's wrappers (etcdctl, demo-lock) do not speak TLS yet");
}

/**
 * Clock faults start every node under libfaketime, and Debian's
 * redis-server, linked with jemalloc, never starts under it (docs/faults.md,
 * "Clock faults: libfaketime"). Measured: `crucible run --target redis
 * --nemesis clock --time-limit 10` failed after the 20 s readiness timeout
 * (exit 3, 21 s, no op recorded, yet a "valid" linearizable line); refused
 * before anything starts instead.
 */
export function refuseClockOnRedis(flags: Pick<RunFlags, "target" | "nemesis">): void {
  if (flags.target === "redis" && flags.nemesis?.includes("clock"))
    throw new UsageError(
      '--nemesis clock on --target redis: clock faults start each node under libfaketime, and Debian\'s redis-server is linked with jemalloc, which hangs at start under libfaketime (it prints "libfaketime: Cannot recover from unexpected recursive calls to clock_gettime()" and never opens its port: measured, the run failed after the 20 s readiness timeout with no op recorded; libfaketime issues #130, #327). Drop clock from --nemesis, or test a Redis built with MALLOC=libc in a test file',
    );
}

/** Load, run, report; returns the exit code. Shared by `run` and commands built on it. */
export async function executeRun(config: ExecuteRunConfig): Promise<number> {
  const { flags } = config;
  const hosts = hostsFromFlags(flags);
  if (hosts) checkHostsFit(flags, hosts);
  if (flags.tls && !config.testFile) refuseTlsWithout(flags);
  if (!config.testFile) refuseClockOnRedis(flags);
  if (flags.workload === "sync" || (SYNC_TARGETS as readonly string[]).includes(flags.target)) {
    if (config.testFile)
      throw new UsageError("--workload sync runs the built-in sync test; it takes no test file");
    const seed = resolveSeed({ flagSeed: flags.seed }).seed;
    return await executeSyncRun(
      { ...flags, seed, nemesis: flags.nemesis ?? defaultNemesisFor(flags.workload) },
      reproduceCommand(config.argv, seed),
      config.argv,
    );
  }
  if (config.testFile && flags.workload !== undefined && flags.workload !== "register")
    throw new UsageError(
      `a test file defines its own workload: drop --workload ${flags.workload} or the test file`,
      config.testFile,
    );
  const definition = config.testFile
    ? await loadTestFile(config.testFile)
    : await builtInTest(flags.workload);
  const test = testOptionsFromFlags(definition, flags);
  const options = { ...runOptionsFromFlags(flags, hosts), ...(test && { test }) };
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
    const run = (): ReturnType<typeof runTest> =>
      runTest({
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
    // On hosts: every cluster the test starts (built-in or the user's own file) runs its nodes there.
    const outcome = hosts ? await runOnHosts(hosts, run, display.line) : await run();
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

/**
 * Run with every cluster on the hosts. A run that started a cluster but none
 * on the hosts (a test file whose own copy of crucible never saw them) ran
 * something else than what was asked: its verdict does not stand.
 */
export async function runOnHosts(
  hosts: HostsOptions,
  run: () => Promise<RunTestOutcome>,
  line: (text: string) => void,
): Promise<RunTestOutcome> {
  const { result, clustersStarted } = await withHosts(hosts, run);
  if (clustersStarted > 0 || result.test.cluster === undefined) return result;
  const error = "--hosts was given, but the test started its cluster on this machine, not on the hosts";
  line(`error: ${error}`);
  return { ...result, results: { ...result.results, complete: false, error } };
}

/** What cannot run on hosts, refused before anything connects. */
export function checkHostsFit(flags: RunFlags, hosts: HostsOptions): void {
  if (flags.workload === "sync" || (SYNC_TARGETS as readonly string[]).includes(flags.target))
    throw new UsageError("--hosts runs cluster tests; the sync workload runs its actors locally");
  if (flags.target === "postgres")
    throw new UsageError(
      "--hosts: the postgres target runs initdb on the runner's machine; not on hosts yet",
    );
  if (flags.nodes !== undefined && flags.nodes > hosts.targets.length)
    throw new UsageError(
      `--nodes ${flags.nodes} needs ${flags.nodes} hosts; ${hosts.targets.length} given (one node per host)`,
    );
}

export { invocationArgv, setInvocationArgv } from "./invocation.js";

export async function registerRunCommand(program: Command): Promise<void> {
  const command = addRunFlags(
    program
      .command("run")
      .description("run a test (the built-in demo register test when no file is given)")
      .argument("[test-file]", "a .ts or .js file exporting defineTest(...)"),
  );
  await addTestOptionFlags(command, invocationArgv(), loadTestFile);
  command.action(async (testFile: string | undefined, flags: RunFlags) => {
    process.exitCode = await executeRun({ testFile, flags, argv: invocationArgv() });
  });
}
