/**
 * Actors: processes that are clients of the system under test, not nodes of
 * it. A lock wrapper (`etcdctl lock --ttl 5 -- child`), a command-line user
 * with its own home dir and local database, a cron that must run once per
 * tick.
 *
 * ```ts
 * await using actors = await startActors({
 *   count: 4,
 *   command: "etcdctl",
 *   args: (actor) => ["lock", "--ttl", "5", "job", "--", "sh", "-c", "sleep 15"],
 *   env: (actor) => ({ ETCDCTL_ENDPOINTS: endpoints }),
 *   onExit: (exit) => console.log(exit.actor, exit.code, exit.signal),
 * });
 * await actors.get("a2").pause();
 * ```
 *
 * Each actor gets a name (`a1`, `a2`, ...), its own home and data dir under
 * one temp dir (0700; tmpfs by default, like cluster nodes), its own
 * environment (`HOME`, {@link ACTOR_ENV} and the caller's) and a log file.
 * Its process runs in its own process group, registered with the exit
 * handler and the orphan watchdog (the cluster's, ../cluster/process.ts):
 * a signal reaches its children and grandchildren, and nothing outlives the
 * runner however it ends (normal end, error, SIGINT, SIGKILL).
 *
 * Every exit is recorded, with its code, signal and cause (`exited` by
 * itself, or the `stop`/`kill`/`close` that ended it), in `actor.exits` and
 * through `onExit`, which the runner wires into the history journal.
 * With `respawn`, an actor whose run ended by itself or by `kill()` is
 * started again after `respawn.delayMs` (a wrapper in a loop); `stop()`
 * holds it stopped until `start()`.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { registerDir, registerStopper, unregisterDir } from "../cluster/cleanup.js";
import { type ExitStatus, KILL_WAIT_MS, ManagedProcess, waitUntilStopped } from "../cluster/process.js";
import { defaultBaseDir } from "../cluster/system.js";
import { createWatchedDir, unwatchDir } from "../cluster/watchdog.js";
import { runCommand } from "./exec.js";
import type { Actor, ActorExit, ActorExitCause, ActorSpec, ExecOptions, ExecResult } from "./types.js";

/** The environment variables every actor gets, besides `HOME`. */
export const ACTOR_ENV = {
  /** The actor's name (`a2`). */
  name: "CRUCIBLE_ACTOR",
  /** The actor's home dir (also `HOME`). */
  home: "CRUCIBLE_ACTOR_HOME",
  /** The actor's data dir. */
  dataDir: "CRUCIBLE_ACTOR_DATA",
} as const;

/** Default grace between SIGTERM and SIGKILL in `stop()`. */
export const ACTOR_STOP_GRACE_MS = 5_000;

/** Most actors one fixture starts: a bound, since each is a process on a shared machine. */
export const ACTORS_MAX = 256;

type PerActor<T> = T | ((actor: ActorSpec) => T);

export interface ActorsOptions {
  /** How many actors; default `names.length`, else 1. */
  readonly count?: number;
  /** Their names; default `a1`..`a<count>`. Names must be unique and safe as file names. */
  readonly names?: readonly string[];
  /** The program each actor runs (looked up in `PATH`). */
  readonly command: PerActor<string>;
  readonly args?: PerActor<readonly string[]>;
  /** Extra environment, on top of the runner's (unless `inheritEnv` is false) and the actor's own. */
  readonly env?: PerActor<Readonly<Record<string, string>>>;
  /** Start from the runner's environment (default true); false starts from `PATH` alone. */
  readonly inheritEnv?: boolean;
  /** Working dir of each run; default the actor's home. */
  readonly cwd?: PerActor<string>;
  /** Start every actor before returning (default true); false leaves them for `actor.start()`. */
  readonly autoStart?: boolean;
  /** Start the actor again after a run that ended by itself or by `kill()`. Default: never. */
  readonly respawn?: { readonly delayMs: number };
  /** Grace between SIGTERM and SIGKILL in `stop()`; default {@link ACTOR_STOP_GRACE_MS}. */
  readonly stopGraceMs?: number;
  /** Called on every exit of every actor (the runner journals it). Must not throw. */
  readonly onExit?: (exit: ActorExit) => void;
  /** Put actor logs here (`<logDir>/<name>.log`), e.g. the run's `actors/`; default inside the temp dir. */
  readonly logDir?: string;
  /** Parent of the temp dir; default as clusters (`/dev/shm`, else the OS temp dir). */
  readonly baseDir?: string;
  /** Keep the temp dir (homes, data, logs) after close. Default false. */
  readonly keep?: boolean;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

const perActor = <T>(value: PerActor<T> | undefined, spec: ActorSpec): T | undefined =>
  typeof value === "function" ? (value as (actor: ActorSpec) => T)(spec) : value;

class LocalActor implements Actor {
  readonly name: string;
  readonly index: number;
  readonly home: string;
  readonly dataDir: string;
  readonly logPath: string;
  readonly env: Readonly<Record<string, string>>;
  private readonly command: string;
  private readonly args: readonly string[];
  private readonly cwd: string;
  private process: ManagedProcess | undefined;
  private paused = false;
  private runs = 0;
  /** What the fixture did to end the current run; undefined while nothing has. */
  private ending: ActorExitCause | undefined;
  /** Set by stop() and close(): no respawn until start(). */
  private held = false;
  private closed = false;
  private respawnTimer: NodeJS.Timeout | undefined;
  private exitPromise: Promise<ActorExit>;
  private resolveFirst!: (exit: ActorExit) => void;
  private readonly exitList: ActorExit[] = [];

  constructor(
    spec: ActorSpec,
    private readonly options: ActorsOptions,
  ) {
    this.name = spec.name;
    this.index = spec.index;
    this.home = spec.home;
    this.dataDir = spec.dataDir;
    this.logPath = spec.logPath;
    this.command = perActor(options.command, spec) ?? "";
    if (this.command === "") throw new RangeError(`startActors: ${spec.name}: command is empty`);
    this.args = perActor(options.args, spec) ?? [];
    this.cwd = perActor(options.cwd, spec) ?? spec.home;
    this.env = {
      ...perActor(options.env, spec),
      HOME: spec.home,
      [ACTOR_ENV.name]: spec.name,
      [ACTOR_ENV.home]: spec.home,
      [ACTOR_ENV.dataDir]: spec.dataDir,
    };
    this.exitPromise = new Promise<ActorExit>((resolve) => {
      this.resolveFirst = resolve;
    });
  }

  get pid(): number | undefined {
    return this.process?.isRunning() ? this.process.pid : undefined;
  }

  get exited(): Promise<ActorExit> {
    return this.exitPromise;
  }

  get exits(): readonly ActorExit[] {
    return this.exitList;
  }

  isRunning(): boolean {
    return this.process?.isRunning() ?? false;
  }

  isPaused(): boolean {
    return this.paused && this.isRunning();
  }

  private baseEnv(): Record<string, string | undefined> {
    return this.options.inheritEnv === false
      ? { PATH: process.env.PATH ?? "/usr/bin:/bin" }
      : { ...process.env };
  }

  async start(): Promise<void> {
    if (this.closed) throw new Error(`actor ${this.name}: the fixture is closed`);
    this.held = false;
    clearTimeout(this.respawnTimer);
    this.respawnTimer = undefined;
    if (this.isRunning()) return;
    this.ending = undefined;
    this.paused = false;
    const startedMs = performance.now();
    const proc = await ManagedProcess.spawn({
      command: this.command,
      args: this.args,
      env: { ...this.baseEnv(), ...this.env },
      cwd: this.cwd,
      logPath: this.logPath,
    });
    // An actor left running must not keep the runner alive; the exit handler and the watchdog kill it.
    proc.unref();
    this.process = proc;
    this.runs += 1;
    const run = this.runs;
    // Each run has its own exit promise, resolved by its own exit (an old run's late exit cannot resolve a new one).
    let resolveRun!: (exit: ActorExit) => void;
    if (run > 1)
      this.exitPromise = new Promise<ActorExit>((resolve) => {
        resolveRun = resolve;
      });
    else resolveRun = this.resolveFirst;
    void proc.exited.then((status) => this.onExited(proc, status, run, startedMs, resolveRun));
  }

  private onExited(
    proc: ManagedProcess,
    status: ExitStatus,
    run: number,
    startedMs: number,
    resolveRun: (exit: ActorExit) => void,
  ): void {
    const exit: ActorExit = {
      actor: this.name,
      pid: proc.pid,
      code: status.code,
      signal: status.signal,
      cause: this.ending ?? "exited",
      durationMs: performance.now() - startedMs,
      run,
    };
    if (this.process === proc) this.paused = false;
    this.exitList.push(exit);
    resolveRun(exit);
    this.options.onExit?.(exit);
    const respawn = this.options.respawn;
    if (respawn && !this.held && !this.closed && (exit.cause === "exited" || exit.cause === "kill")) {
      this.respawnTimer = setTimeout(
        () => {
          this.respawnTimer = undefined;
          if (this.held || this.closed || this.isRunning()) return;
          // An actor that cannot be spawned again is an operating error: it is recorded as not running.
          this.start().catch(() => {});
        },
        Math.max(0, respawn.delayMs),
      );
      this.respawnTimer.unref();
    }
  }

  /** The exit of the run `proc` is, once it has been recorded. */
  private async exitOf(proc: ManagedProcess): Promise<ActorExit | undefined> {
    await proc.exited;
    return this.exitList.find((exit) => exit.pid === proc.pid);
  }

  async stop(timeoutMs = this.options.stopGraceMs ?? ACTOR_STOP_GRACE_MS): Promise<ActorExit | undefined> {
    this.held = true;
    clearTimeout(this.respawnTimer);
    const proc = this.process;
    if (!proc?.isRunning()) return undefined;
    this.ending ??= "stop";
    await proc.stop(timeoutMs);
    return this.exitOf(proc);
  }

  async kill(): Promise<ActorExit | undefined> {
    const proc = this.process;
    if (!proc?.isRunning()) return undefined;
    this.ending ??= "kill";
    await proc.kill(KILL_WAIT_MS);
    return this.exitOf(proc);
  }

  async pause(): Promise<void> {
    const proc = this.process;
    if (!proc?.signal("SIGSTOP")) return;
    this.paused = true;
    // Resolves once it is stopped (bounded): SIGSTOP takes effect asynchronously.
    await waitUntilStopped(proc.pid);
  }

  async resume(): Promise<void> {
    this.process?.signal("SIGCONT");
    this.paused = false;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async exec(argv: readonly string[], options: ExecOptions): Promise<ExecResult> {
    return runCommand({
      argv,
      env: { ...this.baseEnv(), ...this.env, ...options.env },
      cwd: options.cwd ?? this.home,
      timeoutMs: options.timeoutMs,
      input: options.input,
      maxOutputBytes: options.maxOutputBytes,
    });
  }

  /** End for good: SIGKILL (no grace; `stop()` first for a graceful end), no respawn. */
  async close(): Promise<void> {
    this.held = true;
    this.closed = true;
    clearTimeout(this.respawnTimer);
    const proc = this.process;
    if (!proc?.isRunning()) return;
    this.ending ??= "close";
    await proc.kill(KILL_WAIT_MS);
    await this.exitOf(proc);
  }
}

/** Started actors; dispose (or `close()`) to end every one and remove their temp dir. */
export class Actors implements AsyncDisposable {
  readonly list: readonly Actor[];
  /** The temp dir holding every actor's home and data dir. */
  readonly runDir: string;
  private readonly byName: ReadonlyMap<string, LocalActor>;
  private readonly keep: boolean;
  private closing: Promise<void> | undefined;
  private readonly unregister: () => void;

  constructor(actors: readonly LocalActor[], runDir: string, keep: boolean) {
    this.list = actors;
    this.byName = new Map(actors.map((actor) => [actor.name, actor]));
    this.runDir = runDir;
    this.keep = keep;
    this.unregister = registerStopper(() => this.close());
  }

  get names(): string[] {
    return this.list.map((actor) => actor.name);
  }

  /** The actor called `name`; throws a RangeError naming the actors there are. */
  get(name: string): Actor {
    const actor = this.byName.get(name);
    if (!actor) throw new RangeError(`no actor ${JSON.stringify(name)} (actors: ${this.names.join(", ")})`);
    return actor;
  }

  /** Every exit of every actor, in the order they happened. */
  exits(): ActorExit[] {
    return this.list.flatMap((actor) => actor.exits);
  }

  /** SIGKILL every actor (no respawn), then remove the temp dir unless kept. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    this.unregister();
    const results = await Promise.allSettled([...this.byName.values()].map((actor) => actor.close()));
    if (!this.keep) {
      rmSync(this.runDir, { recursive: true, force: true, maxRetries: 3 });
      unregisterDir(this.runDir);
      unwatchDir(this.runDir);
    }
    const failed = results.find((result) => result.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** The names `startActors` gives: the caller's, else `a1`..`a<count>`; checked unique and file-safe. */
export function actorNames(options: Pick<ActorsOptions, "count" | "names">): string[] {
  const count = options.count ?? options.names?.length ?? 1;
  if (!Number.isInteger(count) || count < 1 || count > ACTORS_MAX)
    throw new RangeError(`startActors: count must be an integer in 1..${ACTORS_MAX}, got ${count}`);
  if (options.names && options.names.length !== count)
    throw new RangeError(`startActors: ${options.names.length} names for ${count} actors`);
  const names = options.names ? [...options.names] : Array.from({ length: count }, (_, i) => `a${i + 1}`);
  for (const name of names) {
    if (!NAME.test(name))
      throw new RangeError(
        `startActors: actor name ${JSON.stringify(name)} must be letters, digits, '_', '.', '-' (at most 64)`,
      );
  }
  if (new Set(names).size !== names.length)
    throw new RangeError(`startActors: actor names must be unique, got ${names.join(", ")}`);
  return names;
}

/**
 * Make each actor's dirs and (unless `autoStart: false`) start every one.
 * When one cannot be started, every actor already started is killed, the
 * temp dir removed, and the error thrown.
 */
export async function startActors(options: ActorsOptions): Promise<Actors> {
  const names = actorNames(options);
  const keep = options.keep ?? false;
  const baseDir = options.baseDir ?? defaultBaseDir("tmpfs");
  mkdirSync(baseDir, { recursive: true });
  // Registered with the watchdog before it exists, as cluster dirs are.
  const runDir = createWatchedDir(baseDir, "crucible-actors-");
  if (keep) unwatchDir(runDir);
  else registerDir(runDir);
  const logDir = options.logDir ?? join(runDir, "logs");
  let actors: LocalActor[] = [];
  try {
    mkdirSync(logDir, { recursive: true, mode: 0o700 });
    actors = names.map((name, index) => {
      const dir = join(runDir, name);
      const home = join(dir, "home");
      const dataDir = join(dir, "data");
      mkdirSync(home, { recursive: true, mode: 0o700 });
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      return new LocalActor({ name, index, home, dataDir, logPath: join(logDir, `${name}.log`) }, options);
    });
    const fixture = new Actors(actors, runDir, keep);
    if (options.autoStart !== false) {
      try {
        for (const actor of actors) await actor.start();
      } catch (error) {
        await fixture.close().catch(() => {});
        throw error;
      }
    }
    return fixture;
  } catch (error) {
    await Promise.allSettled(actors.map((actor) => actor.close()));
    if (!keep) {
      rmSync(runDir, { recursive: true, force: true, maxRetries: 3 });
      unregisterDir(runDir);
      unwatchDir(runDir);
    }
    throw error;
  }
}
