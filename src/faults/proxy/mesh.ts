/**
 * A mesh of fault proxies in front of a cluster: one proxy per client link
 * (client → node) and proxies on node-to-node links, so a partition grudge
 * (see `../partition.ts`) can be applied without root.
 *
 * How much of a grudge a proxy mesh can really cut depends on how the system
 * lets its nodes address each other (`peerAddressing`):
 *
 * - `"per-peer"`: each node can be given its own address for each peer (the
 *   demo server's peer list, Redis `replicaof`). The mesh starts one proxy per
 *   directed dial (i dials j), and node i must be configured with
 *   `peerAddress({ from: i, to: j })` for j. Every grudge is cut exactly,
 *   one-way links included.
 * - `"per-node"`: every node reaches node j at the one address j advertises
 *   (etcd's peer URL: one for all peers, and on loopback every source address
 *   looks alike). Given `dialerPids` (the nodes' pids) on Linux, the mesh
 *   tells the dialers apart anyway: j's one inbound address is a dispatcher
 *   that finds, for each connection it accepts, the process owning the
 *   connection's source socket (`/proc/net/tcp` → inode → `/proc/<pid>/fd`,
 *   see `_internals/socket-owner.ts`) and hands the connection, unread, to
 *   the proxy of that link (`peer i->j`). Every grudge is then cut exactly,
 *   one-way links included, as with `per-peer` (`exactLinks`). A connection
 *   whose dialer cannot be told is reset, never routed through another
 *   link's proxy. Without `dialerPids` (or /proc), the mesh starts one
 *   inbound proxy per node, shared by all its dialers, and can only drop what
 *   is shared: all traffic into j on connections dialed to j (when j drops
 *   everyone), or all of j's replies on them (when everyone drops j), so most
 *   grudges come out `partial` or `uncut`.
 * - `"none"`: node-to-node traffic is not proxied; no grudge can be applied.
 *
 * `applyGrudge` never over-cuts (it drops a proxy direction only when every
 * link it carries is in the grudge) and never claims a partition that did not
 * happen: it reports each link of the grudge as `cut` (dropped on every
 * connection that carries it), `partial` (on some) or `uncut`.
 */
import type { PeerAddressing } from "../../cluster/recipe.js";
import type { Random } from "../../random/random.js";
import { type DirectedLink, type Grudge, grudgeToJson, linksToCut } from "../partition.js";
import { type Dispatcher, type DispatcherStats, startDispatcher } from "./_internals/dispatcher.js";
import { dialerOf, socketOwnersReadable } from "./_internals/socket-owner.js";
import { type FaultProxy, startProxy } from "./proxy.js";
import type { ProxyEvent, ProxyTarget } from "./types.js";

export interface MeshNode {
  readonly name: string;
  /** The node's client port (what clients dial). */
  readonly client: ProxyTarget;
  /** The node's peer port (what other nodes dial); needed unless `peerAddressing` is `"none"`. */
  readonly peer?: ProxyTarget;
}

/** See the module doc; a recipe declares its own as `recipe.faults.peerAddressing`. */
export type { PeerAddressing };

export interface StartProxyMeshOptions {
  readonly nodes: readonly MeshNode[];
  readonly peerAddressing: PeerAddressing;
  /**
   * Which nodes open connections to which (`from` dials `to`). Default: every
   * ordered pair, as in a Raft cluster. Declare it when the system dials one
   * way only (a Redis replica dials its primary, never the reverse), so that
   * links carried by no connection do not count as `partial`.
   */
  readonly dials?: readonly DirectedLink[];
  /** Seeded stream; each proxy gets its own fork (`client/n1`, `peer/n1->n2`). */
  readonly random: Random;
  /** Default 127.0.0.1. */
  readonly listenHost?: string;
  readonly onEvent?: (event: ProxyEvent) => void;
  /**
   * Under `per-node` addressing: the current pid of each node's process (pid
   * → node name; each the leader of its own process group), read at every
   * connection. Given, and where /proc can be read, each node's one inbound
   * address tells the dialers apart and routes each through its own link's
   * proxy (see the module doc). Ignored under the other addressings.
   */
  readonly dialerPids?: () => ReadonlyMap<number, string>;
  /** How long an inbound connection may wait for its dialer to be told before it is reset. Default 2 s. */
  readonly identifyTimeoutMs?: number;
}

/** What `applyGrudge` really did. */
export interface GrudgeReport {
  /** The grudge asked for, as a sorted plain object. */
  readonly grudge: Record<string, string[]>;
  /** Links of the grudge whose traffic is dropped on every connection that carries it. */
  readonly cut: DirectedLink[];
  /** Links dropped on some of the connections that carry them, not all: the partition did not fully happen. */
  readonly partial: DirectedLink[];
  /** Links the mesh could not drop at all. */
  readonly uncut: DirectedLink[];
  /** True when every link of the grudge is cut. */
  readonly complete: boolean;
  /** The proxy directions dropped, e.g. `peer n1->n2 up`. */
  readonly dropped: string[];
}

export interface ProxyMesh extends AsyncDisposable {
  readonly peerAddressing: PeerAddressing;
  /**
   * True when every node-to-node link has a proxy of its own, so every grudge
   * is cut exactly and each link can be held alone: `per-peer` addressing,
   * or `per-node` with the dialers told apart (`dialerPids`).
   */
  readonly exactLinks: boolean;
  readonly nodeNames: readonly string[];
  /** The proxy in front of a node's client port. */
  clientProxy(node: string): FaultProxy;
  /** What clients should dial to reach a node. */
  clientAddress(node: string): ProxyTarget;
  /**
   * What node `from` should dial to reach node `to`'s peer port: a proxy of its
   * own for that pair (`per-peer`), `to`'s shared inbound proxy (`per-node`),
   * or `to`'s real peer port (`none`).
   */
  peerAddress(link: DirectedLink): ProxyTarget;
  /** Every proxy of the mesh, with a label (`client n1`, `peer n1->n2`, `peer *->n2`). */
  proxies(): { label: string; proxy: FaultProxy }[];
  /**
   * The proxy that carries exactly the connections `from` dials to `to` (a
   * mesh with {@link exactLinks}, for a dial it has), or undefined: a shared
   * `per-node` proxy carries every dialer's connections, so holding it would
   * hold other links too.
   */
  dialProxy(link: DirectedLink): FaultProxy | undefined;
  /** Connections the shared inbound addresses routed to their dialer's link, and reset as untold; zeros without them. */
  dialerStats(): DispatcherStats;
  /** Replace the current partition with this grudge (other faults stay); report what was really cut. */
  applyGrudge(grudge: Grudge): GrudgeReport;
  /** Lift the partition on every peer proxy (other faults stay). */
  healPartition(): void;
  /** Clear every fault on every proxy. */
  heal(): void;
  close(): Promise<void>;
}

interface PeerProxy {
  readonly label: string;
  readonly proxy: FaultProxy;
  /** The (dialer, receiver) pairs whose connections go through this proxy. */
  readonly dials: DirectedLink[];
}

const key = (link: DirectedLink): string => `${link.from}->${link.to}`;

/** How node-to-node connections reach their proxies: one per link, one shared per receiver, or none. */
type Routing = "per-link" | "shared" | "none";

class Mesh implements ProxyMesh {
  readonly nodeNames: readonly string[];
  readonly exactLinks: boolean;
  private readonly nodes: Map<string, MeshNode>;

  constructor(
    readonly peerAddressing: PeerAddressing,
    private readonly routing: Routing,
    nodes: readonly MeshNode[],
    private readonly dials: readonly DirectedLink[],
    private readonly clients: Map<string, FaultProxy>,
    /** per-link: keyed `a->b`; shared: keyed by receiver. */
    private readonly peers: Map<string, PeerProxy>,
    /** per-node addressing with told-apart dialers: each receiver's one inbound address. */
    private readonly dispatchers: Map<string, Dispatcher>,
  ) {
    this.nodeNames = nodes.map((node) => node.name);
    this.nodes = new Map(nodes.map((node) => [node.name, node]));
    this.exactLinks = routing === "per-link";
  }

  private node(name: string): MeshNode {
    const node = this.nodes.get(name);
    if (!node) throw new Error(`proxy mesh: unknown node ${name}`);
    return node;
  }

  clientProxy(node: string): FaultProxy {
    this.node(node);
    return this.clients.get(node)!;
  }

  clientAddress(node: string): ProxyTarget {
    const proxy = this.clientProxy(node);
    return { host: proxy.host, port: proxy.port };
  }

  private peerProxyFor(link: DirectedLink): PeerProxy | undefined {
    if (this.routing === "per-link") return this.peers.get(key(link));
    if (this.routing === "shared") return this.peers.get(link.to);
    return undefined;
  }

  peerAddress(link: DirectedLink): ProxyTarget {
    this.node(link.from);
    const to = this.node(link.to);
    if (link.from === link.to) throw new Error(`proxy mesh: ${link.from} does not dial itself`);
    const dispatcher = this.dispatchers.get(link.to);
    // Every dialer of `to` dials its one address; the dispatcher routes each to its link's proxy.
    if (dispatcher && this.dialsHas(link)) return { host: dispatcher.host, port: dispatcher.port };
    const peer = this.peerProxyFor(link);
    if (peer) return { host: peer.proxy.host, port: peer.proxy.port };
    if (this.peerAddressing === "none" && to.peer) return to.peer;
    throw new Error(
      `proxy mesh: no peer address for ${key(link)} (is it in dials? does ${link.to} have a peer port?)`,
    );
  }

  dialProxy(link: DirectedLink): FaultProxy | undefined {
    return this.routing === "per-link" ? this.peers.get(key(link))?.proxy : undefined;
  }

  dialerStats(): DispatcherStats {
    let routed = 0;
    let unidentified = 0;
    for (const dispatcher of this.dispatchers.values()) {
      const stats = dispatcher.stats();
      routed += stats.routed;
      unidentified += stats.unidentified;
    }
    return { routed, unidentified };
  }

  proxies(): { label: string; proxy: FaultProxy }[] {
    return [
      ...[...this.clients].map(([name, proxy]) => ({ label: `client ${name}`, proxy })),
      ...[...this.peers.values()].map(({ label, proxy }) => ({ label, proxy })),
    ];
  }

  applyGrudge(grudge: Grudge): GrudgeReport {
    for (const [to, froms] of grudge) {
      this.node(to);
      for (const from of froms) this.node(from);
    }
    const wanted = linksToCut(grudge);
    const wantedKeys = new Set(wanted.map(key));
    const dropped: string[] = [];
    const droppedKeys = new Set<string>();
    for (const peer of this.peers.values()) {
      peer.proxy.undrop();
      // `up` carries dialer → receiver traffic, `down` the replies; drop a direction only if
      // every link it carries is in the grudge, so no traffic the grudge spares is ever cut.
      const upLinks = peer.dials;
      const downLinks = peer.dials.map((dial) => ({ from: dial.to, to: dial.from }));
      for (const [direction, links] of [
        ["up", upLinks],
        ["down", downLinks],
      ] as const) {
        if (links.length === 0 || !links.every((link) => wantedKeys.has(key(link)))) continue;
        peer.proxy.dropOneWay(direction);
        dropped.push(`${peer.label} ${direction}`);
        droppedKeys.add(`${peer.label} ${direction}`);
      }
    }
    const cut: DirectedLink[] = [];
    const partial: DirectedLink[] = [];
    const uncut: DirectedLink[] = [];
    for (const link of wanted) {
      if (this.peerAddressing === "none") {
        uncut.push(link);
        continue;
      }
      // Traffic from → to flows up the connections `from` dials to `to`, and down the ones `to` dials to `from`.
      const paths: string[] = [];
      if (this.dialsHas(link)) paths.push(`${this.peerProxyFor(link)!.label} up`);
      const reverse = { from: link.to, to: link.from };
      if (this.dialsHas(reverse)) paths.push(`${this.peerProxyFor(reverse)!.label} down`);
      const droppedPaths = paths.filter((path) => droppedKeys.has(path)).length;
      if (droppedPaths === paths.length) cut.push(link);
      else if (droppedPaths > 0) partial.push(link);
      else uncut.push(link);
    }
    return {
      grudge: grudgeToJson(grudge),
      cut,
      partial,
      uncut,
      complete: partial.length === 0 && uncut.length === 0,
      dropped,
    };
  }

  private dialsHas(link: DirectedLink): boolean {
    return this.dials.some((dial) => dial.from === link.from && dial.to === link.to);
  }

  healPartition(): void {
    for (const peer of this.peers.values()) peer.proxy.undrop();
  }

  heal(): void {
    for (const { proxy } of this.proxies()) proxy.heal();
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.dispatchers.values()].map((dispatcher) => dispatcher.close()));
    const results = await Promise.allSettled(this.proxies().map(({ proxy }) => proxy.close()));
    const failed = results.filter((result): result is PromiseRejectedResult => result.status === "rejected");
    if (failed.length > 0) {
      throw new AggregateError(
        failed.map((result) => result.reason),
        "proxy mesh: some proxies did not close",
      );
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** Start every proxy of the mesh; on failure, the ones already started are closed. */
export async function startProxyMesh(options: StartProxyMeshOptions): Promise<ProxyMesh> {
  const names = options.nodes.map((node) => node.name);
  if (new Set(names).size !== names.length) throw new Error("proxy mesh: node names must be distinct");
  const dials =
    options.dials ?? names.flatMap((from) => names.filter((to) => to !== from).map((to) => ({ from, to })));
  for (const dial of dials) {
    if (!names.includes(dial.from) || !names.includes(dial.to) || dial.from === dial.to) {
      throw new Error(`proxy mesh: bad dial ${key(dial)}`);
    }
  }
  const started: FaultProxy[] = [];
  const dispatchers = new Map<string, Dispatcher>();
  const start = async (target: ProxyTarget, label: string): Promise<FaultProxy> => {
    const proxy = await startProxy({
      target,
      name: label,
      random: options.random.fork(label.replace(" ", "/")),
      ...(options.listenHost !== undefined ? { listenHost: options.listenHost } : {}),
      ...(options.onEvent !== undefined ? { onEvent: options.onEvent } : {}),
    });
    started.push(proxy);
    return proxy;
  };
  try {
    const clients = new Map<string, FaultProxy>();
    for (const node of options.nodes) clients.set(node.name, await start(node.client, `client ${node.name}`));
    const peers = new Map<string, PeerProxy>();
    const peerOf = (name: string): ProxyTarget => {
      const peer = options.nodes.find((node) => node.name === name)?.peer;
      if (!peer) throw new Error(`proxy mesh: node ${name} has no peer port`);
      return peer;
    };
    const dialerPids = options.dialerPids;
    const routing: Routing =
      options.peerAddressing === "per-peer" ||
      (options.peerAddressing === "per-node" && dialerPids !== undefined && socketOwnersReadable())
        ? "per-link"
        : options.peerAddressing === "per-node"
          ? "shared"
          : "none";
    if (routing === "per-link") {
      for (const dial of dials) {
        const label = `peer ${key(dial)}`;
        peers.set(key(dial), { label, proxy: await start(peerOf(dial.to), label), dials: [dial] });
      }
    }
    if (routing === "per-link" && options.peerAddressing === "per-node") {
      for (const name of names) {
        if (!dials.some((dial) => dial.to === name)) continue;
        dispatchers.set(
          name,
          await startDispatcher({
            name: `peer *->${name}`,
            listenHost: options.listenHost ?? "127.0.0.1",
            identify: (dialer, accepted) => dialerOf({ dialer, accepted, candidates: dialerPids!() }),
            routeTo: (from) => peers.get(key({ from, to: name }))?.proxy,
            ...(options.identifyTimeoutMs !== undefined && { identifyTimeoutMs: options.identifyTimeoutMs }),
            ...(options.onEvent !== undefined && { onEvent: options.onEvent }),
          }),
        );
      }
    } else if (routing === "shared") {
      for (const name of names) {
        const inbound = dials.filter((dial) => dial.to === name);
        if (inbound.length === 0) continue;
        const label = `peer *->${name}`;
        peers.set(name, { label, proxy: await start(peerOf(name), label), dials: inbound });
      }
    }
    return new Mesh(options.peerAddressing, routing, options.nodes, dials, clients, peers, dispatchers);
  } catch (error) {
    await Promise.allSettled([...dispatchers.values()].map((dispatcher) => dispatcher.close()));
    await Promise.allSettled(started.map((proxy) => proxy.close()));
    throw error;
  }
}
