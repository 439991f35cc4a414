/**
 * Start a cluster ready for network and clock faults: the recipe's nodes,
 * with client proxies in front of them (and proxies on node-to-node links
 * where the system allows it), each node in its own network namespace when
 * asked and available, and each node under libfaketime when clock faults are
 * wanted.
 *
 * ```ts
 * await using cluster = await startFaultCluster({
 *   recipe: (hooks) => demo({ mode: "stale-reads", peerUrl: hooks.peerUrl }),
 *   size: 3, network: "proxy", clock: true, random: rnd.fork("cluster"),
 * });
 * cluster.nodes[0].url;          // the client proxy of n1: clients need no change
 * cluster.faults.network;        // partition, latency, loss, bandwidth, reset
 * cluster.faults.clock;          // bump, strobe, reset, verify
 * ```
 *
 * The recipe is built by a function of {@link RecipeHooks} because node-to-node
 * addresses are only known once the proxies are up: give the hook that fits
 * the recipe (`demo({ peerUrl: hooks.peerUrl })`,
 * `redis({ replicaOfAddress: hooks.replicaOfAddress })`,
 * `etcd({ advertisePeerUrl: hooks.advertisePeerUrl })`) and the mesh routes
 * those links through proxies.
 *
 * The returned cluster's nodes present the client proxy's address as their
 * `host`/`port`/`address`/`url` (the real one is in `meta.direct`), so a
 * Client connects through the proxy unchanged. Everything (nodes, proxies,
 * namespaces) stops with the cluster.
 */

import { type ClusterOptions, type LocalCluster, type LocalNode, startCluster } from "../cluster/fixture.js";
import type { Launch, NodeSpec, PeerAddressing, Recipe, RecipeFaults } from "../cluster/recipe.js";
import { currentHosts, SshBackend } from "../cluster/remote.js";
import type { Cluster, Node } from "../cluster/types.js";
import { UsageError } from "../errors/index.js";
import type { Random } from "../random/random.js";
import { STREAMS } from "../random/streams.js";
import {
  type ClockFaults,
  type ClockProbe,
  clockFaults,
  findLibfaketime,
  LIBFAKETIME_PATHS,
} from "./clock.js";
import { createHostsNetwork, type HostsNetwork } from "./hosts-network.js";
import { createNetnsNetwork, type NetnsNetwork, netnsAvailability } from "./netns.js";
import { type NetworkFaults, proxyNetwork } from "./network.js";
import type { DirectedLink } from "./partition.js";
import { type ProxyMesh, startProxyMesh } from "./proxy/mesh.js";
import type { ProxyTarget } from "./proxy/types.js";

/** Hooks a recipe uses so node-to-node links go through the proxy mesh. */
export interface RecipeHooks {
  /** What `from` should dial to reach `to` (a proxy of the mesh, or `to` itself). */
  peerAddress(from: NodeSpec, to: NodeSpec): ProxyTarget;
  /** The demo recipe's `peerUrl` option. */
  peerUrl(from: NodeSpec, to: NodeSpec, directUrl: string): string;
  /** The Redis recipe's `replicaOfAddress` option. */
  replicaOfAddress(replica: NodeSpec, primary: NodeSpec): ProxyTarget;
  /** The etcd recipe's `advertisePeerUrl` option (per-node: each member's inbound proxy). */
  advertisePeerUrl(node: NodeSpec): string;
}

/** Hooks that leave every address as it is (no proxies). */
export const directHooks: RecipeHooks = {
  peerAddress: (_from, to) => ({ host: to.host, port: to.port }),
  peerUrl: (_from, _to, directUrl) => directUrl,
  replicaOfAddress: (_replica, primary) => ({ host: primary.host, port: primary.port }),
  advertisePeerUrl: (node) => `${node.tls ? "https" : "http"}://${node.host}:${node.ports.peer ?? node.port}`,
};

/** "proxy": userspace proxies (no root); "netns": namespaces + iptables (root); "auto": netns when available; "none". */
export type NetworkMode = "none" | "proxy" | "netns" | "auto";

export interface StartFaultClusterOptions {
  readonly recipe: (hooks: RecipeHooks) => Recipe;
  readonly size: number;
  /** Default "proxy". */
  readonly network?: NetworkMode;
  /** Start nodes under libfaketime. Default false. */
  readonly clock?: boolean;
  /**
   * How nodes address their peers, for the proxy mesh (see `proxy/mesh.ts`).
   * Default the recipe's `faults.peerAddressing` (demo and Redis `per-peer`,
   * etcd `per-node`), else `none`.
   */
  readonly peerAddressing?: PeerAddressing;
  /** Who dials whom. Default the recipe's `faults.dials` (Redis: replicas dial n1), else every ordered pair. */
  readonly dials?: readonly DirectedLink[];
  /**
   * Under `per-node` addressing, tell each node-to-node connection's dialer by
   * the owner of its source socket (Linux /proc) and give every link its own
   * proxy (see `proxy/mesh.ts`). Default true; false keeps one shared
   * inbound proxy per node, which can only cut a node off as a whole.
   */
  readonly identifyDialers?: boolean;
  /** Passed to `startCluster` (logDir, keep, env, ...). `random` below wins over its seed. */
  readonly cluster?: ClusterOptions;
  readonly random: Random;
  /** Where notes and setup facts are said; default stderr. */
  readonly log?: (line: string) => void;
}

/** The fault tools of a started cluster. */
export interface FaultTools {
  readonly network: NetworkFaults | undefined;
  readonly clock: ClockFaults | undefined;
  readonly mesh: ProxyMesh | undefined;
  readonly netns: NetnsNetwork | undefined;
  /** iptables on the hosts, when the nodes run on hosts over SSH. */
  readonly hosts?: HostsNetwork | undefined;
  /** What the faults can and cannot do here, in words: for the results' notes. */
  readonly notes: readonly string[];
}

export interface FaultCluster extends Cluster {
  readonly faults: FaultTools;
  /** The underlying cluster (real addresses, `markFailed`, `logTails`). */
  readonly inner: LocalCluster;
}

/** The fault tools of a cluster started by {@link startFaultCluster}; undefined for any other cluster. */
export function faultToolsOf(cluster: Cluster | undefined): FaultTools | undefined {
  const candidate = cluster as Partial<FaultCluster> | undefined;
  return candidate?.faults;
}

/** A node seen through its client proxy. */
class FaultNode implements Node {
  readonly host: string;
  readonly port: number;
  readonly address: string;
  readonly url: string;
  readonly meta: Readonly<Record<string, unknown>>;

  constructor(
    readonly inner: LocalNode,
    client: ProxyTarget | undefined,
    extraMeta: Record<string, unknown>,
  ) {
    this.host = client?.host ?? inner.host;
    this.port = client?.port ?? inner.port;
    this.address = `${this.host}:${this.port}`;
    this.url = inner.url.replace(inner.address, this.address);
    this.meta = Object.freeze({
      ...inner.meta,
      direct: { host: inner.host, port: inner.port, url: inner.url },
      ...extraMeta,
    });
  }
  get name(): string {
    return this.inner.name;
  }
  get index(): number {
    return this.inner.index;
  }
  get pid(): number | undefined {
    return this.inner.pid;
  }
  get dataDir(): string {
    return this.inner.dataDir;
  }
  get logPath(): string {
    return this.inner.logPath;
  }
  isPaused(): boolean {
    return this.inner.isPaused();
  }
  logs(): Promise<string> {
    return this.inner.logs();
  }
  isRunning(): boolean {
    return this.inner.isRunning();
  }
  kill(signal?: NodeJS.Signals): Promise<void> {
    return this.inner.kill(signal);
  }
  pause(): Promise<void> {
    return this.inner.pause();
  }
  resume(): Promise<void> {
    return this.inner.resume();
  }
  start(): Promise<void> {
    return this.inner.start();
  }
  restart(): Promise<void> {
    return this.inner.restart();
  }
  stop(): Promise<void> {
    return this.inner.stop();
  }
}

/**
 * Resolve `auto`/`netns` against what this machine can do. `netns` asked for
 * by name and unavailable is a usage error: falling back would run a
 * different test than the one asked for.
 */
function resolveNetworkMode(asked: NetworkMode, notes: string[]): Exclude<NetworkMode, "auto"> {
  if (asked !== "auto" && asked !== "netns") return asked;
  const availability = netnsAvailability();
  if (availability.available) return "netns";
  if (asked === "netns") {
    throw new UsageError(
      `netns is not available here: ${availability.reason}; use proxy or auto`,
      undefined,
      {
        setting: { name: "network", value: "netns" },
      },
    );
  }
  notes.push(`network faults through proxies, not namespaces: ${availability.reason}`);
  return "proxy";
}

/**
 * The proxy mesh of a fault cluster, started at the first node's setup (when
 * the ports are known), and the {@link RecipeHooks} that route node-to-node
 * links through it. Hooks answer with direct addresses unless the network
 * mode is `proxy` and the mesh is up.
 */
class MeshLinks {
  mesh: ProxyMesh | undefined;
  /** Set once the recipe is known (the hooks exist before it). */
  addressing: PeerAddressing = "none";
  /** Each node's current process (pid → name), from every spawn: how a shared inbound address tells dialers apart. */
  readonly pids = new Map<number, string>();
  private meshFor: unknown;

  /** A node (re)spawned: its new pid replaces the old one. */
  spawned(name: string, pid: number): void {
    for (const [known, owner] of this.pids) if (owner === name) this.pids.delete(known);
    this.pids.set(pid, name);
  }

  constructor(
    private readonly routed: boolean,
    private readonly identifyDialers: boolean,
  ) {}

  private peer(from: NodeSpec, to: NodeSpec): ProxyTarget | undefined {
    return this.routed && this.mesh ? this.mesh.peerAddress({ from: from.name, to: to.name }) : undefined;
  }

  readonly hooks: RecipeHooks = {
    peerAddress: (from, to) => this.peer(from, to) ?? { host: to.host, port: to.port },
    peerUrl: (from, to, directUrl) => {
      const target = this.peer(from, to);
      return target ? directUrl.replace(`${to.host}:${to.port}`, `${target.host}:${target.port}`) : directUrl;
    },
    replicaOfAddress: (replica, primary) =>
      this.peer(replica, primary) ?? { host: primary.host, port: primary.port },
    advertisePeerUrl: (node) => {
      // Any dialer's address for `node` is its one inbound proxy under per-node addressing.
      const dialer = node.cluster.nodes.find((other) => other.name !== node.name);
      const target = this.addressing === "per-node" && dialer ? this.peer(dialer, node) : undefined;
      // A TLS member (peer TLS on) is dialed over https through the proxy: the proxy relays bytes.
      const scheme = node.tls ? "https" : "http";
      return target
        ? `${scheme}://${target.host}:${target.port}`
        : `${scheme}://${node.host}:${node.ports.peer ?? node.port}`;
    },
  };

  /** Start (or, for a new cluster spec, restart) the mesh in front of these nodes. */
  async start(
    cluster: NodeSpec["cluster"],
    options: { readonly dials: readonly DirectedLink[] | undefined; readonly random: Random },
  ): Promise<void> {
    if (this.meshFor === cluster) return;
    await this.mesh?.close();
    this.mesh = await startProxyMesh({
      nodes: cluster.nodes.map((node) => ({
        name: node.name,
        client: { host: node.host, port: node.port },
        peer: { host: node.host, port: node.ports.peer ?? node.port },
      })),
      peerAddressing: this.addressing,
      ...(options.dials ? { dials: options.dials } : {}),
      random: options.random.fork(STREAMS.proxyMesh.label),
      ...(this.identifyDialers && { dialerPids: () => this.pids }),
    });
    this.meshFor = cluster;
  }
}

/** Clock fault tools that verify through the recipe's clock reader, or a note when libfaketime is missing. */
function clockTools(
  faults: RecipeFaults,
  nodeOf: (name: string) => Node | undefined,
  notes: string[],
  onHosts: { backend: SshBackend; library: string; nodeNames: readonly string[] } | undefined,
): ClockFaults | undefined {
  if (!onHosts && !findLibfaketime()) {
    notes.push("clock faults unavailable: libfaketime not found (Debian package faketime)");
    return undefined;
  }
  const read = faults.readClockMs;
  const probe: ClockProbe | undefined = read
    ? async (name, signal) => {
        const node = nodeOf(name);
        return node ? read(node, signal) : undefined;
      }
    : undefined;
  if (!onHosts) return clockFaults({ probe });
  const { backend, library, nodeNames } = onHosts;
  // The control files live on the hosts, next to the nodes; every write goes over SSH.
  return clockFaults({
    probe,
    library,
    writeControlFile: (name, file, text) => backend.writeFile(nodeNames.indexOf(name), file, text),
  });
}

/**
 * libfaketime's path on every host, or a usage error naming a host without
 * it: clock faults on some nodes only would be a different test.
 */
async function libfaketimeOnHosts(backend: SshBackend, nodeNames: readonly string[]): Promise<string> {
  const found = await Promise.all(nodeNames.map((_, i) => backend.findFile(i, LIBFAKETIME_PATHS)));
  const missing = nodeNames.filter((_, i) => found[i] === undefined);
  const setting = { name: "nemesis", value: "clock" };
  if (missing.length > 0)
    throw new UsageError(
      `clock faults need libfaketime on every host; ${missing.map((name) => backend.hostOf(nodeNames.indexOf(name)).label).join(", ")} ha${missing.length === 1 ? "s" : "ve"} none (install the Debian package faketime there)`,
      undefined,
      { setting },
    );
  const paths = new Set(found);
  if (paths.size > 1)
    throw new UsageError(
      `libfaketime is at different paths on the hosts (${[...paths].join(", ")})`,
      undefined,
      {
        setting,
      },
    );
  return found[0]!;
}

/** Each launch under the user's wrapper, then libfaketime, then (bound to its own host) its namespace. */
function launchWrapper(
  recipe: Recipe,
  userWrap: ClusterOptions["wrapLaunch"],
  clock: ClockFaults | undefined,
  netns: NetnsNetwork | undefined,
): (node: NodeSpec, launch: Launch) => Launch {
  return (node, launch) => {
    let out = userWrap ? userWrap(node, launch) : launch;
    if (clock) out = clock.wrap(node, out);
    if (netns) {
      out = recipe.faults?.bindHost?.(node, out) ?? out;
      out = netns.wrap(node.index, out);
    }
    return out;
  };
}

/** The network fault tools of a started cluster, and what they cannot do here in `notes`. */
function networkTools(
  recipeName: string,
  links: MeshLinks,
  netns: NetnsNetwork | undefined,
  notes: string[],
): NetworkFaults | undefined {
  const { mesh, addressing } = links;
  if (netns) {
    if (mesh) netns.setProxyFallback(proxyNetwork(mesh, { clusterName: recipeName }));
    notes.push(`network faults in network namespaces ${netns.prefix}-* (${netns.subnet}), iptables and tc`);
    return netns;
  }
  if (!mesh) return undefined;
  if (addressing === "per-node" && mesh.exactLinks) {
    notes.push(
      `${recipeName}: one peer address per node; the proxy mesh tells the dialing node by the owner of each connection's source socket (/proc), so every node-to-node link has its own proxy`,
    );
  } else if (addressing === "per-node") {
    notes.push(
      `${recipeName}: one peer address per node, so the proxy mesh can only cut a node off as a whole in one direction; partitions report which links were really cut (run as root for namespaces)`,
    );
  } else if (addressing === "none") {
    notes.push(`${recipeName}: node-to-node traffic is not proxied; only client links can be faulted`);
  }
  return proxyNetwork(mesh, { clusterName: recipeName });
}

/** The started cluster seen through its proxies, with its fault tools; stopping it stops everything. */
function faultClusterOf(cluster: LocalCluster, faults: FaultTools): FaultCluster {
  const { mesh, netns, clock, hosts } = faults;
  const nodes = cluster.nodes.map(
    (node) =>
      new FaultNode(node, mesh ? mesh.clientAddress(node.name) : undefined, {
        proxied: Boolean(mesh),
        ...(netns ? { netns: netns.namespace(node.index) } : {}),
        ...(clock ? { faketime: true } : {}),
      }),
  );
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      // The chains first, while the hosts' connections are open (the keeper removes them too).
      await hosts?.close();
      const results = await Promise.allSettled([cluster.stop()]);
      await mesh?.close().catch(() => {});
      await netns?.close();
      const failed = results.find((result) => result.status === "rejected");
      if (failed) throw (failed as PromiseRejectedResult).reason;
    })();
    return stopping;
  };
  const leader = cluster.leader;
  return {
    name: cluster.name,
    nodes,
    node(index: number) {
      const node = nodes[index];
      if (!node) throw new RangeError(`${cluster.name} cluster has ${nodes.length} nodes; no node(${index})`);
      return node;
    },
    clientUrls: nodes.map((node) => node.url),
    variant: cluster.variant,
    ...(leader
      ? {
          leader: async () => {
            const found = await leader.call(cluster);
            return found ? nodes.find((node) => node.name === found.name) : undefined;
          },
        }
      : {}),
    stop,
    notes: [...cluster.notes, ...faults.notes],
    faults,
    inner: cluster,
    [Symbol.asyncDispose]: stop,
  };
}

/** Start the cluster with what network and clock faults need; see the module doc. */
export async function startFaultCluster(options: StartFaultClusterOptions): Promise<FaultCluster> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const notes: string[] = [];
  const nodeNames = Array.from({ length: options.size }, (_, i) => `n${i + 1}`);
  // On hosts over SSH, network faults are iptables on the hosts, whatever mode was asked for.
  const hostsOptions = options.cluster?.hosts ?? currentHosts();
  const onHosts = hostsOptions !== undefined;
  const wantsNetwork = (options.network ?? "proxy") !== "none";
  const mode = onHosts ? "none" : resolveNetworkMode(options.network ?? "proxy", notes);
  // Opened here, not by startCluster: clock faults write on the hosts before the nodes start.
  const backend = hostsOptions ? await SshBackend.open(hostsOptions, options.size) : undefined;
  let hostsClock: { backend: SshBackend; library: string; nodeNames: readonly string[] } | undefined;
  if (backend && options.clock) {
    try {
      hostsClock = { backend, library: await libfaketimeOnHosts(backend, nodeNames), nodeNames };
    } catch (error) {
      await backend.close({ keep: false }).catch(() => {});
      throw error;
    }
  }

  const links = new MeshLinks(mode === "proxy", options.identifyDialers ?? true);
  const inner = options.recipe(links.hooks);
  const recipeFaults = inner.faults ?? {};
  links.addressing =
    mode === "proxy" ? (options.peerAddressing ?? recipeFaults.peerAddressing ?? "none") : "none";
  const dials = options.dials ?? recipeFaults.dials?.(nodeNames);

  let netns: NetnsNetwork | undefined;
  if (mode === "netns") {
    netns = await createNetnsNetwork({ nodeNames, log });
    if (netns.sweptLeftovers.length > 0) {
      notes.push(`removed leftovers of a dead run: ${netns.sweptLeftovers.join(", ")}`);
    }
  }
  let localNodes: readonly LocalNode[] = [];
  const clock = options.clock
    ? clockTools(recipeFaults, (name) => localNodes.find((node) => node.name === name), notes, hostsClock)
    : undefined;

  const recipe: Recipe = {
    ...inner,
    async setup(node) {
      if (mode !== "none") await links.start(node.cluster, { dials, random: options.random });
      // On a host the control file is written there, once, before the node's first start.
      if (hostsClock) await clock?.prepare(node);
      await inner.setup?.(node);
    },
  };
  let cluster: LocalCluster;
  try {
    const userOnSpawn = options.cluster?.onSpawn;
    cluster = await startCluster(recipe, options.size, {
      ...options.cluster,
      onSpawn: (node, pid) => {
        links.spawned(node.name, pid);
        userOnSpawn?.(node, pid);
      },
      ...(backend && { backend }),
      random: options.random,
      wrapLaunch: launchWrapper(inner, options.cluster?.wrapLaunch, clock, netns),
      ...(netns ? { hostOf: (index: number) => netns!.host(index) } : {}),
    });
  } catch (error) {
    await links.mesh?.close().catch(() => {});
    await netns?.close();
    throw error;
  }
  localNodes = cluster.nodes;

  let hosts: HostsNetwork | undefined;
  if (onHosts && wantsNetwork && cluster.backend instanceof SshBackend) {
    try {
      hosts = await createHostsNetwork(cluster.backend, nodeNames);
    } catch (error) {
      await cluster.stop().catch(() => {});
      throw error;
    }
    notes.push(
      `network faults by iptables on the hosts (chains ${hosts.chains.partition}, ${hosts.chains.loss}); latency, bandwidth and resets are not made on hosts`,
    );
  }
  const network = hosts ?? networkTools(inner.name, links, netns, notes);
  for (const note of notes) log(`crucible: ${note}`);
  return faultClusterOf(cluster, { network, clock, mesh: links.mesh, netns, hosts, notes });
}
