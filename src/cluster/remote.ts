/**
 * The SSH backend: a cluster's nodes on other hosts, one node per host.
 *
 * ```ts
 * await using cluster = await startCluster(etcd(), 3, {
 *   hosts: { targets: parseHostList("n1=root@10.0.0.1,n2=root@10.0.0.2,n3=root@10.0.0.3"), ssh: { privateKey } },
 * });
 * ```
 *
 * Or, so a test file runs unchanged on hosts, around whatever starts its
 * clusters: `await withHosts(hosts, () => runTest(...))` (what `crucible run
 * --hosts` does).
 *
 * Per host, at the cluster's start: one master connection (./ssh.ts), a
 * root dir `<remoteDir>/crucible-<run token>-<node>` made over SSH (the
 * node's dir, data dir, pid file and log are inside it), and a **keeper**: a
 * session running `cat >/dev/null` and then the host's cleanup, with its
 * stdin a pipe from the runner. However the runner ends, even by SIGKILL,
 * that pipe closes, `cat` returns, and the host kills the node's process
 * group (from its pid file), removes the iptables chain the faults may have
 * made (./../faults/hosts-network.ts) and the root dir. A normal stop does the
 * same in order and fetches each node's log into `node.logPath` (the run's
 * `store/.../nodes/<n>.log`) first.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { randomBytes } from "node:crypto";
import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { UsageError } from "../errors/index.js";
import type { NodeBackend, NodeLaunch, NodeProcess } from "./backend.js";
import { registerDir, unregisterDir } from "./cleanup.js";
import type { NodeSpec } from "./recipe.js";
import { type RemoteNodeFiles, RemoteProcess } from "./remote-process.js";
import {
  type HostTarget,
  parseHostTarget,
  SshHost,
  type SshOptions,
  type SshSession,
  shellQuote,
} from "./ssh.js";
import { createWatchedDir, unwatchDir } from "./watchdog.js";

/** Where the nodes run: the hosts (node i on `targets[i]`) and how to reach them. */
export interface HostsOptions {
  readonly targets: readonly HostTarget[];
  readonly ssh?: SshOptions;
  /** The dir on each host under which node dirs go; default `/tmp`. */
  readonly remoteDir?: string;
}

/** How long close() waits for a host's keeper to finish its cleanup and exit. */
const KEEPER_EXIT_WAIT_MS = 5_000;

/** Bound on the log fetched from a host. */
const LOG_FETCH_MAX_BYTES = 16 * 1024 * 1024;

/** `n1=root@10.0.0.1,n2=...`: the hosts of `--hosts`. Names default to n1, n2, ... by position. */
export function parseHostList(text: string, where = "hosts"): HostTarget[] {
  const items = text
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
  if (items.length === 0) throw new UsageError("no hosts given", where);
  return checkDistinct(
    items.map((item, i) => parseHostTarget(item, `n${i + 1}`, where)),
    where,
  );
}

/** The same node name or address twice is a mistake the user should hear about before anything connects. */
export function checkDistinct(targets: HostTarget[], where: string): HostTarget[] {
  const names = new Set<string>();
  for (const target of targets) {
    if (names.has(target.name)) throw new UsageError(`node ${target.name} is named twice`, where);
    names.add(target.name);
  }
  return targets;
}

/** What an enclosing {@link withHosts} set, and how many clusters started on it. */
interface HostsScope {
  readonly hosts: HostsOptions;
  clustersStarted: number;
}

/**
 * One store per process, shared through a global symbol: a test file loaded
 * through tsx, or a second copy of the package, gets module instances of its
 * own, and must still see the hosts the CLI set.
 */
const AMBIENT_KEY = Symbol.for("crucible.cluster.hosts");
const globals = globalThis as Record<symbol, AsyncLocalStorage<HostsScope> | undefined>;
globals[AMBIENT_KEY] ??= new AsyncLocalStorage<HostsScope>();
const ambient: AsyncLocalStorage<HostsScope> = globals[AMBIENT_KEY];

/**
 * Run `fn` with every cluster it starts (that names no `hosts` of its own)
 * on these hosts: how a test written for local nodes runs on hosts
 * unchanged. `clustersStarted()` says afterwards how many did, so a caller
 * can refuse a run whose nodes did not go to the hosts.
 */
export async function withHosts<T>(
  hosts: HostsOptions,
  fn: () => Promise<T>,
): Promise<{ result: T; clustersStarted: number }> {
  const scope: HostsScope = { hosts, clustersStarted: 0 };
  const result = await ambient.run(scope, fn);
  return { result, clustersStarted: scope.clustersStarted };
}

/** The hosts of the enclosing {@link withHosts}, if any. */
export function currentHosts(): HostsOptions | undefined {
  return ambient.getStore()?.hosts;
}

/** Count a cluster started on the enclosing {@link withHosts}' hosts. */
export function noteClusterOnHosts(): void {
  const scope = ambient.getStore();
  if (scope) scope.clustersStarted++;
}

/**
 * Shell commands that remove what a cluster made on one host, run by the
 * keeper (after EOF) and by close(): kill every node's group (from the pid
 * files), run the faults' cleanup (`<root>/.cleanup.sh`), and remove the
 * root dir unless `<root>/.keep` says the run keeps it.
 */
function cleanupScript(root: string, options: { readonly twice: boolean }): string {
  const q = shellQuote(root);
  const killAll = `for f in ${q}/*.pid; do [ -s "$f" ] && kill -s KILL -- -$(cat "$f") 2>/dev/null; done`;
  const faults = `[ -f ${q}/.cleanup.sh ] && sh ${q}/.cleanup.sh >/dev/null 2>&1`;
  const remove = `[ -e ${q}/.keep ] || rm -rf ${q}`;
  // The keeper goes twice, a second apart: a start in flight when the runner died writes its pid file late.
  const again = options.twice ? ["sleep 1", killAll] : [];
  return [killAll, faults, ...again, remove, "true"].join("; ");
}

/** The keeper's script: wait for EOF on stdin (the runner ended or closed it), then clean up. */
function keeperScript(root: string): string {
  return `trap '' HUP PIPE INT TERM; cat >/dev/null; ${cleanupScript(root, { twice: true })}; exit 0`;
}

interface HostState {
  readonly host: SshHost;
  readonly root: string;
  readonly keeper: SshSession;
  readonly processes: Set<RemoteProcess>;
}

/** Nodes on hosts over SSH; see the module doc. */
export class SshBackend implements NodeBackend {
  readonly kind = "ssh";
  readonly notes: readonly string[];
  /** Unique to this cluster start: names the root dirs and the iptables chain. */
  readonly token: string;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly states: readonly HostState[],
    token: string,
    private readonly controlDir: string,
  ) {
    this.token = token;
    this.notes = [`nodes on hosts over SSH: ${states.map((state) => state.host.label).join(", ")}`];
  }

  /**
   * Connect to the first `size` hosts (in parallel) and make each node's
   * root dir; a HostError naming the host when one cannot be reached,
   * refuses the key or cannot make the dir. Nothing is left on any host when
   * it fails.
   */
  static async open(hosts: HostsOptions, size: number): Promise<SshBackend> {
    if (hosts.targets.length < size)
      throw new UsageError(
        `${size} nodes need ${size} hosts, ${hosts.targets.length} given (one node per host)`,
        undefined,
        { setting: { name: "hosts", value: hosts.targets.map((target) => target.name).join(",") } },
      );
    const token = `crucible-${process.pid}-${randomBytes(4).toString("hex")}`;
    const controlDir = createWatchedDir(tmpdir(), "crucible-ssh-");
    registerDir(controlDir);
    const remoteDir = (hosts.remoteDir ?? "/tmp").replace(/\/+$/, "") || "/";
    const opened: HostState[] = [];
    const connecting = hosts.targets.slice(0, size).map(async (target) => {
      const host = new SshHost(target, hosts.ssh ?? {}, controlDir);
      try {
        await host.connect();
      } catch (error) {
        await host.close();
        throw error;
      }
      const root = `${remoteDir}/${token}-${target.name}`;
      // The keeper first: a runner killed right after the root dir is made still leaves nothing behind.
      // The dir itself is made with the node's own dirs (prepare): one round trip fewer per host.
      const state: HostState = { host, root, keeper: host.session(keeperScript(root)), processes: new Set() };
      opened.push(state);
      return state;
    });
    const results = await Promise.allSettled(connecting);
    const failed = results.find((result) => result.status === "rejected");
    if (failed) {
      // The hosts that did connect: remove what was made there, close their connections.
      await SshBackend.closeStates(opened, false).catch(() => {});
      removeControlDir(controlDir);
      throw (failed as PromiseRejectedResult).reason;
    }
    noteClusterOnHosts();
    return new SshBackend(
      results.flatMap((result) => (result.status === "fulfilled" ? [result.value] : [])),
      token,
      controlDir,
    );
  }

  private state(index: number): HostState {
    const state = this.states[index];
    if (!state) throw new RangeError(`ssh backend: no host for node index ${index}`);
    return state;
  }

  /** The SSH connection of node `index`'s host (the faults run iptables over it). */
  hostOf(index: number): SshHost {
    return this.state(index).host;
  }

  /**
   * The first of `paths` that is a file on node `index`'s host, or
   * undefined (how the clock faults find libfaketime there).
   */
  async findFile(index: number, paths: readonly string[]): Promise<string | undefined> {
    const tests = paths.map((path) => `[ -f ${shellQuote(path)} ] && { echo ${shellQuote(path)}; exit 0; }`);
    const out = await this.state(index).host.run(`${tests.join("; ")}; true`, {
      describe: "look for libfaketime",
    });
    return out.trim() || undefined;
  }

  /** Write a file on node `index`'s host: to `<path>.tmp`, then renamed (a reader never sees half of it). */
  async writeFile(index: number, path: string, text: string): Promise<void> {
    const q = shellQuote(path);
    await this.state(index).host.run(`printf '%s' ${shellQuote(text)} > ${q}.tmp && mv ${q}.tmp ${q}`, {
      describe: `write ${path}`,
    });
  }

  /** How many hosts (= nodes). */
  get size(): number {
    return this.states.length;
  }

  /**
   * A shell command the keeper and close() run on every host at the end
   * (a fault's cleanup: the iptables chain), appended to `<root>/.cleanup.sh`.
   */
  async addCleanup(command: string): Promise<void> {
    await Promise.all(
      this.states.map((state) =>
        state.host.run(
          `printf '%s\\n' ${shellQuote(command)} >> ${shellQuote(`${state.root}/.cleanup.sh`)}`,
          {
            describe: `record cleanup in ${state.root}/.cleanup.sh`,
          },
        ),
      ),
    );
  }

  host(index: number): string | undefined {
    return this.state(index).host.target.address;
  }

  nodeDir(index: number, name: string): string {
    return `${this.state(index).root}/${name}`;
  }

  private files(node: NodeSpec): RemoteNodeFiles {
    const root = this.state(node.index).root;
    return { dir: node.dir, pidFile: `${root}/${node.name}.pid`, logFile: `${root}/${node.name}.log` };
  }

  async prepare(node: NodeSpec): Promise<void> {
    const { host, root } = this.state(node.index);
    const dirs = [node.dir, node.dataDir].map(shellQuote).join(" ");
    await host.run(
      `{ [ -d ${shellQuote(root)} ] || mkdir -m 700 ${shellQuote(root)}; } && rm -rf ${shellQuote(node.dir)} && mkdir -m 700 ${dirs}`,
      { describe: `mkdir -m 700 ${root} ${node.dir} ${node.dataDir}` },
    );
  }

  async spawn(node: NodeSpec, launch: NodeLaunch): Promise<NodeProcess> {
    const state = this.state(node.index);
    const started = await RemoteProcess.start(state.host, this.files(node), launch);
    state.processes.add(started);
    void started.exited.then(() => state.processes.delete(started));
    return started;
  }

  async readLog(node: NodeSpec): Promise<string> {
    const { host } = this.state(node.index);
    const file = shellQuote(this.files(node).logFile);
    const out = await host.exec(`tail -c ${LOG_FETCH_MAX_BYTES} ${file} 2>/dev/null`, {
      describe: `tail ${file}`,
    });
    return out.stdout;
  }

  async collectLog(node: NodeSpec): Promise<void> {
    const text = await this.readLog(node).catch(
      (error: unknown) => `--- crucible: could not fetch the log from its host: ${String(error)}\n`,
    );
    writeFileSync(node.logPath, text, { mode: 0o600 });
  }

  /** On each host: kill what runs, run the faults' cleanup, remove the root dir (unless kept), end the keeper, close. */
  close(options: { readonly keep: boolean }): Promise<void> {
    this.closing ??= (async () => {
      try {
        await SshBackend.closeStates(this.states, options.keep);
      } finally {
        removeControlDir(this.controlDir);
      }
    })();
    return this.closing;
  }

  private static async closeStates(states: readonly HostState[], keep: boolean): Promise<void> {
    const results = await Promise.allSettled(
      states.map(async (state) => {
        try {
          const q = shellQuote(state.root);
          // Kept: the node processes still end; the cleanup then leaves the dir.
          if (keep) await state.host.run(`touch ${q}/.keep`, { describe: `touch ${state.root}/.keep` });
          await state.host.run(cleanupScript(state.root, { twice: false }), {
            describe: `cleanup of ${state.root}`,
          });
        } finally {
          for (const started of state.processes) started.detach();
          // The keeper now reads EOF and runs its (idempotent) cleanup over what is left: nothing.
          state.keeper.endInput();
          // A timer that holds the event loop: the keeper's client is unref'd, and its exit must still be seen.
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([
            state.keeper.ended,
            new Promise((resolve) => {
              timer = setTimeout(resolve, KEEPER_EXIT_WAIT_MS);
            }),
          ]);
          clearTimeout(timer);
          await state.host.close();
        }
      }),
    );
    const failed = results.find((result) => result.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }
}

function removeControlDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  unregisterDir(dir);
  unwatchDir(dir);
}
