/**
 * A nemesis turns fault ops (`{ process: "nemesis", f: "kill", value: ... }`)
 * into faults on the cluster, and heals them. The runner journals each fault
 * op's invocation and completion like any other op, so reports can shade
 * fault periods and checkers can reason about loss events.
 *
 * `teardown` must heal everything the nemesis ever did; the runner always
 * calls it, also when the run is interrupted.
 */
import type { Cluster } from "../cluster/types.js";
import type { GeneratorLike } from "../generator/types.js";
import type { Completion, Op } from "../history/op.js";
import type { Random } from "../random/random.js";

export interface NemesisContext {
  readonly cluster: Cluster | undefined;
  /** The nemesis' own seeded stream. */
  readonly random: Random;
  readonly signal: AbortSignal;
  readonly log: (message: string) => void;
}

export interface Nemesis {
  readonly name: string;
  /** The fault ops this nemesis handles (`kill`, `start`, `pause`, `resume`, ...). */
  readonly fs: readonly string[];
  setup?(ctx: NemesisContext): Promise<void>;
  invoke(op: Op, ctx: NemesisContext): Promise<Completion>;
  teardown?(ctx: NemesisContext): Promise<void>;
}

/**
 * A nemesis with its schedule, as Jepsen's nemesis packages: the faults it can
 * cause, the generator that causes them during the main phase, and the
 * generator that heals everything at the start of the final phase.
 */
export interface NemesisPackage {
  readonly nemesis: Nemesis;
  /** Fault ops for the main phase; the runner routes them to the nemesis worker. */
  readonly generator: GeneratorLike;
  /** Heal ops for the final phase (run before the final client reads). */
  readonly finalGenerator?: GeneratorLike;
  /** The fault kinds, for test.json and reports (e.g. ["kill", "pause"]). */
  readonly kinds: readonly string[];
}
