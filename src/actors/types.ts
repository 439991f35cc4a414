/**
 * The actor data model: what an actor is, and what its exit looks like as
 * plain data (the runner journals it as an op; see `actorExitOp`).
 */

/** What an actor is before it runs: the parts of it a command line or an env may depend on. */
export interface ActorSpec {
  /** `a1`, `a2`, ... unless names were given. */
  readonly name: string;
  /** 0-based position in `actors.list`. */
  readonly index: number;
  /** The actor's own home dir (`HOME`): config files of a CLI user land here, not in the runner's home. */
  readonly home: string;
  /** The actor's own data dir (a local database, a lock wrapper's scratch files). */
  readonly dataDir: string;
  /** Stdout and stderr of every run of the actor, appended. */
  readonly logPath: string;
}

/**
 * Why an actor's process ended, as far as the fixture knows: `"exited"` when
 * it ended by itself (the interesting case: a wrapper that lost its lease and
 * exited 70), else the fixture call that ended it.
 */
export type ActorExitCause = "exited" | "stop" | "kill" | "close";

/** One end of one run of an actor. */
export interface ActorExit {
  readonly actor: string;
  readonly pid: number;
  /** Exit code, null when a signal ended it. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly cause: ActorExitCause;
  /** How long this run lasted, from spawn to exit. */
  readonly durationMs: number;
  /** Which run of the actor this was: 1 for the first start, 2 after the first restart, ... */
  readonly run: number;
}

/** The outcome of a one-shot {@link Actor.exec}. */
export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
  /** Exit code, null when a signal ended it (a timeout ends it with SIGKILL). */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly durationMs: number;
  /** True when the command ran past `timeoutMs` and was killed. */
  readonly timedOut: boolean;
  /** True when stdout or stderr was longer than the cap and was cut. */
  readonly truncated: boolean;
}

export interface ExecOptions {
  /** Kill the command's process group (SIGKILL) after this long. Required: every wait has a bound. */
  readonly timeoutMs: number;
  /** Written to the command's stdin, which is then closed; without it stdin is empty. */
  readonly input?: string | Buffer;
  /** Extra environment on top of the actor's. */
  readonly env?: Readonly<Record<string, string>>;
  /** Working dir; default the actor's home. */
  readonly cwd?: string;
  /** Cap on each of stdout and stderr kept; default 16 MiB. */
  readonly maxOutputBytes?: number;
}

/**
 * One actor: a client-side process of the system under test (a lock
 * wrapper, a CLI user with its own home), restartable, with its exits
 * recorded.
 */
export interface Actor extends ActorSpec {
  /** The environment every run and every `exec` of this actor gets (after the runner's own). */
  readonly env: Readonly<Record<string, string>>;
  /** Pid of the running process (leader of its group); undefined when not running. */
  readonly pid: number | undefined;
  /** Resolves with the exit of the current (or last) run; a new run gets a new promise. */
  readonly exited: Promise<ActorExit>;
  /** Every exit so far, oldest first. */
  readonly exits: readonly ActorExit[];
  isRunning(): boolean;
  isPaused(): boolean;
  /** Start the actor's command (no-op when running). Rejects when it cannot be executed (ENOENT). */
  start(): Promise<void>;
  /** SIGCONT, SIGTERM to the group, SIGKILL after `timeoutMs` (default the fixture's `stopGraceMs`); stays stopped. */
  stop(timeoutMs?: number): Promise<ActorExit | undefined>;
  /** SIGKILL the group (and descendants that left it) and wait for the exit. */
  kill(): Promise<ActorExit | undefined>;
  /** SIGSTOP the group and its descendants. */
  pause(): Promise<void>;
  /** SIGCONT the group and its descendants. */
  resume(): Promise<void>;
  /** Stop (graceful) then start again, same home and data dir. */
  restart(): Promise<void>;
  /** Run one command as this actor (its env, home, cwd), in its own process group, bounded by `timeoutMs`. */
  exec(argv: readonly string[], options: ExecOptions): Promise<ExecResult>;
}
