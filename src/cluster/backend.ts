/**
 * Where a cluster's nodes run: the one thing a {@link NodeBackend} decides.
 * The fixture (./fixture.ts) plans ports, variants, readiness and restarts
 * the same way for every backend; a backend only makes a node's dirs, starts
 * its process, signals it and reads its log.
 *
 * - {@link localBackend}: a child process of the runner (./process.ts), the
 *   default.
 * - The SSH backend (./remote.ts): a process on another host, started under
 *   `setsid` over one multiplexed SSH connection per host.
 *
 * So `Node` and every caller of it (faults, clients, tests) are the same
 * whichever backend runs the nodes.
 */
import { mkdirSync, rmSync } from "node:fs";
import { type ExitStatus, ManagedProcess, readLog } from "./process.js";
import type { NodeSpec } from "./recipe.js";

/** What to start: the command line after the recipe, variant and user have had their say. */
export interface NodeLaunch {
  readonly command: string;
  readonly args: readonly string[];
  /**
   * The node's own environment (recipe, variant, user overrides). A local
   * node gets the runner's environment under it; a remote one gets only this
   * (the runner's environment means nothing on another host).
   */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

/** A node's running (or ended) server process, wherever it runs. */
export interface NodeProcess {
  /** The pid on the machine it runs on. */
  readonly pid: number;
  readonly exited: Promise<ExitStatus>;
  /** Undefined while running. */
  readonly exitStatus: ExitStatus | undefined;
  isRunning(): boolean;
  /** Signal the process group; false when it is already gone. */
  signal(signal: NodeJS.Signals): Promise<boolean>;
  waitForExit(timeoutMs: number): Promise<ExitStatus | undefined>;
  /** SIGKILL the group and wait for the exit; throws when it does not exit in time. */
  kill(timeoutMs?: number): Promise<void>;
  /** SIGCONT, SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs: number): Promise<void>;
}

export interface NodeBackend {
  /** `local` or `ssh`: for notes and for faults that must know (iptables on hosts). */
  readonly kind: "local" | "ssh";
  /** The address node `index` binds and is reached at; undefined: the fixture's default. */
  host(index: number): string | undefined;
  /** Node `name`'s own dir, where its backend puts it; undefined: inside the cluster's local temp dir. */
  nodeDir(index: number, name: string): string | undefined;
  /** Make the node's dir and data dir (0700), wherever it runs. */
  prepare(node: NodeSpec): Promise<void>;
  spawn(node: NodeSpec, launch: NodeLaunch): Promise<NodeProcess>;
  /** Everything the node printed so far. */
  readLog(node: NodeSpec): Promise<string>;
  /** Copy the node's log to `node.logPath` (a no-op where it is written there already). */
  collectLog(node: NodeSpec): Promise<void>;
  /** Remove what the backend made for the cluster (remote dirs, connections). Idempotent. */
  close(options: { readonly keep: boolean }): Promise<void>;
  /** What a reader of the results should know (where the nodes ran). */
  readonly notes: readonly string[];
}

/** A {@link ManagedProcess} as a {@link NodeProcess}. */
class LocalProcess implements NodeProcess {
  constructor(private readonly managed: ManagedProcess) {}
  get pid(): number {
    return this.managed.pid;
  }
  get exited(): Promise<ExitStatus> {
    return this.managed.exited;
  }
  get exitStatus(): ExitStatus | undefined {
    return this.managed.exitStatus;
  }
  isRunning(): boolean {
    return this.managed.isRunning();
  }
  async signal(signal: NodeJS.Signals): Promise<boolean> {
    return this.managed.signal(signal);
  }
  waitForExit(timeoutMs: number): Promise<ExitStatus | undefined> {
    return this.managed.waitForExit(timeoutMs);
  }
  kill(timeoutMs?: number): Promise<void> {
    return this.managed.kill(timeoutMs);
  }
  stop(graceMs: number): Promise<void> {
    return this.managed.stop(graceMs);
  }
}

/** Nodes as child processes of the runner, in the cluster's temp dir: what `startCluster` does by default. */
export const localBackend: NodeBackend = {
  kind: "local",
  host: () => undefined,
  nodeDir: () => undefined,
  async prepare(node) {
    rmSync(node.dir, { recursive: true, force: true });
    mkdirSync(node.dir, { mode: 0o700 });
    mkdirSync(node.dataDir, { mode: 0o700 });
  },
  async spawn(node, launch) {
    const managed = await ManagedProcess.spawn({
      command: launch.command,
      args: launch.args,
      env: { ...process.env, ...launch.env },
      cwd: launch.cwd,
      logPath: node.logPath,
    });
    // A server left running must not keep the runner alive; the exit handler kills it.
    managed.unref();
    return new LocalProcess(managed);
  },
  readLog: async (node) => readLog(node.logPath),
  collectLog: async () => {},
  close: async () => {},
  notes: [],
};
