/**
 * The sync harness: one sync server and N actors of a client binary, each
 * actor reaching the server through its own fault proxy (so a partition
 * between one actor and the server is a real stalled TCP link).
 *
 *   await using harness = await startSyncHarness({ system: demoSyncSystem(), actors: 3, dir, random });
 *   await harness.run(harness.actor("alice"), "create", "title=x");
 *   await harness.server.stop(); await harness.server.start();   // same data dir, same port
 *   await harness.syncAll();
 *
 * Everything a command does is journaled by the caller (the chaos engine);
 * the harness itself only runs processes. Every wait is bounded.
 */
import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { type Actor, type Actors, type ExecResult, startActors } from "../actors/index.js";
import type { SyncSnapshot } from "../checker/sync/index.js";
import { ManagedProcess, readLog } from "../cluster/process.js";
import { type FaultProxy, startProxy } from "../faults/proxy/index.js";
import type { Random } from "../random/random.js";

/** An actor of a sync run: the actor fixture's (a home, a data dir, an environment, `exec`). */
export type SyncActor = Actor;
export type { ExecResult };

/** How a sync system is started, driven and observed: what a user writes for their own binary. */
export interface SyncSystem {
  readonly name: string;
  /** The server's command line for a data dir and a port (the same on every restart). */
  server(options: { dataDir: string; port: number }): { command: string; args: string[] };
  /** The URL path that answers 2xx once the server serves. */
  readonly healthPath: string;
  /** The client binary and the arguments before each command's own. */
  readonly client: { readonly command: string; readonly args: readonly string[] };
  /** The actor's environment: where its server is (through its proxy), where its data lives. */
  actorEnv(actor: { name: string; home: string; dataDir: string }, serverUrl: string): Record<string, string>;
  /** The arguments of one push+pull. */
  readonly syncArgs: readonly string[];
  /**
   * A push+pull that first re-sends the last push (as a client does when a
   * push's acknowledgement was lost), when the client can be told to;
   * `idempotency` syncs with it.
   */
  readonly retrySyncArgs?: readonly string[];
  /**
   * The mutations the named scenarios perform, as client arguments: create
   * (the new entity's id is read back with `createdId`), update fields,
   * delete, restore, undo the actor's last mutation.
   */
  readonly verbs: SyncVerbs;
  /**
   * The environment that offsets the client's clock by `offsetMs` (how the
   * clock-skew fault and the `skewed-clock` scenario reach it), when the
   * client has such a hook (libfaketime's `FAKETIME` is one for any binary).
   */
  clockOffsetEnv?(offsetMs: number): Record<string, string>;
  /** The arguments that print the actor's snapshot, and how to read it. */
  readonly snapshotArgs: readonly string[];
  parseSnapshot(stdout: string, actor: string): SyncSnapshot;
  /**
   * What a failed command means: `refused` (a documented refusal: the entity
   * was deleted meanwhile, nothing to undo), `unreachable` (the server is
   * down or cut off), `rateLimited` (retry after a pause), or `other`.
   */
  failureKind(result: ExecResult): SyncFailureKind;
  /**
   * Verifiers that do not apply to this system, by name (`eventCounts`,
   * `actionLogConvergence`, `causalOrder`, `monotonicSequence`,
   * `fieldLevelMerge`, ...), each with the reason: a CRDT server keeps no
   * event log with sequence numbers, say. Each is reported as N/A with its
   * reason instead of being run; a run passes only when every other
   * verifier passed and at least one did. A scenario's `fieldLevelMerge`
   * against the values it wrote still runs.
   */
  readonly notApplicable?: Readonly<Partial<Record<SyncVerifierName, string>>>;
}

/** The verifiers the sync run applies after the chaos phase. */
export type SyncVerifierName =
  | "convergence"
  | "eventCounts"
  | "actionLogConvergence"
  | "causalOrder"
  | "monotonicSequence"
  | "readYourWrites"
  | "fieldLevelMerge"
  | "idempotency";

export type SyncFailureKind = "refused" | "unreachable" | "rateLimited" | "other";

export interface SyncVerbs {
  create(fields: Readonly<Record<string, string>>): string[];
  createdId(stdout: string): string;
  update(id: string, fields: Readonly<Record<string, string>>): string[];
  delete(id: string): string[];
  restore(id: string): string[];
  undo(): string[];
}

/**
 * The verbs of a client CLI that takes them as words and `FIELD=VALUE`
 * arguments and prints the created entity as `{"id": ...}`: `create a=1`,
 * `update ID a=2`, `delete ID`, `restore ID`, `undo` (both shipped clients).
 */
export const WORD_VERBS: SyncVerbs = {
  create: (fields) => ["create", ...fieldArgs(fields)],
  createdId: (stdout) => (JSON.parse(stdout) as { id: string }).id,
  update: (id, fields) => ["update", id, ...fieldArgs(fields)],
  delete: (id) => ["delete", id],
  restore: (id) => ["restore", id],
  undo: () => ["undo"],
};

function fieldArgs(fields: Readonly<Record<string, string>>): string[] {
  return Object.entries(fields).map(([name, value]) => `${name}=${value}`);
}

export interface SyncServerHandle {
  readonly port: number;
  readonly url: string;
  readonly dataDir: string;
  readonly logPath: string;
  isRunning(): boolean;
  /** The running server's pid (leader of its process group); undefined when stopped. */
  readonly pid: number | undefined;
  /** Send a signal to the server's process group (SIGSTOP/SIGCONT pause it); false when it is not running. */
  signal(signal: NodeJS.Signals): boolean;
  /** Kill the server (SIGKILL: the harshest restart) and wait for it to exit. */
  stop(): Promise<void>;
  /** Start it again on the same data dir and port; resolves once its health check passes. */
  start(): Promise<void>;
  /** Environment for the next `start()` (later values win). */
  setEnv(env: Record<string, string>): void;
  /** The server's log so far (all starts), for a failure message. */
  logContents(): string;
}

export interface SyncHarness extends AsyncDisposable {
  readonly system: SyncSystem;
  readonly server: SyncServerHandle;
  readonly actors: readonly SyncActor[];
  actor(name: string): SyncActor;
  /** The proxy between an actor and the server (partition it to cut the actor off). */
  proxy(actor: string): FaultProxy;
  /** Run the client as `actor`. */
  run(actor: SyncActor, ...args: string[]): Promise<ExecResult>;
  /** Environment added to every later command of `actor` (a clock offset, say); later values win. */
  setActorEnv(actor: string, env: Readonly<Record<string, string>>): void;
  /** One push+pull of `actor` (with `retry`, the system's `retrySyncArgs`), retried (bounded) while rate-limited. */
  sync(actor: SyncActor, options?: { retry?: boolean }): Promise<ExecResult>;
  /**
   * `rounds` round-robin rounds of push+pull over every actor, so what any
   * actor pushed reaches every other. Resolves with the number of syncs
   * run; throws when a sync still fails after its retries.
   */
  syncAll(rounds?: number, options?: { retry?: boolean }): Promise<number>;
  snapshot(actor: SyncActor): Promise<SyncSnapshot>;
  snapshots(): Promise<SyncSnapshot[]>;
  close(): Promise<void>;
}

export interface StartSyncHarnessOptions {
  readonly system: SyncSystem;
  /** Number of actors (named alice, bob, carol, dave, ... then actor-N). */
  readonly actors: number;
  /** A fresh directory for the server's data, the actors' homes and the logs. */
  readonly dir: string;
  /** The seeded stream the proxies draw from (loss and jitter, if used). */
  readonly random: Random;
  /** Per command. Default 15000 ms. */
  readonly commandTimeoutMs?: number;
  /** Bound on the health check after a start. Default 15000 ms. */
  readonly startTimeoutMs?: number;
}

export const ACTOR_NAMES = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"] as const;

export function actorName(index: number): string {
  return ACTOR_NAMES[index] ?? `actor-${index + 1}`;
}

/** Tries of one sync that meets rate limiting, and the pause between them. */
const RATE_LIMIT_TRIES = 8;
const RATE_LIMIT_PAUSE_MS = 150;
/**
 * Two rounds: a sync pushes then pulls, so after one round-robin round the
 * server has every actor's events (and the last actor all of them), and the
 * second round brings them to everyone.
 */
export const SYNC_ROUNDS_DEFAULT = 2;

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

async function waitHealthy(url: string, process: ManagedProcess, timeoutMs: number, logPath: string) {
  const deadline = performance.now() + timeoutMs;
  let last = "no answer yet";
  while (performance.now() < deadline) {
    if (!process.isRunning()) {
      throw new Error(
        `the sync server exited during start (${JSON.stringify(process.exitStatus)}); log:\n${readLog(logPath).slice(-4000)}`,
      );
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await response.text();
      if (response.ok) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(
    `the sync server at ${url} was not healthy within ${timeoutMs} ms (${last}); log:\n${readLog(logPath).slice(-4000)}`,
  );
}

export async function startSyncHarness(options: StartSyncHarnessOptions): Promise<SyncHarness> {
  const { system } = options;
  const commandTimeoutMs = options.commandTimeoutMs ?? 15_000;
  const startTimeoutMs = options.startTimeoutMs ?? 15_000;
  const serverDir = join(options.dir, "server");
  const logDir = join(options.dir, "logs");
  mkdirSync(serverDir, { recursive: true });
  mkdirSync(logDir, { recursive: true });
  const port = await freePort();
  const logPath = join(logDir, "server.log");
  let serverEnv: Record<string, string> = {};
  let process: ManagedProcess | undefined;

  const server: SyncServerHandle = {
    port,
    url: `http://127.0.0.1:${port}`,
    dataDir: serverDir,
    logPath,
    isRunning: () => process?.isRunning() ?? false,
    get pid() {
      return process?.isRunning() ? process.pid : undefined;
    },
    signal: (signal) => process?.signal(signal) ?? false,
    async stop() {
      await process?.kill();
      process = undefined;
    },
    async start() {
      if (process?.isRunning()) throw new Error("the sync server is already running");
      const { command, args } = system.server({ dataDir: serverDir, port });
      process = await ManagedProcess.spawn({
        command,
        args,
        env: { ...globalThis.process.env, ...serverEnv },
        logPath,
      });
      try {
        await waitHealthy(`${server.url}${system.healthPath}`, process, startTimeoutMs, logPath);
      } catch (error) {
        await process.kill();
        process = undefined;
        throw error;
      }
    },
    setEnv(env) {
      serverEnv = { ...serverEnv, ...env };
    },
    logContents: () => readLog(logPath),
  };

  const proxies = new Map<string, FaultProxy>();
  const extraEnv = new Map<string, Record<string, string>>();
  let fixture: Actors | undefined;
  const close = async (): Promise<void> => {
    await fixture?.close();
    await server.stop();
    await Promise.all([...proxies.values()].map((p) => p.close()));
  };
  const names = Array.from({ length: options.actors }, (_, i) => actorName(i));
  try {
    await server.start();
    for (const name of names) {
      const proxy = await startProxy({
        name: `${name}->server`,
        target: { host: "127.0.0.1", port },
        random: options.random.fork(`proxy/${name}`),
      });
      proxies.set(name, proxy);
    }
    fixture = await startActors({
      count: names.length,
      names,
      // The fixture's long-running command is unused: a sync actor is a user running one command at a time.
      command: system.client.command,
      env: (spec) => system.actorEnv(spec, `http://${proxies.get(spec.name)!.address}`),
      autoStart: false,
      logDir,
    });
  } catch (error) {
    await close();
    throw error;
  }
  const actors = fixture.list;

  const run = (actor: SyncActor, ...args: string[]): Promise<ExecResult> =>
    actor.exec([system.client.command, ...system.client.args, ...args], {
      timeoutMs: commandTimeoutMs,
      env: extraEnv.get(actor.name) ?? {},
    });

  const sync = async (actor: SyncActor, syncOptions: { retry?: boolean } = {}): Promise<ExecResult> => {
    const args = syncOptions.retry ? (system.retrySyncArgs ?? system.syncArgs) : system.syncArgs;
    let result = await run(actor, ...args);
    for (
      let attempt = 1;
      attempt < RATE_LIMIT_TRIES && system.failureKind(result) === "rateLimited";
      attempt++
    ) {
      await new Promise((resolve) => setTimeout(resolve, RATE_LIMIT_PAUSE_MS * attempt));
      result = await run(actor, ...args);
    }
    return result;
  };

  const snapshot = async (actor: SyncActor): Promise<SyncSnapshot> => {
    const result = await run(actor, ...system.snapshotArgs);
    if (result.code !== 0) {
      throw new Error(`snapshot of ${actor.name} failed (exit ${result.code}): ${result.stderr.trim()}`);
    }
    return system.parseSnapshot(result.stdout, actor.name);
  };

  return {
    system,
    server,
    actors,
    actor(name) {
      const found = actors.find((a) => a.name === name);
      if (found === undefined)
        throw new Error(`no actor ${name} (actors: ${actors.map((a) => a.name).join(", ")})`);
      return found;
    },
    proxy(name) {
      const found = proxies.get(name);
      if (found === undefined) throw new Error(`no proxy for actor ${name}`);
      return found;
    },
    run,
    setActorEnv(name, env) {
      extraEnv.set(name, { ...extraEnv.get(name), ...env });
    },
    sync,
    async syncAll(rounds = SYNC_ROUNDS_DEFAULT, syncOptions = {}) {
      let count = 0;
      for (let round = 0; round < rounds; round++) {
        for (const actor of actors) {
          const result = await sync(actor, syncOptions);
          count++;
          if (result.code !== 0) {
            throw new Error(
              `sync of ${actor.name} failed in round ${round + 1} (exit ${result.code}${result.timedOut ? ", timed out" : ""}): ${result.stderr.trim()}`,
            );
          }
        }
      }
      return count;
    },
    snapshot,
    snapshots: () => Promise.all(actors.map(snapshot)),
    close,
    [Symbol.asyncDispose]: close,
  };
}
