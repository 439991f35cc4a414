/**
 * The main-phase switch and the `mainPhase` generator wrapper.
 *
 * Under external control (the FIFO protocol of `crucible antithesis`) the
 * main phase does not end at a time limit: it ends when the driver says
 * `check`. Generators are immutable values and cannot be reached into once
 * they are composed (`phases(mainPhase(workload), cooldown)` is one opaque
 * value), so the end of the main phase is announced through a small mutable
 * cell, a `PhaseSwitch`, that wrapped generators consult on every call: this
 * is Jepsen's `main-gen` and its `:antithesis-phase` atom.
 *
 * Outside external control nobody flips the switch, so `mainPhase` has no
 * effect: the same test file runs under `crucible run` and under
 * `crucible antithesis`.
 */

import { empty, lift } from "../generator/lift.js";
import type { GenContext, Generator, GeneratorLike, Step } from "../generator/types.js";
import type { Op } from "../history/op.js";

/** Where a test stands: `main` until the driver asks to check, `final` after. */
export type TestPhase = "main" | "final";

/**
 * A mutable cell saying whether the main phase is still going. One driver
 * flips it (once, main → final); any number of wrapped generators read it.
 * It is the only mutable thing a generator may consult, and it only moves
 * forward, so a generator that saw `final` never sees `main` again.
 */
export class PhaseSwitch {
  private current: TestPhase = "main";
  private wrappersPolled = false;

  get phase(): TestPhase {
    return this.current;
  }

  /** End the main phase: every `mainPhase` generator reading this switch is exhausted from now on. */
  endMainPhase(): void {
    this.current = "final";
  }

  /** Back to `main`, for a new run in the same process. */
  reset(): void {
    this.current = "main";
    this.wrappersPolled = false;
  }

  /**
   * True once a test's own `mainPhase` wrapper was asked for an op. The
   * driver uses it to tell a test that marks its main phase itself (and may
   * have more to run after it) from one that does not (whose whole workload
   * is the main phase).
   */
  get usedByTest(): boolean {
    return this.wrappersPolled;
  }

  /** Called by `mainPhase` generators when polled. */
  markPolled(): void {
    this.wrappersPolled = true;
  }
}

/**
 * The switch `mainPhase` reads when none is given, and the one
 * `crucible antithesis` flips. One per process: two externally controlled
 * runs in one process would need their own switches (pass `phaseSwitch`).
 */
export const defaultPhaseSwitch = new PhaseSwitch();

class MainPhase implements Generator {
  constructor(
    readonly gen: Generator,
    readonly phaseSwitch: PhaseSwitch,
    /** Whether polling marks the switch as used by the test (false for the runner's own wrapper). */
    readonly marks: boolean,
  ) {}

  private wrap(gen: Generator | null): Generator | null {
    if (gen === null) return null;
    return gen === this.gen ? this : new MainPhase(gen, this.phaseSwitch, this.marks);
  }

  op(ctx: GenContext): Step {
    if (this.phaseSwitch.phase !== "main") return null;
    if (this.marks) this.phaseSwitch.markPolled();
    const step = this.gen.op(ctx);
    if (step === null) return null;
    if (step.op === "pending") return { op: "pending", next: this.wrap(step.next) ?? empty };
    return { op: step.op, next: this.wrap(step.next) };
  }

  update(ctx: GenContext, event: Op): Generator | null {
    // Completions of ops started in the main phase still arrive after it ended; nothing is left to tell.
    if (this.phaseSwitch.phase !== "main") return null;
    return this.wrap(this.gen.update(ctx, event));
  }
}

export interface MainPhaseOptions {
  /** The switch to read; default `defaultPhaseSwitch`, the one `crucible antithesis` flips. */
  phaseSwitch?: PhaseSwitch;
}

/**
 * Ops of `gen` while the test is in its main phase; exhausted as soon as the
 * external driver ends it (`check`), so whatever the test composed after it
 * runs next. Outside external control it changes nothing.
 *
 * @example
 * // Under `crucible antithesis`, `check` ends the workload and the cooldown reads run.
 * generator: phases(mainPhase(stagger(5, registerOp)), cooldownReads)
 */
export function mainPhase(gen: GeneratorLike, options: MainPhaseOptions = {}): Generator {
  const inner = lift(gen);
  return inner === null ? empty : new MainPhase(inner, options.phaseSwitch ?? defaultPhaseSwitch, true);
}

/**
 * The runner-side cut: like `mainPhase`, but it does not count as the test
 * marking its own main phase. `crucible antithesis` wraps the nemesis'
 * schedule in it (faults belong to the main phase), and the client workload
 * when the test has no `mainPhase` of its own.
 */
export function cutAtMainPhaseEnd(gen: GeneratorLike, phaseSwitch: PhaseSwitch): Generator {
  const inner = lift(gen);
  return inner === null ? empty : new MainPhase(inner, phaseSwitch, false);
}

/**
 * The client workload under external control: the test's generator, cut
 * when the main phase ends unless the test marked its main phase itself
 * with `mainPhase` (then the rest of its generator, after the marked part,
 * still runs once `check` arrives).
 */
export function controlledWorkload(gen: GeneratorLike, phaseSwitch: PhaseSwitch): Generator {
  const inner = lift(gen);
  if (inner === null) return empty;
  return new ControlledWorkload(inner, phaseSwitch);
}

class ControlledWorkload implements Generator {
  constructor(
    readonly gen: Generator,
    readonly phaseSwitch: PhaseSwitch,
  ) {}

  private live(): boolean {
    return this.phaseSwitch.phase === "main" || this.phaseSwitch.usedByTest;
  }

  private wrap(gen: Generator | null): Generator | null {
    if (gen === null) return null;
    return gen === this.gen ? this : new ControlledWorkload(gen, this.phaseSwitch);
  }

  op(ctx: GenContext): Step {
    if (!this.live()) return null;
    const step = this.gen.op(ctx);
    if (step === null) return null;
    if (step.op === "pending") return { op: "pending", next: this.wrap(step.next) ?? empty };
    return { op: step.op, next: this.wrap(step.next) };
  }

  update(ctx: GenContext, event: Op): Generator | null {
    if (!this.live()) return null;
    return this.wrap(this.gen.update(ctx, event));
  }
}
