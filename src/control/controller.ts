/**
 * The runner side of the FIFO control protocol (Antithesis' test composer,
 * as Jepsen's `jepsen.antithesis` speaks it).
 *
 * 1. A composer script creates a FIFO `op-<id>` (or `check`) in the control
 *    directory and blocks reading it.
 * 2. `driveMainPhase` finds it, runs exactly one client op of the main phase
 *    through the normal worker/client/nemesis path (`runner.stepOne()`,
 *    journaled as usual), writes the completion as one JSON line and closes
 *    the FIFO; the script prints the line and exits 0.
 * 3. `check` ends the main phase: the phase switch flips (so `mainPhase`
 *    generators end and faults stop), `driveMainPhase` returns, and the
 *    runner goes on with the final phase, teardown and checkers. The caller
 *    then hands the verdict to `finish`, which writes it into every `check`
 *    FIFO; the script exits with the verdict's exit code.
 *
 * Commands are served one at a time, in the order they were found (within
 * one scan, by name): `stepOne` is not re-entrant, and one op per command
 * is the protocol. An `op-<id>` found after `check` is answered with an
 * error line. A FIFO whose reader went away is dropped after a short wait,
 * never waited on forever.
 */
import { describeError } from "../errors/index.js";
import type { Op } from "../history/op.js";
import { opToJson } from "../history/op.js";
import type { Runner } from "../runner/runner.js";
import type { TestSpec } from "../runner/spec.js";
import { type ControlCommand, ControlDirectory } from "./directory.js";
import { openFifoForWriting, writeAndClose } from "./fifo.js";
import { controlledWorkload, cutAtMainPhaseEnd, defaultPhaseSwitch, type PhaseSwitch } from "./phase.js";

/**
 * The main phase's time limit under external control: 100 days, i.e. never
 * in practice (the driver's `check` ends it), yet finite as `timeLimit`
 * requires and small enough that its nanoseconds stay a safe integer.
 */
export const CONTROLLED_MAIN_PHASE_LIMIT_MS = 100 * 24 * 3600 * 1000;

export interface FifoControllerOptions {
  /** The control directory; created if missing, emptied of FIFOs at start. */
  controlDir: string;
  /** The switch `check` flips; default `defaultPhaseSwitch` (the one `mainPhase` reads by default). */
  phaseSwitch?: PhaseSwitch;
  /** Progress lines and warnings. */
  log?: (line: string) => void;
  /** Ends the wait for commands (Ctrl-C); the run then goes on to its final phase as after `check`. */
  signal?: AbortSignal;
  /** How long a FIFO may go without a reader before it is dropped; default 5,000 ms. */
  readerWaitMs?: number;
  /** How long writing one answer may take (a reader that does not read); default 10,000 ms. */
  writeTimeoutMs?: number;
  /**
   * With no command for this long, the main phase ends as if `check` had
   * come (a driver that died must not keep the cluster up forever); default
   * 1 hour.
   */
  idleTimeoutMs?: number;
  /**
   * After `check`, a test that marks its main phase with `mainPhase` has the
   * rest of its generator run (e.g. a cooldown); at most this many ops, so a
   * generator that never ends cannot hold the run. Default 10,000.
   */
  drainOpsMax?: number;
  /** Fallback scan period of the directory; default 200 ms. */
  scanEveryMs?: number;
}

/** What `op-<id>` gets when the main phase has no more ops. */
export const EXHAUSTED_ANSWER = { exhausted: true, message: "the main phase has no more ops" } as const;

const errorAnswer = (message: string): string => `${JSON.stringify({ error: message })}\n`;

/**
 * The spec a test runs with under external control: no time limit on the
 * main phase (the driver ends it), faults only during the main phase, and
 * the client workload cut at `check` unless the test marks its main phase
 * itself with `mainPhase`. `describe.control` records how it was driven.
 */
export function controlledSpec(
  spec: TestSpec,
  options: { phaseSwitch?: PhaseSwitch; describe?: Record<string, unknown> } = {},
): TestSpec {
  const phaseSwitch = options.phaseSwitch ?? defaultPhaseSwitch;
  return {
    ...spec,
    timeLimitMs: CONTROLLED_MAIN_PHASE_LIMIT_MS,
    generator: controlledWorkload(spec.generator, phaseSwitch),
    ...(spec.nemesis && {
      nemesis: { ...spec.nemesis, generator: cutAtMainPhaseEnd(spec.nemesis.generator, phaseSwitch) },
    }),
    describe: {
      ...spec.describe,
      control: { mainPhase: "ends at check", ...options.describe },
    },
  };
}

export class FifoController {
  readonly controlDir: string;
  private readonly directory: ControlDirectory;
  private readonly phaseSwitch: PhaseSwitch;
  private readonly log: (line: string) => void;
  private readonly signal: AbortSignal | undefined;
  private readonly readerWaitMs: number;
  private readonly writeTimeoutMs: number;
  private readonly idleTimeoutMs: number;
  private readonly drainOpsMax: number;
  /** `check` FIFOs waiting for the verdict. */
  private readonly checks: ControlCommand[] = [];
  private readonly lateAbort = new AbortController();
  private lateLoop: Promise<void> | undefined;
  private opsServed = 0;
  private finished = false;

  constructor(options: FifoControllerOptions) {
    this.controlDir = options.controlDir;
    this.phaseSwitch = options.phaseSwitch ?? defaultPhaseSwitch;
    this.log = options.log ?? (() => {});
    this.signal = options.signal;
    this.readerWaitMs = options.readerWaitMs ?? 5_000;
    this.writeTimeoutMs = options.writeTimeoutMs ?? 10_000;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 3_600_000;
    this.drainOpsMax = options.drainOpsMax ?? 10_000;
    this.directory = new ControlDirectory({
      dir: options.controlDir,
      ...(options.scanEveryMs !== undefined && { scanEveryMs: options.scanEveryMs }),
      warn: (message) => this.log(`warning: ${message}`),
    });
  }

  /** Client ops run on command so far. */
  get served(): number {
    return this.opsServed;
  }

  /**
   * Serve `op-<id>` commands until `check` (or the idle timeout, or the
   * signal); then end the main phase. Pass it as `runTest`'s
   * `driveMainPhase`.
   */
  readonly driveMainPhase = async (runner: Runner): Promise<void> => {
    this.phaseSwitch.reset();
    this.directory.open();
    this.log(`control directory: ${this.controlDir} (waiting for op-<id> and check FIFOs)`);
    for (;;) {
      const command = await this.directory.next({
        timeoutMs: this.idleTimeoutMs,
        ...(this.signal && { signal: this.signal }),
      });
      if (command === undefined) {
        if (!(this.signal?.aborted || runner.wasInterrupted)) {
          this.log(`no command for ${Math.round(this.idleTimeoutMs / 1000)} s: ending the main phase`);
        }
        break;
      }
      if (command.kind === "check") {
        this.checks.push(command);
        this.log(`check: ending the main phase after ${this.opsServed} ops`);
        break;
      }
      await this.serveOp(runner, command);
      if (runner.wasInterrupted) break;
    }
    this.phaseSwitch.endMainPhase();
    this.lateLoop = this.answerLateCommands();
    await this.drain(runner);
  };

  /**
   * Write the verdict (one JSON line) into every `check` FIFO, answer
   * commands still waiting with an error, stop watching. Call it once the
   * checkers ran; call it (with an error line) on failure too, so no script
   * is left waiting.
   */
  async finish(verdictLine: string): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    this.lateAbort.abort();
    await this.lateLoop;
    const line = verdictLine.endsWith("\n") ? verdictLine : `${verdictLine}\n`;
    for (const command of this.checks.splice(0)) await this.answer(command, line);
    for (;;) {
      const command = await this.directory.next({ timeoutMs: 0 });
      if (!command) break;
      await this.answer(command, command.kind === "check" ? line : errorAnswer("the run has ended"));
    }
    this.directory.close();
  }

  /** Stop watching without answering (teardown after a failure before the main phase). */
  close(): void {
    this.finished = true;
    this.lateAbort.abort();
    this.directory.close();
  }

  private async serveOp(runner: Runner, command: ControlCommand): Promise<void> {
    // Wait for the reader before running the op: an op nobody will read is not run at all.
    const opened = await openFifoForWriting(command.path, {
      readerWaitMs: this.readerWaitMs,
      ...(this.signal && { signal: this.signal }),
    });
    if (opened.kind !== "open") {
      const why = opened.kind === "no-reader" ? `no reader within ${this.readerWaitMs} ms` : opened.message;
      this.log(`warning: dropping ${command.name}: ${why}`);
      this.directory.remove(command);
      return;
    }
    let line: string;
    let failure: unknown;
    try {
      const op: Op | undefined = await runner.stepOne();
      if (op) this.opsServed++;
      line = op ? `${opToJson(op)}\n` : `${JSON.stringify(EXHAUSTED_ANSWER)}\n`;
    } catch (error) {
      failure = error;
      line = errorAnswer(`the runner failed: ${describeError(error)}`);
    }
    const written = await writeAndClose(opened.fd, line, { timeoutMs: this.writeTimeoutMs });
    if (written !== "written") {
      this.log(
        `warning: ${command.name}: the answer was not delivered (${written}); the op stays in the history`,
      );
    }
    if (failure !== undefined) throw failure;
  }

  /** After `check`: the rest of a generator whose main phase the test marked itself, bounded. */
  private async drain(runner: Runner): Promise<void> {
    if (!this.phaseSwitch.usedByTest || runner.wasInterrupted) return;
    for (let ops = 0; ops < this.drainOpsMax; ops++) {
      if ((await runner.stepOne()) === undefined || runner.wasInterrupted) return;
    }
    this.log(
      `warning: the test's generator still had ops ${this.drainOpsMax} ops after its main phase ended; going on to the final phase`,
    );
  }

  /** Between `check` and the verdict: more `check`s wait for it, ops are told the main phase is over. */
  private async answerLateCommands(): Promise<void> {
    while (!this.lateAbort.signal.aborted) {
      const command = await this.directory.next({ timeoutMs: 60_000, signal: this.lateAbort.signal });
      if (!command) continue;
      if (command.kind === "check") this.checks.push(command);
      else await this.answer(command, errorAnswer("the main phase has ended (check was called)"));
    }
  }

  private async answer(command: ControlCommand, line: string): Promise<void> {
    const opened = await openFifoForWriting(command.path, { readerWaitMs: this.readerWaitMs });
    if (opened.kind !== "open") {
      this.log(
        `warning: dropping ${command.name}: ${opened.kind === "no-reader" ? "no reader" : opened.message}`,
      );
      this.directory.remove(command);
      return;
    }
    const written = await writeAndClose(opened.fd, line, { timeoutMs: this.writeTimeoutMs });
    if (written !== "written")
      this.log(`warning: ${command.name}: the answer was not delivered (${written})`);
  }
}
