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
import type { Random } from "../random/random.js";

/** Options of a run, from the CLI or the caller; a test function may read them to build its spec. */
export interface RunOptions {
  seed: number;
  timeLimitMs: number;
  concurrency: number;
  nodes: number;
  /** Fault kinds asked for with --nemesis (e.g. ["kill", "pause"]); empty for none. */
  nemesis: readonly string[];
  nemesisIntervalMs: number;
  /** Per-op timeout: a client call still running after it is abandoned and recorded as `info`. */
  opTimeoutMs: number;
  /** Where runs are stored (`store/` by default). */
  storeDir: string;
  /** Keep cluster temp dirs after the run. */
  keep: boolean;
  /** Named options the built-in tests understand (`target`, `demoMode`, `readFrom`, ...). */
  extra: Readonly<Record<string, string | undefined>>;
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
  /** Overrides of the run options this test insists on. */
  concurrency?: number;
  timeLimitMs?: number;
  opTimeoutMs?: number;
  /** How long each checker may run before it is called unknown (default 10 minutes). */
  checkerTimeoutMs?: number;
  /** Free-form facts stored in test.json (workload parameters, ...). */
  describe?: Record<string, unknown>;
}

export type TestDefinition = TestSpec | ((options: RunOptions) => TestSpec | Promise<TestSpec>);

/** Declare a test (typed identity): `export default defineTest((options) => ({ ... }))`. */
export function defineTest<T extends TestDefinition>(definition: T): T {
  return definition;
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
  for (const field of ["concurrency", "timeLimitMs", "opTimeoutMs", "checkerTimeoutMs"] as const) {
    const value = spec[field];
    if (value !== undefined && !(typeof value === "number" && value > 0))
      return `\`${field}\` must be positive`;
  }
  return undefined;
}
