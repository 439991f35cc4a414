/**
 * A test: what to start, how to talk to it, what to do, what faults to
 * cause, and what must hold. Users write one with `defineTest` in a file that
 * `crucible run path/to/test.ts` loads; the built-in demo test is such a file.
 */
import type { Actors } from "../actors/fixture.js";
import type { ActorExit } from "../actors/types.js";
import type { Checker } from "../checker/types.js";
import type { Client } from "../client/types.js";
import type { Cluster } from "../cluster/types.js";
import { describeError, UsageError } from "../errors/index.js";
import type { NemesisPackage } from "../faults/types.js";
import type { GeneratorLike } from "../generator/types.js";
import { describeValue } from "../history/writable.js";
import type { Random } from "../random/random.js";
import {
  attachTestOptions,
  type TestOptionSpecs,
  type TestOptionValue,
  type TestOptionValues,
} from "./test-options.js";

/** Options of a run, from the CLI or the caller; a test function may read them to build its spec. */
export interface RunOptions {
  seed: number;
  timeLimitMs: number;
  concurrency: number;
  /** Cluster size; a test's own `nodes` replaces it unless {@link RunOptions.nodesExplicit}. */
  nodes: number;
  /**
   * True when `nodes` was asked for (`--nodes`): it then wins over the test's
   * own `nodes`. False or absent: `nodes` is only a default (the target's size).
   */
  nodesExplicit?: boolean;
  /**
   * Force the cluster recipe's configuration variant by name (a replay of a
   * run whose log said `replay with variant X`); absent: the seed picks one.
   * A test's `cluster()` applies it by passing it to `startCluster`
   * (`nemesisForRun` does); the runner refuses a run whose cluster did not.
   */
  variant?: string;
  /** Fault kinds asked for with --nemesis (e.g. ["kill", "pause"]); empty for none. */
  nemesis: readonly string[];
  /**
   * False when `nemesis` is the CLI's default (no `--nemesis` given): a
   * workload may then use a schedule of its own design (the lock workload's
   * handover schedule). True or absent: the kinds were asked for, and the
   * seeded mix of `faultSchedule` runs them.
   */
  nemesisExplicit?: boolean;
  nemesisIntervalMs: number;
  /** Per-op timeout: a client call still running after it is abandoned and recorded as `info`. */
  opTimeoutMs: number;
  /** Where runs are stored (`store/` by default). */
  storeDir: string;
  /** Keep cluster temp dirs after the run. */
  keep: boolean;
  /**
   * Start the servers with TLS on (`--tls`): a throwaway CA and a certificate
   * per node, and the workload clients connect over TLS, verifying against
   * it. `nemesisForRun`'s cluster start applies it; a test's own
   * `startCluster(recipe, n, { tls: true })` does the same. Default false.
   */
  tls?: boolean;
  /** Named options the built-in tests understand (`target`, `demoMode`, `readFrom`, ...). */
  extra: Readonly<Record<string, string | undefined>>;
  /**
   * Values of the options the test file declares (`defineTest(fn, { options })`),
   * each the flag's value or its default; the runner fills in the defaults.
   */
  test?: Readonly<Record<string, TestOptionValue>>;
}

export interface ClusterContext {
  readonly random: Random;
  /** Where node logs go: `<run dir>/nodes`. */
  readonly logDir: string;
  readonly options: RunOptions;
  readonly signal: AbortSignal;
}

/** What a test's `actors()` gets: where to put logs, the interval log, and the hook that journals exits. */
export interface ActorsContext {
  readonly random: Random;
  /** The started cluster, when the test has one. */
  readonly cluster: Cluster | undefined;
  /** Where actor logs go: `<run dir>/actors` (pass it as `logDir`). */
  readonly logDir: string;
  /** `<run dir>/intervals.jsonl`: the interval log the runner reads into `CheckContext.intervals`. */
  readonly intervalLogPath: string;
  /** Journals an actor's exit as an `actor-exit` op (pass it as `onExit`). */
  readonly onExit: (exit: ActorExit) => void;
  readonly options: RunOptions;
  readonly signal: AbortSignal;
}

export interface TestSpec {
  name: string;
  /** Start the system under test; the runner stops it at the end, always. */
  cluster?: (ctx: ClusterContext) => Promise<Cluster>;
  /**
   * Start the test's actors (docs/actors.md), after the cluster; the runner
   * closes them before it stops the cluster, journals each exit, and reads
   * `ctx.intervalLogPath` (when it exists) into the checkers' intervals.
   */
  actors?: (ctx: ActorsContext) => Promise<Actors>;
  client: Client;
  /** The client workload of the main phase; the runner cuts it at the time limit. */
  generator: GeneratorLike;
  /** Faults and their schedule. */
  nemesis?: NemesisPackage;
  /** Client ops of the final phase (after faults are healed), e.g. one read per key. */
  finalGenerator?: GeneratorLike;
  checker: Checker | readonly Checker[];
  /**
   * The cluster size this test is written for: the run's `options.nodes`
   * (what `cluster(ctx)` reads) unless `--nodes` was given. A positive integer.
   */
  nodes?: number;
  /** Overrides of the run options this test insists on. */
  concurrency?: number;
  timeLimitMs?: number;
  opTimeoutMs?: number;
  /** How long each checker may run before it is called unknown (default 10 minutes). */
  checkerTimeoutMs?: number;
  /** Free-form facts stored in test.json (workload parameters, ...). */
  describe?: Record<string, unknown>;
}

/** Most nodes a test may ask for: every node is a real process on this machine. */
export const MAX_NODES = 99;

export type TestDefinition = TestSpec | ((options: RunOptions) => TestSpec | Promise<TestSpec>);

/** What `defineTest` takes besides the definition. */
export interface DefineTestOptions<O extends TestOptionSpecs> {
  /** Options of this test's own (`crucible run my-test.ts --rate 10`); see docs/runner.md. */
  readonly options: O;
}

/**
 * Declare a test: `export default defineTest((options) => ({ ... }))`. With a
 * second argument it declares the test's own command-line options, whose
 * values the definition function gets, typed, as `options.test`.
 */
export function defineTest<T extends TestDefinition>(definition: T): T;
export function defineTest<const O extends TestOptionSpecs>(
  definition: (options: RunOptions & { readonly test: TestOptionValues<O> }) => TestSpec | Promise<TestSpec>,
  declared: DefineTestOptions<O>,
): TestDefinition;
export function defineTest(
  definition: TestDefinition | ((options: never) => TestSpec | Promise<TestSpec>),
  declared?: DefineTestOptions<TestOptionSpecs>,
): TestDefinition {
  // The typed overload's function reads `options.test`, which the runner always fills in for it.
  const plain = definition as TestDefinition;
  return declared === undefined ? plain : attachTestOptions(plain, declared.options);
}

/**
 * Resolve a definition to a spec for these options, and check it: a broken
 * test is bad input (exit 64) naming its file, never a run that checks
 * nothing and says "valid".
 */
export async function resolveTest(
  definition: TestDefinition,
  options: RunOptions,
  source?: string,
): Promise<TestSpec> {
  return (await resolveRun(definition, options, source)).spec;
}

/**
 * Resolve a definition and the options the run will use: the test's own
 * `nodes` replaces `options.nodes` unless that was asked for explicitly. A
 * definition function is called again with the new size, so what it built
 * from `options.nodes` (node names, a nemesis) matches the cluster that runs.
 */
export async function resolveRun(
  definition: TestDefinition,
  options: RunOptions,
  source?: string,
): Promise<{ spec: TestSpec; options: RunOptions }> {
  const spec = await resolveOnce(definition, options, source);
  if (spec.nodes === undefined || options.nodesExplicit === true || spec.nodes === options.nodes)
    return { spec, options };
  const sized: RunOptions = { ...options, nodes: spec.nodes };
  if (typeof definition !== "function") return { spec, options: sized };
  const again = await resolveOnce(definition, sized, source);
  if (again.nodes !== spec.nodes)
    throw new UsageError(
      `the test's \`nodes\` changes with options.nodes (${spec.nodes}, then ${again.nodes}); expected a fixed size`,
      source,
    );
  return { spec: again, options: sized };
}

async function resolveOnce(
  definition: TestDefinition,
  options: RunOptions,
  source?: string,
): Promise<TestSpec> {
  let spec: TestSpec;
  try {
    spec = typeof definition === "function" ? await definition(options) : definition;
  } catch (error) {
    // A UsageError from the definition (e.g. a target that needs more nodes) is the user's message already.
    if (error instanceof UsageError)
      throw new UsageError(error.detail, error.where ?? source, { cause: error });
    throw new UsageError(`the test's definition function threw: ${describeError(error)}`, source, {
      cause: error,
    });
  }
  const problem = specProblem(spec);
  if (problem) throw new UsageError(`not a valid test: ${problem}`, source);
  return spec;
}

function specProblem(spec: TestSpec | undefined): string | undefined {
  if (!spec || typeof spec !== "object") return "expected an object with name, client, generator and checker";
  if (typeof spec.name !== "string" || spec.name.trim() === "") return "expected `name`, a non-empty string";
  if (!spec.client || typeof spec.client.open !== "function")
    return "expected `client` with an open() method";
  if (spec.cluster !== undefined && typeof spec.cluster !== "function")
    return "expected `cluster` to be a function returning the started cluster";
  if (spec.generator === undefined) return "expected `generator` (the client workload)";
  const checkers: readonly Checker[] = Array.isArray(spec.checker)
    ? (spec.checker as readonly Checker[])
    : spec.checker
      ? [spec.checker as Checker]
      : [];
  if (checkers.length === 0) return "expected `checker`: at least one, or the run would check nothing";
  const names = new Set<string>();
  for (const checker of checkers) {
    if (!checker || typeof checker.check !== "function") return "every checker needs a check() method";
    if (names.has(checker.name))
      return `two checkers are named ${checker.name}; one result would hide the other`;
    names.add(checker.name);
  }
  if (
    spec.nodes !== undefined &&
    !(Number.isSafeInteger(spec.nodes) && spec.nodes >= 1 && spec.nodes <= MAX_NODES)
  )
    return `\`nodes\` must be an integer from 1 to ${MAX_NODES}, not ${describeValue(spec.nodes, "value")}`;
  for (const field of ["concurrency", "timeLimitMs", "opTimeoutMs", "checkerTimeoutMs"] as const) {
    const value = spec[field];
    if (value !== undefined && !(typeof value === "number" && value > 0))
      return `\`${field}\` must be positive`;
  }
  return undefined;
}
