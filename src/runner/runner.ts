/**
 * The runner: Jepsen's interpreter for Crucible.
 *
 * Order of a run, always the same: cluster start → client setup → nemesis
 * setup → main phase → final phase (heal, then quiescent client ops) →
 * nemesis teardown → connections closed → cluster stop → checkers →
 * results. Teardown steps run whatever happened before them.
 *
 * Workers pull ops from the generator; each op is journaled (invoke), sent to
 * its worker's client connection (or to the nemesis) with a per-op timeout,
 * and journaled again when it completes. A client that throws or hangs
 * yields an `info` op, never a crashed run: the worker then continues as a
 * fresh process with a fresh connection (Jepsen's rule).
 *
 * The loop is not buried in one closed function: `start`, `runMainPhase`,
 * `stepOne` (one op on external command, for the FIFO control protocol),
 * `runFinalPhase`, `teardown` and `check` can be called separately; `run`
 * calls them in order.
 */

import { existsSync } from "node:fs";
import { performance } from "node:perf_hooks";
import type { Actors } from "../actors/fixture.js";
import { actorExitOp } from "../actors/ops.js";
import type { ActorExit } from "../actors/types.js";
import { mergeValidity, runChecker } from "../checker/compose.js";
import type { Checker, CheckResult } from "../checker/types.js";
import type { ClientConnection } from "../client/types.js";
import type { Cluster } from "../cluster/types.js";
import { describeError, UsageError } from "../errors/index.js";
import type { NemesisContext } from "../faults/types.js";
import { healedKinds, isNeutralNemesisOp } from "../faults/vocabulary.js";
import { GeneratorDriver } from "../generator/_internals/driver.js";
import { any, clients, phases, timeLimit, nemesis as toNemesis } from "../generator/index.js";
import type { GenOp, WorkerId } from "../generator/types.js";
import { summarize } from "../history/analysis.js";
import { type Interval, monotonicNowNs, readIntervalLog } from "../history/intervals.js";
import { Journal } from "../history/journal.js";
import type { Completion, Op } from "../history/op.js";
import type { Results } from "../history/results.js";
import { describeValue, writableCompletion } from "../history/writable.js";
import { Random } from "../random/random.js";
import { STREAMS } from "../random/streams.js";
import { judgeEvidence } from "./evidence.js";
import type { RunOptions, TestSpec } from "./spec.js";

export interface RunnerConfig {
  spec: TestSpec;
  options: RunOptions;
  /** Where history.jsonl goes; node logs go to `<runDir>/nodes`. */
  runDir: string;
  /** Fires to stop the run early (Ctrl-C): in-flight ops are aborted and the run is marked incomplete. */
  signal?: AbortSignal;
  /** Human-readable lines (start of phases, faults, warnings). */
  log?: (line: string) => void;
}

export interface Progress {
  elapsedMs: number;
  timeLimitMs: number;
  phase: "setup" | "main" | "final" | "teardown" | "check" | "done";
  ops: number;
  ok: number;
  fail: number;
  info: number;
  /** The nemesis ops in effect, in words (e.g. "kill n2"). */
  faults: string[];
}

/**
 * What keeps a worker busy: an op that was journaled and awaits its
 * completion, or a sleep the generator asked for, which is journaled nowhere
 * and has no index.
 */
type FlightWork =
  | { readonly kind: "op"; readonly invoke: Op }
  | { readonly kind: "sleep"; readonly durationNs: number };

/**
 * One op (or sleep) in flight. Its abort signal is made only when the client asks for
 * it: most calls never look, and an AbortController per op was a tenth of
 * the runner's time.
 */
class InFlight {
  readonly work: FlightWork;
  readonly deadlineNs: number;
  /** Set when the op has been completed (by its client or by the timeout sweep). */
  settled = false;
  private controller: AbortController | undefined;
  private abortReason: Error | undefined;

  constructor(work: FlightWork, deadlineNs: number) {
    this.work = work;
    this.deadlineNs = deadlineNs;
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.abortReason) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  abort(reason: Error): void {
    if (this.abortReason) return;
    this.abortReason = reason;
    this.controller?.abort(reason);
  }
}

interface PendingCompletion {
  worker: WorkerId;
  flight: InFlight;
  completion: Completion;
}

const NEMESIS: WorkerId = "nemesis";
/** How long the loop waits for a completion when the generator is pending with nothing in flight. */
const PENDING_POLL_MS = 5;
/** How long teardown waits for the cluster to stop. */
const CLUSTER_STOP_TIMEOUT_MS = 60_000;
/** How long teardown waits for the clients' close() calls. */
const CLOSE_TIMEOUT_MS = 5_000;
/** How long a worker waits before opening a connection again after a failed open. */
const OPEN_RETRY_BACKOFF_MS = 100;
/** Nemesis ops may legitimately take long (a restart waits for readiness); they get this timeout. */
const NEMESIS_TIMEOUT_MS = 120_000;

/** Enough of the Cluster shape for the runner to drive it and stop it. */
function isCluster(value: unknown): value is Cluster {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as Partial<Cluster>;
  return Array.isArray(candidate.nodes) && typeof candidate.stop === "function";
}

export class Runner {
  readonly spec: TestSpec;
  readonly options: RunOptions;
  readonly runDir: string;
  readonly random: Random;
  /** Every op journaled so far, in order. */
  readonly history: Op[] = [];
  readonly notes: string[] = [];
  /** History index at which the final phase began (undefined until it does): what evidence calls final. */
  private finalPhaseStartIndex: number | undefined;
  /** A bound teardown had to enforce (a hung close()): the run did not end cleanly, exit 3. */
  private teardownFailure: string | undefined;
  cluster: Cluster | undefined;
  actors: Actors | undefined;
  /** The run's time zero on CLOCK_MONOTONIC (ns): what interval log times are shifted by. */
  monotonicOriginNs = 0n;
  /** Actor exits seen while the nemesis lane had an op open: journaled right after its completion. */
  private readonly pendingActorExits: { exit: ActorExit; atNs: number }[] = [];

  private readonly log: (line: string) => void;
  private readonly stopSignal: AbortSignal;
  private readonly journal: Journal;
  private readonly concurrency: number;
  private readonly opTimeoutMs: number;
  private readonly timeLimitMs: number;
  /** Who is free, which process each worker is, what to ask the generator: shared with `simulate`. */
  private readonly driver: GeneratorDriver;
  private readonly connections = new Map<number, Promise<ClientConnection>>();
  /** When each worker's last connection attempt failed (performance.now() ms). */
  private readonly openFailedAtMs = new Map<number, number>();
  private readonly inFlight = new Map<WorkerId, InFlight>();
  private readonly completions: PendingCompletion[] = [];
  private readonly nemesisRandom: Random;
  private readonly runAbort = new AbortController();
  /** The last nemesis call, settled or not: the next one starts after it. */
  private nemesisChain: Promise<unknown> = Promise.resolve();
  /** Fires on Ctrl-C during the check phase: checkers stop and answer unknown. */
  private readonly checkAbort = new AbortController();
  private wake: (() => void) | undefined;
  private startMs = 0;
  private phase: Progress["phase"] = "setup";
  private counts = { ok: 0, fail: 0, info: 0 };
  private activeFaults = new Map<string, string>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private interrupted = false;

  constructor(config: RunnerConfig) {
    this.spec = config.spec;
    this.options = config.options;
    this.runDir = config.runDir;
    this.log = config.log ?? (() => {});
    this.stopSignal = config.signal ?? new AbortController().signal;
    this.random = new Random(config.options.seed);
    this.concurrency = config.spec.concurrency ?? config.options.concurrency;
    this.opTimeoutMs = config.spec.opTimeoutMs ?? config.options.opTimeoutMs;
    this.timeLimitMs = config.spec.timeLimitMs ?? config.options.timeLimitMs;
    if (!(Number.isInteger(this.concurrency) && this.concurrency >= 1)) {
      throw new RangeError(`concurrency must be a positive integer, got ${this.concurrency}`);
    }
    this.journal = new Journal(`${config.runDir}/history.jsonl`);
    const clientGenerator = clients(this.spec.generator);
    const main = this.spec.nemesis
      ? any(clientGenerator, toNemesis(this.spec.nemesis.generator))
      : clientGenerator;
    this.driver = new GeneratorDriver({
      generator: timeLimit(this.timeLimitMs, main),
      concurrency: this.concurrency,
      nemesis: Boolean(this.spec.nemesis),
      random: this.random.fork(STREAMS.generator.label),
    });
    this.nemesisRandom = this.random.fork(STREAMS.nemesisExec.label);
    if (this.stopSignal.aborted) this.interrupted = true;
    else this.stopSignal.addEventListener("abort", () => this.interrupt(), { once: true });
  }

  /** Nanoseconds since the run started (monotonic). */
  nowNs(): number {
    return Math.round((performance.now() - this.startMs) * 1e6);
  }

  progress(): Progress {
    return {
      elapsedMs: this.phase === "setup" ? 0 : performance.now() - this.startMs,
      timeLimitMs: this.timeLimitMs,
      phase: this.phase,
      ops: this.counts.ok + this.counts.fail + this.counts.info,
      ...this.counts,
      faults: [...this.activeFaults.values()],
    };
  }

  /** Start the cluster, set up the client and the nemesis. */
  async start(): Promise<void> {
    this.startMs = performance.now();
    if (this.spec.cluster) {
      this.log(`starting cluster`);
      const cluster: unknown = await this.spec.cluster({
        random: this.random.fork(STREAMS.cluster.label),
        logDir: `${this.runDir}/nodes`,
        options: this.options,
        signal: this.runAbort.signal,
      });
      if (!isCluster(cluster)) {
        // Stop whatever it did start, if it can be stopped, before saying so.
        await (cluster as { stop?: () => Promise<void> } | undefined)?.stop?.().catch(() => {});
        throw new UsageError(
          `the test's cluster() resolved to ${describeValue(cluster, "value")}; expected a cluster (nodes and stop(), e.g. from startCluster)`,
        );
      }
      this.cluster = cluster;
      if (this.cluster.variant) this.log(`cluster variant: ${this.cluster.variant}`);
    }
    const asked = this.options.variant;
    if (asked !== undefined && this.cluster?.variant !== asked) {
      // A replay that silently ran another configuration would claim what it did not test.
      throw new UsageError(
        this.cluster === undefined
          ? "the test starts no cluster, so there is no variant to choose"
          : `the test's cluster() ran ${this.cluster.variant === undefined ? "no variant" : `variant ${JSON.stringify(this.cluster.variant)}`}; pass ctx.options.variant to startCluster`,
        undefined,
        { setting: { name: "variant", value: asked } },
      );
    }
    const firstNode = this.cluster?.nodes[0];
    await this.spec.client.setup?.({
      cluster: this.cluster,
      node: firstNode,
      worker: 0,
      signal: this.runAbort.signal,
    });
    await this.spec.nemesis?.nemesis.setup?.(this.nemesisContext());
    // Time zero is when the workload may begin: setup time is not part of the history.
    this.startMs = performance.now();
    // performance.now() is CLOCK_MONOTONIC-based on Linux: the clock interval logs are written in.
    this.monotonicOriginNs = monotonicNowNs() - BigInt(this.nowNs());
    if (this.spec.actors) {
      this.log("starting actors");
      this.actors = await this.spec.actors({
        random: this.random.fork(STREAMS.actors.label),
        cluster: this.cluster,
        logDir: `${this.runDir}/actors`,
        intervalLogPath: this.intervalLogPath,
        onExit: (exit) => this.onActorExit(exit),
        options: this.options,
        signal: this.runAbort.signal,
      });
    }
    const sweepEveryMs = Math.max(5, Math.min(100, Math.floor(this.opTimeoutMs / 4)));
    // Not unref'd: while ops are in flight this timer is what keeps Node waiting for them, so an
    // invoke that never settles times out as info instead of Node exiting (code 13) with nothing
    // left to wait on. Teardown clears it.
    this.sweepTimer = setInterval(() => this.sweepTimeouts(), sweepEveryMs);
  }

  /** Run the main phase until its generator is exhausted (time limit) or the run is stopped. */
  async runMainPhase(): Promise<void> {
    this.phase = "main";
    await this.drive(Number.POSITIVE_INFINITY);
  }

  /**
   * Run exactly one client op of the main phase to completion and return its
   * completion; undefined when the main phase has no more ops. Used by
   * external control (one op per call), so it must not start the nemesis'
   * schedule on its own: nemesis ops it meets are run too, but only client
   * completions are returned.
   */
  async stepOne(): Promise<Op | undefined> {
    this.phase = "main";
    const before = this.history.length;
    await this.drive(1);
    for (let i = this.history.length - 1; i >= before; i--) {
      const op = this.history[i]!;
      if (op.type !== "invoke" && op.process !== "nemesis") return op;
    }
    return undefined;
  }

  /** Heal every fault (the nemesis' final generator), then run the test's final client ops. */
  async runFinalPhase(): Promise<void> {
    if (this.interrupted) return;
    this.phase = "final";
    this.finalPhaseStartIndex = this.history.length;
    this.log("final phase: healing faults, then final ops");
    const heal = this.spec.nemesis?.finalGenerator;
    this.driver.replace(
      phases(
        heal ? toNemesis(heal) : null,
        this.spec.finalGenerator ? clients(this.spec.finalGenerator) : null,
      ),
    );
    await this.drive(Number.POSITIVE_INFINITY);
  }

  /** Heal (nemesis teardown), close connections, stop the cluster. Never throws; problems become notes. */
  async teardown(): Promise<void> {
    this.phase = "teardown";
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.runAbort.abort(new Error("run is ending"));
    await this.attempt("waiting for the last nemesis call", async () => {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.nemesisChain,
        new Promise((resolve) => {
          timer = setTimeout(resolve, NEMESIS_TIMEOUT_MS);
        }),
      ]);
      clearTimeout(timer);
    });
    await this.attempt("nemesis teardown", async () =>
      this.spec.nemesis?.nemesis.teardown?.(this.nemesisContext(AbortSignal.timeout(NEMESIS_TIMEOUT_MS))),
    );
    const closing = [...this.connections.values()].map((connection) =>
      connection.then((open) => open.close()).catch(() => {}),
    );
    this.connections.clear();
    await this.attempt("closing client connections", async () => {
      // A ref'd bound: a close() that never settles must neither hang the run nor let Node exit early.
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), CLOSE_TIMEOUT_MS);
      });
      const outcome = await Promise.race([Promise.all(closing), bound]);
      clearTimeout(timer);
      if (outcome === "timeout") {
        this.teardownFailure = `a client's close() did not settle within ${CLOSE_TIMEOUT_MS} ms`;
        throw new Error(this.teardownFailure);
      }
    });
    await this.attempt("closing the actors", async () => {
      await this.actors?.close();
      this.flushActorExits(true);
    });
    await this.attempt("stopping the cluster", async () => {
      if (!this.cluster) return;
      // Bounded: the fixtures' exit hooks and watchdog still kill whatever a stuck stop leaves.
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no stop within ${CLUSTER_STOP_TIMEOUT_MS} ms`)),
          CLUSTER_STOP_TIMEOUT_MS,
        );
      });
      try {
        await Promise.race([this.cluster.stop(), deadline]);
      } finally {
        clearTimeout(timer);
      }
    });
    this.journal.close();
  }

  /** Run the test's checkers over the history. */
  async check(): Promise<Results> {
    this.phase = "check";
    const checkers: readonly Checker[] = Array.isArray(this.spec.checker)
      ? (this.spec.checker as readonly Checker[])
      : [this.spec.checker as Checker];
    const results: Record<string, CheckResult> = {};
    const intervals = this.readIntervals();
    for (const checker of checkers) {
      results[checker.name] = await runChecker(
        checker,
        this.history,
        { signal: this.checkAbort.signal, ...(intervals ? { intervals } : {}) },
        this.spec.checkerTimeoutMs === undefined ? {} : { timeoutMs: this.spec.checkerTimeoutMs },
      );
    }
    this.phase = "done";
    const checked = mergeValidity(Object.values(results).map((result) => result.valid));
    // Valid needs evidence: a dead cluster passes most checkers (failed ops constrain nothing).
    const evidence = judgeEvidence(this.history, { finalPhaseStartIndex: this.finalPhaseStartIndex });
    return {
      valid: checked === true && !evidence.sufficient ? "unknown" : checked,
      evidence: { sufficient: evidence.sufficient, reasons: [...evidence.reasons] },
      checkers: results,
      complete: !this.interrupted && this.teardownFailure === undefined,
      ...(this.interrupted && {
        error: "the run was interrupted; the verdict covers the history recorded so far",
      }),
      ...(!this.interrupted && this.teardownFailure !== undefined && { error: this.teardownFailure }),
      stats: summarize(this.history),
      notes: [...(this.cluster?.notes ?? []), ...this.notes],
      // Without the origin the stored log cannot be placed on the history's axis again.
      ...(existsSync(this.intervalLogPath) && { intervalOriginNs: String(this.monotonicOriginNs) }),
    };
  }

  /** `<run dir>/intervals.jsonl`: where a test's holders append their interval records. */
  get intervalLogPath(): string {
    return `${this.runDir}/intervals.jsonl`;
  }

  /** The interval log on the run's time axis; undefined when the test wrote none. */
  private readIntervals(): readonly Interval[] | undefined {
    if (!existsSync(this.intervalLogPath)) return undefined;
    return readIntervalLog(this.intervalLogPath, {
      originNs: this.monotonicOriginNs,
      onWarning: (message) => this.notes.push(message),
    });
  }

  private onActorExit(exit: ActorExit): void {
    this.pendingActorExits.push({ exit, atNs: this.nowNs() });
    this.flushActorExits(false);
  }

  /**
   * Journal pending actor exits as nemesis-lane invoke/info pairs, unless the
   * nemesis lane has an op open (readers insist that a process alternates
   * invocation and completion): then they wait for its completion.
   */
  private flushActorExits(force: boolean): void {
    if (!force && this.inFlight.get(NEMESIS)?.work.kind === "op") return;
    for (const { exit, atNs } of this.pendingActorExits.splice(0)) {
      const { f, value } = actorExitOp(exit, atNs);
      const time = this.nowNs();
      this.record({ index: this.history.length, time, type: "invoke", process: "nemesis", f, value });
      this.record({ index: this.history.length, time, type: "info", process: "nemesis", f, value });
    }
  }

  /** The whole run, in order; teardown always runs. */
  async run(): Promise<Results> {
    try {
      await this.start();
      await this.runMainPhase();
      await this.runFinalPhase();
    } finally {
      await this.teardown();
    }
    return this.check();
  }

  /** Stop dispatching and abort every op in flight (Ctrl-C). */
  interrupt(): void {
    if (this.phase === "check") this.checkAbort.abort(new Error("run interrupted"));
    if (this.interrupted) return;
    this.interrupted = true;
    this.log("interrupted: aborting ops in flight");
    for (const [worker, flight] of this.inFlight) {
      flight.abort(new Error("run interrupted"));
      // A sleep has nothing to abort: end it now (its timer's late settle is ignored).
      if (flight.work.kind === "sleep") this.settle(worker, flight, { type: "ok" });
    }
    this.wake?.();
  }

  get wasInterrupted(): boolean {
    return this.interrupted;
  }

  /**
   * Nemesis calls run one after another, even when one outlived its timeout
   * (recorded info) and the worker moved on: two fault or heal calls at once
   * would race on the nemesis' own bookkeeping of what it broke.
   */
  private invokeNemesis(invoke: Op, flight: InFlight): Promise<Completion> {
    const call = this.nemesisChain.then(() =>
      this.spec.nemesis!.nemesis.invoke(invoke, this.nemesisContext(flight.signal)),
    );
    this.nemesisChain = call.catch(() => {});
    return call;
  }

  private timeoutMsOf(worker: WorkerId): number {
    return worker === NEMESIS ? NEMESIS_TIMEOUT_MS : this.opTimeoutMs;
  }

  private nemesisContext(signal: AbortSignal = this.runAbort.signal): NemesisContext {
    return {
      cluster: this.cluster,
      random: this.nemesisRandom,
      signal,
      log: (message) => this.log(`nemesis: ${message}`),
    };
  }

  private async attempt(what: string, action: () => Promise<unknown>): Promise<void> {
    try {
      await action();
    } catch (error) {
      const note = `${what} failed: ${describeError(error)}`;
      this.notes.push(note);
      this.log(note);
    }
  }

  // --- the loop -----------------------------------------------------------

  /**
   * Drive the current generator until it is exhausted (and every op it
   * started has completed), until `maxClientInvokes` client ops were started
   * and completed, or until the run is interrupted.
   */
  private async drive(maxClientInvokes: number): Promise<void> {
    const driver = this.driver;
    let clientInvokes = 0;
    for (;;) {
      this.drainCompletions();
      if (this.interrupted || clientInvokes >= maxClientInvokes) {
        if (driver.busy === 0) {
          this.journal.flush();
          return;
        }
        await this.waitForCompletion(PENDING_POLL_MS * 20);
        continue;
      }
      const now = this.nowNs();
      const poll = driver.poll(now);
      if (poll.kind === "done") {
        if (driver.busy === 0) {
          this.journal.flush();
          return;
        }
        await this.waitForCompletion(Number.POSITIVE_INFINITY);
        continue;
      }
      if (poll.kind === "pending") {
        await this.waitForCompletion(driver.busy === 0 ? PENDING_POLL_MS : 100);
        continue;
      }
      const waitNs = poll.op.time - now;
      // Something may complete before the op is due; then the generator is asked again.
      if (waitNs > 0 && ((await this.waitForCompletion(waitNs / 1e6)) || this.interrupted)) continue;
      const { op, worker } = driver.take();
      if (this.dispatch(op, worker) && op.process !== "nemesis") clientInvokes++;
    }
  }

  /** Wait until a completion arrives or `timeoutMs` passes; true when one arrived. */
  private waitForCompletion(timeoutMs: number): Promise<boolean> {
    // Nothing acts on a journaled op before this: client calls start in the microtasks that run once we yield.
    this.journal.flush();
    if (this.completions.length > 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      this.wake = () => {
        this.wake = undefined;
        if (timer) clearTimeout(timer);
        resolve(true);
      };
      if (Number.isFinite(timeoutMs)) {
        timer = setTimeout(
          () => {
            this.wake = undefined;
            resolve(false);
          },
          Math.max(0, timeoutMs),
        );
      }
    });
  }

  /** Start an op on its worker; returns the journaled invocation (undefined for sleep/log ops). */
  private dispatch(genOp: GenOp, worker: WorkerId): Op | undefined {
    const { type, time: _time, process, f, value, ...extra } = genOp;
    if (type === "log") {
      this.log(String(value));
      return undefined;
    }
    if (type === "sleep") {
      const durationNs = Number(value);
      const flight = new InFlight({ kind: "sleep", durationNs }, Number.POSITIVE_INFINITY);
      this.inFlight.set(worker, flight);
      setTimeout(() => this.settle(worker, flight, { type: "ok" }), durationNs / 1e6);
      return undefined;
    }
    const invoke: Op = {
      index: this.history.length,
      time: this.nowNs(),
      type: "invoke",
      process,
      f,
      value,
      ...extra,
    };
    this.record(invoke);
    this.driver.invoked(invoke);
    const timeoutMs = this.timeoutMsOf(worker);
    const flight = new InFlight({ kind: "op", invoke }, invoke.time + timeoutMs * 1e6);
    this.inFlight.set(worker, flight);
    if (worker === NEMESIS) this.journal.flush(); // a fault may be applied before the nemesis' first await
    const call =
      typeof worker !== "number"
        ? this.invokeNemesis(invoke, flight)
        : this.connection(worker).then(
            (connection) => connection.invoke(invoke, flight),
            // The op was never sent, so it certainly did not happen.
            (error: unknown): Completion => ({
              type: "fail",
              error: `could not open a connection: ${describeError(error)}`,
            }),
          );
    call.then(
      (completion) => this.settle(worker, flight, completion),
      (error: unknown) => this.settle(worker, flight, { type: "info", error: describeError(error) }),
    );
    return invoke;
  }

  /** A client call finished (or timed out): queue its completion for the loop. */
  private settle(worker: WorkerId, flight: InFlight, completion: Completion): void {
    if (flight.settled) return; // the timeout sweep got there first; a late answer is ignored
    flight.settled = true;
    this.completions.push({ worker, flight, completion });
    this.wake?.();
  }

  private sweepTimeouts(): void {
    const now = this.nowNs();
    for (const [worker, flight] of this.inFlight) {
      if (flight.settled || flight.deadlineNs > now) continue;
      const timeoutMs = this.timeoutMsOf(worker);
      flight.abort(new Error(`timed out after ${timeoutMs} ms`));
      this.settle(worker, flight, { type: "info", error: `timed out after ${timeoutMs} ms` });
    }
  }

  private drainCompletions(): void {
    while (this.completions.length > 0) {
      const { worker, flight, completion } = this.completions.shift()!;
      this.inFlight.delete(worker);
      if (flight.work.kind === "sleep") {
        this.driver.woke(worker); // a sleep ended
        continue;
      }
      const { invoke } = flight.work;
      // Checked before it is journaled: a value JSON cannot hold becomes an info op saying why.
      const op = writableCompletion(this.completionOp(invoke, completion), invoke);
      this.record(op);
      if (op.process === "nemesis") {
        this.trackFaults(op);
        this.flushActorExits(false);
      } else this.counts[op.type as "ok" | "fail" | "info"]++;
      // After info the driver moves the worker to a new process (Jepsen's rule); it gets a fresh connection too.
      this.driver.completed(op);
      if (typeof worker !== "number") continue;
      if ((completion as { connectionLost?: unknown } | undefined)?.connectionLost === true) {
        // The client says its connection is dead: reopen after the back-off, as after a failed open.
        this.openFailedAtMs.set(worker, performance.now());
        this.dropConnection(worker);
      } else if (op.type === "info") this.dropConnection(worker);
    }
  }

  private completionOp(invoke: Op, completion: Completion): Op {
    const valid =
      completion && (completion.type === "ok" || completion.type === "fail" || completion.type === "info");
    if (!valid) {
      return {
        ...invoke,
        index: this.history.length,
        time: this.nowNs(),
        type: "info",
        error: `client returned an invalid completion: ${describeValue(completion, "completion")}`,
      };
    }
    const { type, value, error, node, connectionLost: _connectionLost, ...extra } = completion;
    // Extra fields first: a client returning `{ ...op, type: "ok" }` must not overwrite the
    // completion's own index, time, process or f with the invocation's.
    const op: Op = {
      ...extra,
      index: this.history.length,
      time: this.nowNs(),
      type,
      process: invoke.process,
      f: invoke.f,
      value: value === undefined ? invoke.value : value,
    };
    if (invoke.key !== undefined) op.key = invoke.key;
    if (node !== undefined) op.node = node;
    if (error !== undefined) op.error = error;
    return op;
  }

  private record(op: Op): void {
    this.journal.append(op);
    this.history.push(op);
  }

  private trackFaults(op: Op): void {
    if (op.type === "fail") return;
    const valueText = op.value === undefined || op.value === null ? "" : ` ${JSON.stringify(op.value)}`;
    // The full value is in the history; a log line only needs to say what happened.
    const what = `${op.f}${valueText.length > 120 ? `${valueText.slice(0, 119)}…` : valueText}`;
    this.log(`fault: ${what}${op.type === "info" ? ` (outcome unknown: ${op.error ?? ""})` : ""}`);
    if (isNeutralNemesisOp(op.f)) return;
    const healed = healedKinds(op.f);
    if (healed.length === 0) this.activeFaults.set(op.f, what);
    else if (op.type === "ok") for (const kind of healed) this.activeFaults.delete(kind);
  }

  private connection(worker: number): Promise<ClientConnection> {
    let connection = this.connections.get(worker);
    if (!connection) {
      const nodes = this.cluster?.nodes ?? [];
      const node = nodes.length ? nodes[worker % nodes.length] : undefined;
      const open = () =>
        this.spec.client.open({ cluster: this.cluster, node, worker, signal: this.runAbort.signal });
      // After a failed open (a killed node refuses at once), wait out the backoff before the next
      // attempt: the worker stays busy meanwhile, instead of filling the history with instant fails.
      const lastFailedMs = this.openFailedAtMs.get(worker);
      const waitMs =
        lastFailedMs === undefined ? 0 : lastFailedMs + OPEN_RETRY_BACKOFF_MS - performance.now();
      connection = waitMs > 0 ? new Promise((resolve) => setTimeout(resolve, waitMs)).then(open) : open();
      // A failed open is not cached: the next op tries again.
      const opening = connection;
      opening.then(
        () => this.openFailedAtMs.delete(worker),
        () => {
          // Only if it is still this worker's connection: a later one may have replaced it.
          if (this.connections.get(worker) === opening) this.connections.delete(worker);
          this.openFailedAtMs.set(worker, performance.now());
        },
      );
      this.connections.set(worker, connection);
    }
    return connection;
  }

  private dropConnection(worker: number): void {
    const connection = this.connections.get(worker);
    if (!connection) return;
    this.connections.delete(worker);
    connection.then((open) => open.close()).catch(() => {});
  }
}
