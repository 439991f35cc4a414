/**
 * TestServer / TestCluster: start real server processes from a recipe and get
 * back a handle that stops them, whatever happens.
 *
 * ```ts
 * await using cluster = await startCluster(etcd(), 3, { seed });
 * await cluster.node(0).kill();          // SIGKILL n1's process group
 * await cluster.node(0).start();         // same data dir, same ports
 * ```
 *
 * Each start gets a temp dir (0700; on tmpfs `/dev/shm` by default), one
 * subdir per node holding its data dir, free loopback ports (retried on
 * "address already in use"), and a log file per node. A node that exits
 * during startup, or is not ready by the deadline, fails the start with the
 * last 50 lines of its log. `stop()` (and disposal) SIGKILLs every node and
 * removes the temp dir unless `keep` is set or the cluster was marked failed.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "../errors/index.js";
import { freshSeed, Random } from "../random/random.js";
import { clusterTokenLabel, clusterVariantLabel } from "../random/streams.js";
import { localBackend, type NodeBackend, type NodeProcess } from "./backend.js";
import { registerDir, registerStopper, unregisterDir } from "./cleanup.js";
import { currentLogScope, postponeRemoval } from "./log-scope.js";
import { waitUntilReady } from "./probes.js";
import { KILL_WAIT_MS, logTail } from "./process.js";
import type { ClusterSpec, Launch, NodeSpec, Recipe, RecipeVariant } from "./recipe.js";
import { currentHosts, type HostsOptions, SshBackend } from "./remote.js";
import { defaultBaseDir, freePorts, LOOPBACK } from "./system.js";
import { createTestCa, type TestCa } from "./tls.js";
import type { Cluster, Node } from "./types.js";
import { createWatchedDir, unwatchDir } from "./watchdog.js";

export interface ClusterOptions {
  /** Environment overrides: one object for every node, or a function of the node. */
  env?: Readonly<Record<string, string>> | ((node: NodeSpec) => Readonly<Record<string, string>>);
  /** Extra server arguments, appended after the recipe's: for every node, or per node. */
  args?: readonly string[] | ((node: NodeSpec) => readonly string[]);
  /** Where data dirs go: "tmpfs" (`/dev/shm`, the default, falls back to disk) or "disk" (OS temp dir). */
  storage?: "tmpfs" | "disk";
  /** Explicit parent dir for the run's temp dir (overrides `storage`). */
  baseDir?: string;
  /** Per-node readiness deadline; default the recipe's, else 30 s. */
  readyTimeoutMs?: number;
  /** Keep the temp dir (data and logs) after stop. Default false. */
  keep?: boolean;
  /** Seed for the variant choice; ignored when `random` is given; fresh when neither. */
  seed?: number;
  /** Stream for the variant choice (the runner passes `random.fork("cluster")`). */
  random?: Random;
  /** Force a variant by name (replay). */
  variant?: string;
  /** Put node logs here (`<logDir>/<node>.log`), e.g. the run's `store/.../nodes`; default inside the temp dir. */
  logDir?: string;
  /** Where to say which variant was chosen and where kept dirs are; default stderr. Pass `() => {}` to silence. */
  log?: (line: string) => void;
  /** Attempts when a port was taken between choosing and binding it. Default 3. */
  portAttempts?: number;
  /**
   * Wrap a node's command line after the recipe built it, at every (re)start:
   * run it under `ip netns exec <ns>`, add `LD_PRELOAD` for libfaketime, ...
   * (the fault injectors use it). Default: the recipe's launch as is.
   */
  wrapLaunch?: (node: NodeSpec, launch: Launch) => Launch;
  /**
   * Told the pid of a node's process each time it is spawned (start and
   * every restart), before its readiness wait: the fault mesh uses it to tell
   * which node dialed a connection. Default: nothing.
   */
  onSpawn?: (node: NodeSpec, pid: number) => void;
  /**
   * The address node `index` binds and is reached at. Default 127.0.0.1. A
   * node in its own network namespace has its own address (10.99.x.y).
   */
  hostOf?: (index: number) => string;
  /**
   * Start the servers with TLS on: a throwaway CA and a certificate per node
   * are made in the cluster's temp dir (./tls.ts), each node's files are in
   * `node.meta.tls` (`{ caFile, certFile, keyFile }`) and its `url` uses the
   * TLS scheme. Recipes that cannot (`recipe.tls` unset) refuse it.
   */
  tls?: boolean;
  /**
   * Run node i on host i over SSH (./remote.ts) instead of as a local child
   * process. Default: the hosts of an enclosing `withHosts` (what `crucible
   * run --hosts` sets), else local.
   */
  hosts?: HostsOptions;
  /**
   * Where the nodes run, already opened (the fault cluster opens the SSH
   * backend itself, to write on the hosts before the nodes start). The
   * cluster owns it from then on: it is closed with the cluster, or when the
   * start fails. Default: from `hosts`, else local.
   */
  backend?: NodeBackend;
}

/** A start failed: the node's log tail is in the message. */
export class ClusterStartError extends Error {
  readonly node: string;
  readonly logPath: string;
  readonly addressInUse: boolean;
  constructor(options: { node: string; logPath: string; reason: string }) {
    const tail = logTail(options.logPath, 50);
    super(`${options.node}: ${options.reason}\n--- last 50 lines of ${options.logPath}:\n${tail}`);
    this.name = "ClusterStartError";
    this.node = options.node;
    this.logPath = options.logPath;
    this.addressInUse = /address already in use|EADDRINUSE/i.test(tail);
  }
}

const defaultLog = (line: string) => process.stderr.write(`${line}\n`);

/** Signals that end a process unless it handles them; `kill()` waits for exit after these. */
const TERMINATING = new Set<NodeJS.Signals>(["SIGKILL", "SIGTERM", "SIGINT", "SIGQUIT", "SIGABRT", "SIGHUP"]);

/** How long `kill(signal)` waits for exit after a catchable terminating signal. */
export const TERMINATE_WAIT_MS = 15_000;

/** A node: one server process of a cluster, restartable on the same dir and ports. */
export class LocalNode implements Node {
  readonly name: string;
  readonly index: number;
  readonly host: string;
  readonly port: number;
  readonly address: string;
  readonly url: string;
  readonly dataDir: string;
  readonly logPath: string;
  readonly meta: Readonly<Record<string, unknown>>;
  /** What the recipe saw; exposed for recipes' `leader()` and for fault injectors. */
  readonly spec: NodeSpec;
  private process: NodeProcess | undefined;
  private paused = false;
  private setupDone = false;

  constructor(
    spec: NodeSpec,
    private readonly recipe: Recipe,
    private readonly options: ClusterOptions,
    /** Where the process runs: a local child (default) or a host over SSH. */
    readonly backend: NodeBackend = localBackend,
  ) {
    this.spec = spec;
    this.name = spec.name;
    this.index = spec.index;
    this.host = spec.host;
    this.port = spec.port;
    this.address = `${spec.host}:${spec.port}`;
    this.url = recipe.url(spec);
    this.dataDir = spec.dataDir;
    this.logPath = spec.logPath;
    this.meta = Object.freeze({
      ...recipe.meta?.(spec),
      ports: spec.ports,
      dir: spec.dir,
      ...(spec.tls && { tls: spec.tls }),
    });
  }

  get pid(): number | undefined {
    return this.process?.isRunning() ? this.process.pid : undefined;
  }

  isRunning(): boolean {
    return this.process?.isRunning() ?? false;
  }

  isPaused(): boolean {
    return this.paused && this.isRunning();
  }

  async logs(): Promise<string> {
    return this.backend.readLog(this.spec);
  }

  /** Spawn the process without waiting for readiness (the cluster starts several, then waits). */
  async spawn(): Promise<void> {
    if (this.isRunning()) return;
    if (!this.setupDone) {
      await this.recipe.setup?.(this.spec);
      this.setupDone = true;
    }
    let recipeLaunch = this.recipe.launch(this.spec);
    // On a host of its own a node must listen on that host's address, not loopback.
    if (this.backend.kind === "ssh")
      recipeLaunch = this.recipe.faults?.bindHost?.(this.spec, recipeLaunch) ?? recipeLaunch;
    const launch = this.options.wrapLaunch ? this.options.wrapLaunch(this.spec, recipeLaunch) : recipeLaunch;
    const userEnv = typeof this.options.env === "function" ? this.options.env(this.spec) : this.options.env;
    const userArgs =
      typeof this.options.args === "function" ? this.options.args(this.spec) : this.options.args;
    const variant = this.spec.cluster.variant;
    this.paused = false;
    this.process = await this.backend.spawn(this.spec, {
      command: launch.command,
      args: [...launch.args, ...(variant?.args ?? []), ...(userArgs ?? [])],
      env: { ...launch.env, ...variant?.env, ...userEnv },
      cwd: launch.cwd ?? this.spec.dir,
    });
    // The pid on the node's own machine: the fault mesh tells local dialers apart by it.
    if (this.backend.kind !== "ssh") this.options.onSpawn?.(this.spec, this.process.pid);
  }

  /** The node's log as of now, for a start failure's message (fetched from its host when it runs on one). */
  private async startFailure(options: { node: string; reason: string }): Promise<ClusterStartError> {
    await this.backend.collectLog(this.spec).catch(() => {});
    return new ClusterStartError({ ...options, logPath: this.logPath });
  }

  /** Wait until the readiness probe passes; throws {@link ClusterStartError} (and kills the node) otherwise. */
  async waitReady(): Promise<void> {
    const proc = this.process;
    if (!proc) throw new Error(`${this.name}: not spawned`);
    const timeoutMs = this.options.readyTimeoutMs ?? this.recipe.readyTimeoutMs ?? 30_000;
    const outcome = await waitUntilReady({
      probe: this.recipe.ready(this.spec),
      timeoutMs,
      exited: proc.exited,
    });
    if (outcome.ready) return;
    if (outcome.reason === "exited" || !proc.isRunning()) {
      const status = proc.exitStatus;
      const how = status?.signal
        ? `signal ${status.signal}`
        : status?.code === null
          ? "exit status not known on its host"
          : `exit code ${status?.code}`;
      throw await this.startFailure({
        node: `${this.name} (${this.recipe.name}, pid ${proc.pid})`,
        reason: `exited during startup (${how})`,
      });
    }
    await proc.kill().catch(() => {});
    throw await this.startFailure({
      node: `${this.name} (${this.recipe.name}, pid ${proc.pid})`,
      reason: `not ready after ${timeoutMs} ms (${outcome.attempts} probes; last: ${outcome.lastError ?? "none"})`,
    });
  }

  async start(): Promise<void> {
    if (this.isRunning()) return;
    await this.spawn();
    await this.waitReady();
  }

  async stop(): Promise<void> {
    const proc = this.process;
    if (!proc?.isRunning()) return;
    await proc.stop(this.recipe.stopGraceMs ?? 10_000);
    this.paused = false;
  }

  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const proc = this.process;
    if (!proc?.isRunning()) return;
    if (signal === "SIGKILL") {
      await proc.kill(KILL_WAIT_MS);
      this.paused = false;
      return;
    }
    await proc.signal(signal);
    if (!TERMINATING.has(signal)) return;
    // A stopped process only acts on a catchable signal once continued.
    if (this.paused) {
      await proc.signal("SIGCONT");
      this.paused = false;
    }
    await proc.waitForExit(TERMINATE_WAIT_MS);
  }

  /** End the node for good: the recipe's teardown signal (then SIGKILL after its grace), or SIGKILL. */
  async teardown(): Promise<void> {
    const proc = this.process;
    const teardown = this.recipe.teardown;
    try {
      if (proc?.isRunning() && teardown) {
        await proc.signal("SIGCONT");
        await proc.signal(teardown.signal);
        await proc.waitForExit(teardown.graceMs);
      }
      await this.kill("SIGKILL");
    } finally {
      // Into the run's store: a remote node's log is fetched from its host (a local one is there already).
      if (proc) await this.backend.collectLog(this.spec);
    }
  }

  async pause(): Promise<void> {
    if (await this.process?.signal("SIGSTOP")) this.paused = true;
  }

  async resume(): Promise<void> {
    await this.process?.signal("SIGCONT");
    this.paused = false;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }
}

/** A started cluster: every node ready. Dispose it (or call `stop()`) to tear it down. */
export class LocalCluster implements Cluster {
  readonly name: string;
  readonly nodes: readonly LocalNode[];
  readonly clientUrls: readonly string[];
  readonly variant: string | undefined;
  /** The seed the variant was chosen with. */
  readonly seed: number;
  /** The cluster's temp dir. */
  readonly runDir: string;
  readonly leader?: () => Promise<Node | undefined>;
  /** Where the nodes run: local children, or hosts over SSH. */
  readonly backend: NodeBackend;
  readonly notes: readonly string[];
  private keep: boolean;
  private stopping: Promise<void> | undefined;
  private readonly unregister: () => void;
  private readonly log: (line: string) => void;

  constructor(options: {
    recipe: Recipe;
    nodes: LocalNode[];
    variant: RecipeVariant | undefined;
    seed: number;
    runDir: string;
    keep: boolean;
    log: (line: string) => void;
    backend: NodeBackend;
  }) {
    this.name = options.recipe.name;
    this.backend = options.backend;
    this.notes = options.backend.notes;
    this.nodes = options.nodes;
    this.clientUrls = options.nodes.map((node) => node.url);
    this.variant = options.variant?.name;
    this.seed = options.seed;
    this.runDir = options.runDir;
    this.keep = options.keep;
    this.log = options.log;
    const recipe = options.recipe;
    if (recipe.leader) this.leader = () => recipe.leader!(this);
    this.unregister = registerStopper(() => this.stop());
    currentLogScope()?.adopt(this);
  }

  node(index: number): LocalNode {
    const node = this.nodes[index];
    if (!node) throw new RangeError(`${this.name} cluster has ${this.nodes.length} nodes; no node(${index})`);
    return node;
  }

  /**
   * Keep the temp dir (data and logs) when this cluster stops, because the
   * test failed: call it from the test's failure hook so the logs can be read.
   */
  markFailed(reason?: string): void {
    if (!this.keep && reason) this.log(`crucible: ${this.name} cluster kept because ${reason}`);
    this.keep = true;
    unregisterDir(this.runDir);
    unwatchDir(this.runDir);
  }

  /**
   * The last `lines` lines of every node's log, headed by node name and path:
   * what a failing test prints (CockroachDB's log scope). Pair it with
   * {@link markFailed} in vitest's `onTestFailed` or node:test's `afterEach`.
   */
  logTails(lines = 50): string {
    return this.nodes
      .map((node) => `--- ${node.name} (${this.name}) ${node.logPath}:\n${logTail(node.logPath, lines)}`)
      .join("\n");
  }

  /** Whether stop() will keep the temp dir. */
  get kept(): boolean {
    return this.keep;
  }

  /** End every node (SIGKILL, or the recipe's teardown signal), then remove the temp dir unless kept. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.unregister();
    const results = await Promise.allSettled(this.nodes.map((node) => node.teardown()));
    // Remote dirs are removed now (unless kept): a log scope's verdict cannot reach them later.
    results.push(...(await Promise.allSettled([this.backend.close({ keep: this.keep })])));
    const remove = (): void => {
      if (this.keep) return;
      rmSync(this.runDir, { recursive: true, force: true, maxRetries: 3 });
      unregisterDir(this.runDir);
      unwatchDir(this.runDir);
    };
    if (this.keep) {
      this.log(`crucible: kept ${this.name} cluster dir ${this.runDir}`);
    } else if (!postponeRemoval(this, remove)) {
      // In a log scope the dir stays until the test's verdict is known: a failed test keeps it.
      remove();
    }
    const failed = results.find((result) => result.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

function chooseVariant(
  recipe: Recipe,
  options: ClusterOptions,
): { variant: RecipeVariant | undefined; seed: number } {
  const random = options.random ?? new Random(options.seed ?? freshSeed());
  const variants = recipe.variants ?? [];
  if (options.variant !== undefined) {
    const forced = variants.find((variant) => variant.name === options.variant);
    if (!forced) {
      const names = variants.map((variant) => variant.name).join(", ") || "none";
      // The user asked for it (a replay, `--variant`): bad input, refused before anything starts.
      throw new UsageError(`${recipe.name} has no such variant; its variants: ${names}`, undefined, {
        setting: { name: "variant", value: options.variant },
      });
    }
    return { variant: forced, seed: random.seed };
  }
  if (variants.length === 0) return { variant: undefined, seed: random.seed };
  return { variant: random.fork(clusterVariantLabel(recipe.name)).pick(variants), seed: random.seed };
}

function clusterToken(recipe: Recipe, seed: number, attempt: number): string {
  const random = new Random(seed, clusterTokenLabel(recipe.name, attempt));
  return `crucible-${recipe.name}-${random.int(0, 2 ** 31).toString(36)}${random.int(0, 2 ** 31).toString(36)}`;
}

async function planNodes(options: {
  recipe: Recipe;
  size: number;
  runDir: string;
  logDir: string;
  variant: RecipeVariant | undefined;
  token: string;
  hostOf: ((index: number) => string) | undefined;
  ca: TestCa | undefined;
  backend: NodeBackend;
}): Promise<NodeSpec[]> {
  const portNames = options.recipe.portNames ?? ["client"];
  const ports = await freePorts(options.size * portNames.length);
  const nodes: NodeSpec[] = [];
  const cluster: ClusterSpec = {
    recipe: options.recipe.name,
    size: options.size,
    nodes,
    runDir: options.runDir,
    variant: options.variant,
    token: options.token,
  };
  const planned: Omit<NodeSpec, "tls">[] = [];
  for (let index = 0; index < options.size; index++) {
    const name = `n${index + 1}`;
    const nodePorts: Record<string, number> = {};
    portNames.forEach((portName, k) => {
      nodePorts[portName] = ports[index * portNames.length + k]!;
    });
    const dir = options.backend.nodeDir(index, name) ?? join(options.runDir, name);
    const dataDir = `${dir}/data`;
    const host = options.backend.host(index) ?? options.hostOf?.(index) ?? LOOPBACK;
    const spec: Omit<NodeSpec, "tls"> = {
      name,
      index,
      host,
      ports: nodePorts,
      port: nodePorts[portNames[0]!]!,
      dir,
      dataDir,
      logPath: join(options.logDir, `${name}.log`),
      cluster,
    };
    planned.push(spec);
  }
  // The dirs all at once (on hosts over SSH each is a round trip to its own host), then TLS files into them.
  await Promise.all(planned.map((spec) => options.backend.prepare(spec)));
  for (const spec of planned) {
    const tls =
      options.ca === undefined ? undefined : await options.ca.issue(spec.name, [spec.host], spec.dir);
    nodes.push({ ...spec, ...(tls && { tls }) });
  }
  return nodes;
}

async function startNodes(recipe: Recipe, nodes: LocalNode[]): Promise<void> {
  if (recipe.startOrder === "sequential") {
    for (const node of nodes) await node.start();
    return;
  }
  // All at once (on hosts over SSH each spawn is a round trip); every node that did spawn is torn down on failure.
  const spawned = await Promise.allSettled(nodes.map((node) => node.spawn()));
  const notSpawned = spawned.find((result) => result.status === "rejected");
  if (notSpawned) throw (notSpawned as PromiseRejectedResult).reason;
  const results = await Promise.allSettled(nodes.map((node) => node.waitReady()));
  const failed = results.find((result) => result.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
}

/**
 * Start `size` nodes of `recipe` and wait until every one is ready.
 * Throws {@link ClusterStartError} (with the failing node's log tail) when a
 * node exits during startup or misses the readiness deadline; nothing is
 * left running then.
 */
export async function startCluster(
  recipe: Recipe,
  size: number,
  options: ClusterOptions = {},
): Promise<LocalCluster> {
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(`startCluster: size must be >= 1, got ${size}`);
  recipe.checkSize?.(size);
  if (options.tls && !recipe.tls)
    throw new UsageError(`the ${recipe.name} recipe cannot start its servers with TLS`, undefined, {
      setting: { name: "tls", value: "true" },
    });
  const hosts = options.backend ? undefined : (options.hosts ?? currentHosts());
  if (options.tls && (hosts || options.backend?.kind === "ssh"))
    throw new UsageError(
      "TLS on hosts over SSH is not supported yet: the certificates are made locally",
      undefined,
      {
        setting: { name: "tls", value: "true" },
      },
    );
  const log = options.log ?? defaultLog;
  const { variant, seed } = chooseVariant(recipe, options);
  if (variant) {
    log(
      `crucible: ${recipe.name} variant ${JSON.stringify(variant.name)} (seed ${seed}; replay with variant "${variant.name}")`,
    );
  }
  const keep = options.keep ?? false;
  const baseDir = options.baseDir ?? defaultBaseDir(options.storage ?? "tmpfs");
  mkdirSync(baseDir, { recursive: true });
  // Registered with the watchdog before it exists: a runner killed at any moment leaves no dir behind.
  // A kept dir is unregistered at once (kept means kept, whatever ends the runner).
  const runDir = createWatchedDir(baseDir, `crucible-${recipe.name}-`);
  if (keep) unwatchDir(runDir);
  else registerDir(runDir);
  const logDir = options.logDir ?? join(runDir, "logs");
  mkdirSync(logDir, { recursive: true, mode: 0o700 });

  const attempts = Math.max(1, options.portAttempts ?? 3);
  let ca: TestCa | undefined;
  let backend: NodeBackend = options.backend ?? localBackend;
  for (let attempt = 1; ; attempt++) {
    let nodes: LocalNode[] = [];
    try {
      // Connected once, inside the try: a host that cannot be reached must remove the temp dir too.
      if (hosts && backend === localBackend) backend = await SshBackend.open(hosts, size);
      if (options.tls && ca === undefined) ca = await createTestCa(join(runDir, "tls"));
      // Planning is inside the try: a failure here must remove the temp dir too.
      const specs = await planNodes({
        recipe,
        size,
        runDir,
        logDir,
        variant,
        token: clusterToken(recipe, seed, attempt),
        hostOf: options.hostOf,
        ca,
        backend,
      });
      nodes = specs.map((spec) => new LocalNode(spec, recipe, options, backend));
      await startNodes(recipe, nodes);
      for (const note of backend.notes) log(`crucible: ${note}`);
      return new LocalCluster({ recipe, nodes, variant, seed, runDir, keep, log, backend });
    } catch (error) {
      await Promise.allSettled(nodes.map((node) => node.teardown()));
      const retry = error instanceof ClusterStartError && error.addressInUse && attempt < attempts;
      // Ports were taken between choosing and binding them: re-plan and go again.
      if (retry) continue;
      await backend.close({ keep }).catch(() => {});
      if (!keep) {
        rmSync(runDir, { recursive: true, force: true, maxRetries: 3 });
        unregisterDir(runDir);
        unwatchDir(runDir);
      }
      throw error;
    }
  }
}

/**
 * A single server: a {@link Node} plus `close()` / `await using`, which stop
 * it and remove its temp dir, and ready connections of the system's own
 * kind, closed with it (CockroachDB's TestServer handles).
 */
export interface ServerHandle<C = unknown> extends Node, AsyncDisposable {
  /** The one-node cluster behind it. */
  readonly cluster: LocalCluster;
  readonly variant: string | undefined;
  /**
   * A new, connected client of the system's own kind: a `pg` client for
   * PostgreSQL, an {@link EtcdKv} for etcd, a RESP connection for Redis; over
   * TLS when the server has it. Every one is closed by `close()`.
   */
  client(): Promise<C>;
  /** PostgreSQL's `client()`: a connected `pg` client; a usage error for a server that does not speak SQL. */
  sqlConn(): Promise<C>;
  /** Run `fn` when the server closes, before it stops (connections of the test's own). */
  defer(fn: () => Promise<void> | void): void;
  /** Stop the server and remove its temp dir (unless kept). `stop()` only stops the process (restartable). */
  close(): Promise<void>;
}

/** How long `close()` lets each deferred close run before it stops the server anyway. */
export const DEFERRED_CLOSE_TIMEOUT_MS = 5_000;

/** Start one server of `recipe`; see {@link startCluster}. */
export async function startServer<C = unknown>(
  recipe: Recipe<C>,
  options: ClusterOptions = {},
): Promise<ServerHandle<C>> {
  const cluster = await startCluster(recipe as Recipe, 1, options);
  const node = cluster.node(0);
  const deferred: Array<() => Promise<void> | void> = [];
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      for (const fn of deferred.splice(0).reverse()) {
        const bounded = new Promise<void>((resolve) =>
          setTimeout(resolve, DEFERRED_CLOSE_TIMEOUT_MS).unref(),
        );
        await Promise.race([
          Promise.resolve()
            .then(fn)
            .catch(() => {}),
          bounded,
        ]);
      }
      await cluster.stop();
    })();
    return closing;
  };
  const client = async (): Promise<C> => {
    const connector = recipe.connector;
    if (connector === undefined)
      throw new UsageError(
        `the ${recipe.name} recipe has no client of its own; connect to ${node.url} yourself`,
      );
    if (closing !== undefined) throw new Error(`the ${recipe.name} server is closed`);
    const connection = await connector.connect(node);
    deferred.push(() => connector.close(connection));
    return connection;
  };
  const handle: ServerHandle<C> = {
    cluster,
    variant: cluster.variant,
    name: node.name,
    index: node.index,
    host: node.host,
    port: node.port,
    address: node.address,
    url: node.url,
    get pid() {
      return node.pid;
    },
    dataDir: node.dataDir,
    logPath: node.logPath,
    meta: node.meta,
    logs: () => node.logs(),
    isRunning: () => node.isRunning(),
    kill: (signal) => node.kill(signal),
    pause: () => node.pause(),
    resume: () => node.resume(),
    start: () => node.start(),
    restart: () => node.restart(),
    stop: () => node.stop(),
    client,
    sqlConn: async () => {
      if (!recipe.connector?.sql)
        throw new UsageError(`sqlConn() needs a SQL server; ${recipe.name} is not one (use client())`);
      return client();
    },
    defer: (fn) => {
      deferred.push(fn);
    },
    close,
    [Symbol.asyncDispose]: close,
  };
  return handle;
}
