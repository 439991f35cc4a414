/**
 * The system a datadriven file drives: a real cluster, a client for it, and
 * the fault mesh `crucible run --network proxy` uses (`startFaultCluster`),
 * so that `hold`, `release`, `deliver` and `partition` intercept what the
 * network carries through one mechanism for every target.
 *
 * Links are named by who opens the connections: every client connection to
 * node `nX` goes through `client->nX`, and every connection node `a` opens to
 * node `b` through `a->b` (the demo server's peers dial each other; a Redis
 * replica dials its primary: `n2->n1`). On each proxy `up` carries the
 * requests of the side that dialed and `down` the replies. An etcd member
 * advertises one peer address to all its peers; the mesh tells its dialers
 * apart by the owner of each connection's source socket (Linux /proc), so
 * each member-to-member link (`n1->n2`) has a proxy of its own there too.
 *
 * The demo nodes run with a long replication timeout (20 s instead of 2 s):
 * a replication request held by `hold` must not time out and be re-sent on
 * a new connection while the test looks at it, which would change how many
 * messages are held.
 */

import { demoClient } from "../../client/demo.js";
import { etcdClient } from "../../client/etcd.js";
import { redisClient } from "../../client/redis.js";
import type { Client } from "../../client/types.js";
import { EtcdKv } from "../../cluster/etcd-kv.js";
import type { LocalCluster, LocalNode } from "../../cluster/fixture.js";
import type { Recipe } from "../../cluster/recipe.js";
import { demo } from "../../cluster/recipes/demo.js";
import { etcd, etcdStatus } from "../../cluster/recipes/etcd.js";
import { redis } from "../../cluster/recipes/redis.js";
import { parseInfo, RespConnection } from "../../cluster/resp.js";
import type { Cluster, Node } from "../../cluster/types.js";
import type { StateResponse } from "../../demo/protocol.js";
import { type FaultCluster, type RecipeHooks, startFaultCluster } from "../../faults/fault-cluster.js";
import { type DirectedLink, type Grudge, linksToCut } from "../../faults/partition.js";
import type { ProxyMesh } from "../../faults/proxy/mesh.js";
import type { FaultProxy } from "../../faults/proxy/proxy.js";
import { Random } from "../../random/random.js";
import { STREAMS } from "../../random/streams.js";
import { formatValue } from "./ops.js";

export const TARGET_KINDS = ["demo", "etcd", "redis"] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];
export type DemoTargetMode = "linearizable" | "stale-reads";

export interface TargetOptions {
  kind: TargetKind;
  /** Nodes to start; default 3 for the demo, 1 for etcd, 2 for Redis (a primary and a replica). */
  nodes?: number;
  /** Demo server mode; default `linearizable`. */
  demoMode?: DemoTargetMode;
  /** Demo server `--replication-delay-ticks`: followers get an entry only after the leader's clock advanced this much; default 0. */
  replicationDelayTicks?: number;
  /** Seed of the proxies' random streams and of the recipe's variant choice; default 1, so a file always runs the same way. */
  seed?: number;
}

/** A proxied link: the proxy carrying connections `from` opens to `to` (`from` is `client` for client links). */
export interface LinkProxy {
  readonly label: string;
  readonly proxy: FaultProxy;
}

/** A started system under test; `close()` stops everything it started. */
export interface DataDrivenTarget {
  readonly kind: TargetKind;
  readonly cluster: LocalCluster;
  readonly client: Client;
  readonly nodeNames: readonly string[];
  /** The node named `name`, or undefined (the node itself: faults and admin requests go to it directly). */
  node(name: string): LocalNode | undefined;
  /** The node as clients reach it: through its client proxy (`client->nX`). */
  clientNode(node: LocalNode): Node;
  /** The cluster as clients see it (nodes at their client proxies). */
  readonly clientCluster: Cluster;
  /** The proxy of a link (`from` may be `client`); undefined when the target has no proxy there. */
  linkProxy(link: DirectedLink): LinkProxy | undefined;
  /** True when the target has link proxies (the demo server). */
  readonly proxied: boolean;
  /** Stall the peer links of `grudge` (replacing any previous partition); returns the links cut. */
  partition(grudge: Grudge): DirectedLink[];
  /** Lift every link fault (partition, hold): held messages are delivered. */
  heal(): void;
  /** Advance the logical clock of the node (demo only). */
  tick(node: LocalNode, n: number): Promise<void>;
  /**
   * What `print-state` prints after the node's name: the demo node's role,
   * durable index and data; an etcd member's role, revision and the keys of
   * the file's client; a Redis node's role and keys (and, with `detail`, the
   * replication offset, which moves with the primary's pings).
   */
  describeState(node: LocalNode, options: { detail: boolean }): Promise<string>;
  close(): Promise<void>;
}

/** How long a request to a demo node's admin endpoints (`/clock/tick`, `/state`) may take. */
export const ADMIN_TIMEOUT_MS = 5_000;

/**
 * Why `tick` cannot drive a target other than the demo server, in words.
 *
 * Redis is a C program, so libfaketime could move its wall clock (its key
 * expiry reads `mstime()`, i.e. `gettimeofday`), but Debian's redis-server
 * 7.0 is linked with jemalloc (`ldd`: libjemalloc.so.2), and a jemalloc
 * program hangs at start under libfaketime 0.9.10: jemalloc's initialisation
 * calls `clock_gettime` before libfaketime has set itself up, libfaketime's
 * set-up allocates, and the process waits on a futex forever (libfaketime
 * issues #130 and #327, unfixed upstream). Measured here: the server prints
 * "libfaketime: Cannot recover from unexpected recursive calls to
 * clock_gettime()" and never opens its port.
 */
export function noLogicalClock(kind: TargetKind): string {
  return kind === "etcd"
    ? "tick: etcd has no logical clock to advance, and libfaketime cannot reach a Go binary's clock (it reads the time through the vDSO)"
    : `tick: ${kind} has no logical clock to advance, and libfaketime cannot fake its wall clock: redis-server is linked with jemalloc, which hangs at start under libfaketime (jemalloc calls clock_gettime before libfaketime is set up; libfaketime issues #130, #327)`;
}

/** How many nodes a target starts unless told otherwise. */
export function defaultNodeCount(kind: TargetKind): number {
  return kind === "demo" ? 3 : kind === "etcd" ? 1 : 2;
}

/** The names the nodes of a target started with `options` will have: n1, n2, ... */
export function plannedNodeNames(options: Pick<TargetOptions, "kind" | "nodes">): string[] {
  return Array.from({ length: options.nodes ?? defaultNodeCount(options.kind) }, (_, i) => `n${i + 1}`);
}

/** Start the target; nothing is left running if it fails. */
export async function startTarget(options: TargetOptions): Promise<DataDrivenTarget> {
  const seed = options.seed ?? 1;
  const size = options.nodes ?? defaultNodeCount(options.kind);
  const random = new Random(seed, STREAMS.datadriven.label);
  // The same fault mesh `crucible run --network proxy` uses: client proxies, and proxies on node-to-node links.
  const start = (recipe: (hooks: RecipeHooks) => Recipe, args: readonly string[] = []) =>
    startFaultCluster({
      recipe,
      size,
      network: "proxy",
      random,
      cluster: { log: () => {}, args },
      log: () => {},
    });
  switch (options.kind) {
    case "demo": {
      const args = ["--replication-timeout-ms", "20000"];
      if ((options.replicationDelayTicks ?? 0) > 0)
        args.push("--replication-delay-ticks", String(options.replicationDelayTicks));
      const cluster = await start(
        (hooks) => demo({ mode: options.demoMode ?? "linearizable", peerUrl: hooks.peerUrl }),
        args,
      );
      return new MeshTarget("demo", cluster, demoClient(), {
        tick: (node, n) => adminRequest(node, "/clock/tick", { n }).then(() => {}),
        describe: async (node) => {
          const state = (await adminRequest(node, "/state")) as StateResponse;
          return `${state.role} durable=${state.durableIndex} data: ${formatData(Object.entries(state.data))}`;
        },
      });
    }
    case "etcd": {
      const client = etcdClient();
      const cluster = await start((hooks) => etcd({ advertisePeerUrl: hooks.advertisePeerUrl }));
      return new MeshTarget("etcd", cluster, client, {
        describe: (node) => describeEtcdMember(node, client.keyPrefix),
      });
    }
    case "redis": {
      // `exec node=n2 read x` reads n2's own copy: what a file about replication needs to see.
      const client = redisClient({ readFrom: "node" });
      const cluster = await start((hooks) => redis({ replicaOfAddress: hooks.replicaOfAddress }));
      return new MeshTarget("redis", cluster, client, {
        describe: (node, detail) => describeRedisNode(node, client.keyPrefix, detail),
      });
    }
  }
}

const linkKey = (link: DirectedLink): string => `${link.from}->${link.to}`;

interface TargetKnobs {
  /** Advance a node's logical clock; absent when the system has none. */
  readonly tick?: (node: LocalNode, n: number) => Promise<void>;
  readonly describe: (node: LocalNode, detail: boolean) => Promise<string>;
}

/** A target on the fault mesh: clients reach each node through its client proxy, peers through link proxies. */
class MeshTarget implements DataDrivenTarget {
  readonly nodeNames: readonly string[];
  readonly proxied: boolean;
  readonly cluster: LocalCluster;
  private readonly mesh: ProxyMesh;

  constructor(
    readonly kind: TargetKind,
    private readonly faultCluster: FaultCluster,
    readonly client: Client,
    private readonly knobs: TargetKnobs,
  ) {
    const mesh = faultCluster.faults.mesh;
    if (mesh === undefined) throw new Error(`${kind} target: the fault mesh did not start`);
    this.mesh = mesh;
    this.cluster = faultCluster.inner;
    this.nodeNames = this.cluster.nodes.map((node) => node.name);
    this.proxied = mesh.exactLinks;
  }

  node(name: string): LocalNode | undefined {
    return this.cluster.nodes.find((node) => node.name === name);
  }

  clientNode(node: LocalNode): Node {
    return this.faultCluster.nodes.find((candidate) => candidate.name === node.name) ?? node;
  }

  get clientCluster(): Cluster {
    return this.faultCluster;
  }

  linkProxy(link: DirectedLink): LinkProxy | undefined {
    const label = linkKey(link);
    if (link.from === "client") return { label, proxy: this.mesh.clientProxy(link.to) };
    const proxy = this.mesh.dialProxy(link);
    return proxy === undefined ? undefined : { label, proxy };
  }

  partition(grudge: Grudge): DirectedLink[] {
    const report = this.mesh.applyGrudge(grudge);
    if (!report.complete) {
      this.mesh.healPartition();
      const links = (list: readonly DirectedLink[]) => list.map(linkKey).join(", ") || "none";
      throw new Error(
        `partition: the ${this.kind} proxy mesh cannot cut this exactly (cut: ${links(report.cut)}; partly: ${links(report.partial)}; not at all: ${links(report.uncut)}); nothing was cut`,
      );
    }
    return linksToCut(grudge);
  }

  heal(): void {
    this.mesh.heal();
  }

  async tick(node: LocalNode, n: number): Promise<void> {
    if (this.knobs.tick === undefined) throw new Error(noLogicalClock(this.kind));
    await this.knobs.tick(node, n);
  }

  describeState(node: LocalNode, options: { detail: boolean }): Promise<string> {
    return this.knobs.describe(node, options.detail);
  }

  async close(): Promise<void> {
    // Nodes first, then the proxies (the fault cluster does both), so nodes do not log about links vanishing.
    await this.faultCluster.stop();
  }
}

/** A direct request to a node's admin endpoint (not through the client proxy: it is the test's own channel). */
async function adminRequest(node: LocalNode, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${node.url}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(ADMIN_TIMEOUT_MS),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${node.name} ${path}: HTTP ${response.status}: ${text.slice(0, 200)}`);
  return JSON.parse(text);
}

/** `key=value` pairs in key order, values as the ops print them; `(empty)` when there are none. */
function formatData(entries: ReadonlyArray<readonly [string, unknown]>): string {
  const sorted = [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const text = sorted.map(([key, value]) => `${formatValue(key)}=${formatValue(value)}`).join(" ");
  return text === "" ? "(empty)" : text;
}

/** A stored register value as the ops print it: the integer when it is one. */
function storedValue(text: string): unknown {
  return /^-?\d+$/.test(text) ? Number(text) : text;
}

/**
 * An etcd member's own view (a serializable range, answered from its state
 * without a quorum, so a lagging follower shows what it has): leader or
 * follower, the revision it has applied, and the file's keys.
 */
async function describeEtcdMember(node: LocalNode, keyPrefix: string): Promise<string> {
  const status = await etcdStatus(node.url, AbortSignal.timeout(ADMIN_TIMEOUT_MS));
  const kv = EtcdKv.of(node);
  try {
    const { revision, entries } = await kv.rangeAt(keyPrefix, { serializable: true });
    const data = entries.map(({ key, value }) => [key.slice(keyPrefix.length), storedValue(value)] as const);
    const role = status.memberId === status.leaderId ? "leader" : "follower";
    return `${role} revision=${revision} data: ${formatData(data)}`;
  } finally {
    await kv.close();
  }
}

/** A Redis node's role and the file's keys (its own copy: a replica shows what it has replicated). */
async function describeRedisNode(node: LocalNode, keyPrefix: string, detail: boolean): Promise<string> {
  const connection = await RespConnection.connect({
    host: node.host,
    port: node.port,
    timeoutMs: ADMIN_TIMEOUT_MS,
  });
  try {
    const info = await connection.command(["INFO", "replication"]);
    if (typeof info !== "string") throw new Error(`${node.name} INFO replication: ${JSON.stringify(info)}`);
    const fields = parseInfo(info);
    const role = fields.get("role") === "master" ? "primary" : "replica";
    const keys = await connection.command(["KEYS", `${keyPrefix}*`]);
    const names = Array.isArray(keys) ? keys.filter((key): key is string => typeof key === "string") : [];
    const values = names.length === 0 ? [] : await connection.command(["MGET", ...names]);
    const data = names.map((name, i) => {
      const value = Array.isArray(values) ? values[i] : undefined;
      return [name.slice(keyPrefix.length), typeof value === "string" ? storedValue(value) : null] as const;
    });
    const offset = detail ? ` offset=${fields.get("master_repl_offset") ?? "?"}` : "";
    return `${role}${offset} data: ${formatData(data)}`;
  } finally {
    connection.close();
  }
}
