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

import { UsageError } from "../cli/exit-codes.js";
import { type ClusterOptions, type LocalCluster, type LocalNode, startCluster } from "../cluster/fixture.js";
import type { Launch, NodeSpec, Recipe } from "../cluster/recipe.js";
import { RespError, respCommand } from "../cluster/resp.js";
import type { Cluster, Node } from "../cluster/types.js";
import type { Random } from "../random/random.js";
import { STREAMS } from "../random/streams.js";
import { type ClockFaults, type ClockProbe, clockFaults, findLibfaketime } from "./clock.js";
import { createNetnsNetwork, type NetnsNetwork, netnsAvailability } from "./netns.js";
import { type NetworkFaults, proxyNetwork } from "./network.js";
import type { DirectedLink } from "./partition.js";
import { type PeerAddressing, type ProxyMesh, startProxyMesh } from "./proxy/mesh.js";
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
   * Default by recipe name: demo and redis `per-peer`, etcd `per-node`, others `none`.
   */
  readonly peerAddressing?: PeerAddressing;
  /** Who dials whom (default: Redis replicas dial n1; others every ordered pair). */
  readonly dials?: readonly DirectedLink[];
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

function defaultAddressing(recipeName: string): PeerAddressing {
  if (recipeName === "demo" || recipeName === "redis") return "per-peer";
  if (recipeName === "etcd") return "per-node";
  return "none";
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

/** How to read a node's wall clock, by recipe: the demo server's `/clock`, Redis `TIME`. */
function clockProbeFor(
  recipeName: string,
  nodeOf: (name: string) => LocalNode | undefined,
): ClockProbe | undefined {
  if (recipeName === "demo") {
    return async (name, signal) => {
      const node = nodeOf(name);
      if (!node) return undefined;
      const response = await fetch(`${node.url}/clock`, { signal });
      if (!response.ok) return undefined;
      const body = (await response.json()) as { wallMs?: unknown };
      return typeof body.wallMs === "number" ? body.wallMs : undefined;
    };
  }
  if (recipeName === "redis") {
    return async (name) => {
      const node = nodeOf(name);
      if (!node) return undefined;
      const reply = await respCommand({ host: node.host, port: node.port, args: ["TIME"], timeoutMs: 2_000 });
      if (reply instanceof RespError || !Array.isArray(reply)) return undefined;
      const [seconds, micros] = reply.map((part) => Number(part));
      if (seconds === undefined || micros === undefined || Number.isNaN(seconds)) return undefined;
      return seconds * 1000 + micros / 1000;
    };
  }
  return undefined;
}

/** Start the cluster with what network and clock faults need; see the module doc. */
export async function startFaultCluster(options: StartFaultClusterOptions): Promise<FaultCluster> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const notes: string[] = [];
  const nodeNames = Array.from({ length: options.size }, (_, i) => `n${i + 1}`);

  let mode = options.network ?? "proxy";
  if (mode === "auto" || mode === "netns") {
    const availability = netnsAvailability();
    if (availability.available) mode = "netns";
    else if (mode === "netns") {
      // Asked for by name: falling back would run a different test than the one asked for.
      throw new UsageError(
        `--network netns is not available here: ${availability.reason}; use --network proxy or auto`,
      );
    } else {
      notes.push(`network faults through proxies, not namespaces: ${availability.reason}`);
      mode = "proxy";
    }
  }

  let mesh: ProxyMesh | undefined;
  let meshFor: unknown;
  let recipeName = "";
  let addressing: PeerAddressing = "none";
  const requireMesh = (): ProxyMesh => {
    if (!mesh) throw new Error("fault cluster: the proxy mesh is not started yet (a hook ran before setup)");
    return mesh;
  };
  const hooks: RecipeHooks = {
    peerAddress: (from, to) =>
      mode === "proxy" && mesh
        ? requireMesh().peerAddress({ from: from.name, to: to.name })
        : { host: to.host, port: to.port },
    peerUrl: (from, to, directUrl) => {
      if (mode !== "proxy" || !mesh) return directUrl;
      const target = requireMesh().peerAddress({ from: from.name, to: to.name });
      return directUrl.replace(`${to.host}:${to.port}`, `${target.host}:${target.port}`);
    },
    replicaOfAddress: (replica, primary) =>
      mode === "proxy" && mesh
        ? requireMesh().peerAddress({ from: replica.name, to: primary.name })
        : { host: primary.host, port: primary.port },
    advertisePeerUrl: (node) => {
      const peerPort = node.ports.peer ?? node.port;
      if (mode !== "proxy" || !mesh || addressing !== "per-node") return `http://${node.host}:${peerPort}`;
      // Any dialer's address for `node` is its one inbound proxy under per-node addressing.
      const dialer = node.cluster.nodes.find((other) => other.name !== node.name);
      if (!dialer) return `http://${node.host}:${peerPort}`;
      const target = requireMesh().peerAddress({ from: dialer.name, to: node.name });
      return `http://${target.host}:${target.port}`;
    },
  };
  const inner = options.recipe(hooks);
  recipeName = inner.name;
  addressing = mode === "proxy" ? (options.peerAddressing ?? defaultAddressing(inner.name)) : "none";
  const dials =
    options.dials ??
    (inner.name === "redis"
      ? nodeNames.slice(1).map((name) => ({ from: name, to: nodeNames[0]! }))
      : undefined);

  let netns: NetnsNetwork | undefined;
  if (mode === "netns") {
    netns = await createNetnsNetwork({ nodeNames, log });
    if (netns.sweptLeftovers.length > 0) {
      notes.push(`removed leftovers of a dead run: ${netns.sweptLeftovers.join(", ")}`);
    }
  }

  let clock: ClockFaults | undefined;
  let localNodes: readonly LocalNode[] = [];
  if (options.clock) {
    if (findLibfaketime()) {
      clock = clockFaults({
        probe: clockProbeFor(inner.name, (name) => localNodes.find((node) => node.name === name)),
      });
    } else {
      notes.push("clock faults unavailable: libfaketime not found (Debian package faketime)");
    }
  }

  const startMesh = async (cluster: NodeSpec["cluster"]): Promise<void> => {
    if (meshFor === cluster) return;
    await mesh?.close();
    mesh = await startProxyMesh({
      nodes: cluster.nodes.map((node) => ({
        name: node.name,
        client: { host: node.host, port: node.port },
        peer: { host: node.host, port: node.ports.peer ?? node.port },
      })),
      peerAddressing: addressing,
      ...(dials ? { dials } : {}),
      random: options.random.fork(STREAMS.proxyMesh.label),
    });
    meshFor = cluster;
  };
  const recipe: Recipe = {
    ...inner,
    async setup(node) {
      if (mode === "proxy" || mode === "netns") await startMesh(node.cluster);
      await inner.setup?.(node);
    },
  };
  const userWrap = options.cluster?.wrapLaunch;
  const wrapLaunch = (node: NodeSpec, launch: Launch): Launch => {
    let out = userWrap ? userWrap(node, launch) : launch;
    if (clock) out = clock.wrap(node, out);
    if (netns) {
      // The demo server binds 127.0.0.1 unless told: in a namespace it must bind its own address.
      if (recipeName === "demo" && !out.args.includes("--host"))
        out = { ...out, args: [...out.args, "--host", node.host] };
      out = netns.wrap(node.index, out);
    }
    return out;
  };

  let cluster: LocalCluster;
  try {
    cluster = await startCluster(recipe, options.size, {
      ...options.cluster,
      random: options.random,
      wrapLaunch,
      ...(netns ? { hostOf: (index: number) => netns!.host(index) } : {}),
    });
  } catch (error) {
    await mesh?.close().catch(() => {});
    await netns?.close();
    throw error;
  }
  localNodes = cluster.nodes;

  let network: NetworkFaults | undefined;
  if (netns) {
    if (mesh) netns.setProxyFallback(proxyNetwork(mesh, { clusterName: recipeName }));
    network = netns;
    notes.push(`network faults in network namespaces ${netns.prefix}-* (${netns.subnet}), iptables and tc`);
  } else if (mesh) {
    network = proxyNetwork(mesh, { clusterName: recipeName });
    if (addressing === "per-node") {
      notes.push(
        `${recipeName}: one peer address per node, so the proxy mesh can only cut a node off as a whole in one direction; partitions report which links were really cut (run as root for namespaces)`,
      );
    } else if (addressing === "none") {
      notes.push(`${recipeName}: node-to-node traffic is not proxied; only client links can be faulted`);
    }
  }
  for (const note of notes) log(`crucible: ${note}`);

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
      const results = await Promise.allSettled([cluster.stop()]);
      await mesh?.close().catch(() => {});
      await netns?.close();
      const failed = results.find((result) => result.status === "rejected");
      if (failed) throw (failed as PromiseRejectedResult).reason;
    })();
    return stopping;
  };
  const faultCluster: FaultCluster = {
    name: cluster.name,
    nodes,
    node(index: number) {
      const node = nodes[index];
      if (!node) throw new RangeError(`${cluster.name} cluster has ${nodes.length} nodes; no node(${index})`);
      return node;
    },
    clientUrls: nodes.map((node) => node.url),
    variant: cluster.variant,
    ...(cluster.leader
      ? {
          leader: async () => {
            const leader = await cluster.leader!();
            return leader ? nodes.find((node) => node.name === leader.name) : undefined;
          },
        }
      : {}),
    stop,
    notes,
    faults: { network, clock, mesh, netns, notes },
    inner: cluster,
    [Symbol.asyncDispose]: stop,
  };
  return faultCluster;
}
