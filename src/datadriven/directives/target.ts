/**
 * The system a datadriven file drives: a real cluster, a client for it and,
 * for the demo server, a fault proxy on every link so that `hold`,
 * `release`, `deliver` and `partition` can intercept what the network
 * carries.
 *
 * Demo links. Every client connection to node `nX` goes through the proxy
 * `client->nX`, and every connection node `a` opens to node `b` (the leader
 * replicating to a follower, a follower forwarding an op to the leader) goes
 * through the proxy `a->b`; on each proxy `up` carries the requests of the
 * side that dialed and `down` the replies. The peer proxies must be known
 * before the nodes start (a node's peer list is fixed at launch), while a
 * proxy needs its target's port, chosen when the cluster starts: so their
 * listening ports are reserved first, the nodes are launched pointing at
 * them, and the proxies are started on those ports right after (a node
 * retries its peers with backoff until then).
 *
 * The demo nodes run with a long replication timeout (20 s instead of 2 s):
 * a replication request held by `hold` must not time out and be re-sent on
 * a new connection while the test looks at it, which would change how many
 * messages are held.
 *
 * etcd and Redis run without proxies: process faults (`kill`, `pause`,
 * `restart`) work, link faults are refused with a message that says so.
 */

import { demoClient } from "../../client/demo.js";
import { etcdClient } from "../../client/etcd.js";
import { redisClient } from "../../client/redis.js";
import type { Client } from "../../client/types.js";
import type { LocalCluster, LocalNode } from "../../cluster/fixture.js";
import { startCluster } from "../../cluster/fixture.js";
import { postJsonText } from "../../cluster/http.js";
import type { Recipe } from "../../cluster/recipe.js";
import { demo } from "../../cluster/recipes/demo.js";
import { etcd, etcdStatus } from "../../cluster/recipes/etcd.js";
import { redis } from "../../cluster/recipes/redis.js";
import { parseInfo, RespConnection } from "../../cluster/resp.js";
import { freePorts, LOOPBACK } from "../../cluster/system.js";
import type { StateResponse } from "../../demo/protocol.js";
import { type DirectedLink, type Grudge, linksToCut } from "../../faults/partition.js";
import { type FaultProxy, startProxy } from "../../faults/proxy/proxy.js";
import type { ProxyTarget } from "../../faults/proxy/types.js";
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
  /** The node named `name`, or undefined. */
  node(name: string): LocalNode | undefined;
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

/** Why `tick` cannot drive a target other than the demo server, in words. */
export function noLogicalClock(kind: TargetKind): string {
  return kind === "etcd"
    ? "tick: etcd has no logical clock to advance, and libfaketime cannot reach a Go binary's clock (it reads the time through the vDSO)"
    : `tick: ${kind} has no logical clock to advance; move its wall clock with a clock fault instead (crucible run --nemesis clock)`;
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
  switch (options.kind) {
    case "demo":
      return startDemoTarget(options, seed);
    case "etcd": {
      const client = etcdClient();
      return startPlainTarget(
        options.kind,
        etcd(),
        options.nodes ?? defaultNodeCount("etcd"),
        client,
        seed,
        (node) => describeEtcdMember(node, client.keyPrefix),
      );
    }
    case "redis": {
      const client = redisClient();
      return startPlainTarget(
        options.kind,
        redis(),
        options.nodes ?? defaultNodeCount("redis"),
        client,
        seed,
        (node, detail) => describeRedisNode(node, client.keyPrefix, detail),
      );
    }
  }
}

const linkKey = (link: DirectedLink): string => `${link.from}->${link.to}`;

/** Attempts when a reserved proxy port was taken before the proxy bound it. */
const PORT_ATTEMPTS = 3;

async function startDemoTarget(options: TargetOptions, seed: number): Promise<DataDrivenTarget> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDemoTargetOnce(options, seed);
    } catch (error) {
      const inUse = (error as NodeJS.ErrnoException).code === "EADDRINUSE";
      if (!inUse || attempt >= PORT_ATTEMPTS) throw error;
    }
  }
}

async function startDemoTargetOnce(options: TargetOptions, seed: number): Promise<DataDrivenTarget> {
  const names = plannedNodeNames(options);
  const size = names.length;
  const dials = names.flatMap((from) => names.filter((to) => to !== from).map((to) => ({ from, to })));
  const reserved = await freePorts(dials.length);
  const listenPorts = new Map(dials.map((dial, i) => [linkKey(dial), reserved[i]!]));
  const peerTargets = new Map<string, ProxyTarget>();
  const recipe = demo({
    mode: options.demoMode ?? "linearizable",
    peerUrl: (from, to) => {
      const key = linkKey({ from: from.name, to: to.name });
      peerTargets.set(key, { host: to.host, port: to.port });
      return `http://${LOOPBACK}:${listenPorts.get(key)}`;
    },
  });
  const args = ["--replication-timeout-ms", "20000"];
  if ((options.replicationDelayTicks ?? 0) > 0)
    args.push("--replication-delay-ticks", String(options.replicationDelayTicks));
  const cluster = await startCluster(recipe, size, { log: () => {}, args, seed });
  const random = new Random(seed, STREAMS.datadriven.label);
  const proxies = new Map<string, LinkProxy>();
  try {
    for (const node of cluster.nodes) {
      const label = `client->${node.name}`;
      const proxy = await startProxy({
        target: { host: node.host, port: node.port },
        name: label,
        random: random.fork(label),
      });
      proxies.set(label, { label, proxy });
    }
    for (const dial of dials) {
      const label = linkKey(dial);
      const target = peerTargets.get(label);
      if (target === undefined)
        throw new Error(`demo target: ${dial.from} was launched without a peer URL for ${dial.to}`);
      const proxy = await startProxy({
        target,
        listenPort: listenPorts.get(label)!,
        name: label,
        random: random.fork(label),
      });
      proxies.set(label, { label, proxy });
    }
  } catch (error) {
    await Promise.allSettled([...proxies.values()].map(({ proxy }) => proxy.close()));
    await cluster.stop();
    throw error;
  }
  const client = demoClient({
    urlOf: (node) => `http://${proxies.get(`client->${node.name}`)!.proxy.address}`,
  });
  return new DemoTarget(cluster, client, proxies, dials);
}

class DemoTarget implements DataDrivenTarget {
  readonly kind = "demo";
  readonly proxied = true;
  readonly nodeNames: readonly string[];

  constructor(
    readonly cluster: LocalCluster,
    readonly client: Client,
    private readonly proxies: ReadonlyMap<string, LinkProxy>,
    private readonly dials: readonly DirectedLink[],
  ) {
    this.nodeNames = cluster.nodes.map((node) => node.name);
  }

  node(name: string): LocalNode | undefined {
    return this.cluster.nodes.find((node) => node.name === name);
  }

  linkProxy(link: DirectedLink): LinkProxy | undefined {
    return this.proxies.get(linkKey(link));
  }

  partition(grudge: Grudge): DirectedLink[] {
    const wanted = linksToCut(grudge);
    for (const dial of this.dials) this.proxies.get(linkKey(dial))!.proxy.undrop();
    // Traffic from → to rides up the connections `from` dials to `to`, and down the ones `to` dials to `from`.
    for (const link of wanted) {
      this.proxies.get(linkKey(link))?.proxy.dropOneWay("up");
      this.proxies.get(linkKey({ from: link.to, to: link.from }))?.proxy.dropOneWay("down");
    }
    return wanted;
  }

  heal(): void {
    for (const { proxy } of this.proxies.values()) proxy.heal();
  }

  async tick(node: LocalNode, n: number): Promise<void> {
    await adminRequest(node, "/clock/tick", { n });
  }

  async describeState(node: LocalNode): Promise<string> {
    const state = (await adminRequest(node, "/state")) as StateResponse;
    return `${state.role} durable=${state.durableIndex} data: ${formatData(Object.entries(state.data))}`;
  }

  async close(): Promise<void> {
    // Stop the nodes first, so that they do not see their links vanish and log about it.
    try {
      await this.cluster.stop();
    } finally {
      await Promise.allSettled([...this.proxies.values()].map(({ proxy }) => proxy.close()));
    }
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
  const signal = AbortSignal.timeout(ADMIN_TIMEOUT_MS);
  const status = await etcdStatus(node.url, signal);
  const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");
  const end = b64(
    keyPrefix.slice(0, -1) + String.fromCharCode(keyPrefix.charCodeAt(keyPrefix.length - 1) + 1),
  );
  const { status: code, text } = await postJsonText(
    `${node.url}/v3/kv/range`,
    JSON.stringify({ key: b64(keyPrefix), range_end: end, serializable: true }),
    { signal },
  );
  if (code !== 200) throw new Error(`${node.name} range: HTTP ${code}: ${text.slice(0, 200)}`);
  const answer = JSON.parse(text) as {
    header?: { revision?: string };
    kvs?: Array<{ key?: string; value?: string }>;
  };
  const unb64 = (value: string | undefined) => Buffer.from(value ?? "", "base64").toString("utf8");
  const data = (answer.kvs ?? []).map(
    (kv) => [unb64(kv.key).slice(keyPrefix.length), storedValue(unb64(kv.value))] as const,
  );
  const role = status.memberId === status.leaderId ? "leader" : "follower";
  return `${role} revision=${answer.header?.revision ?? "0"} data: ${formatData(data)}`;
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

async function startPlainTarget(
  kind: TargetKind,
  recipe: Recipe,
  size: number,
  client: Client,
  seed: number,
  describe: (node: LocalNode, detail: boolean) => Promise<string>,
): Promise<DataDrivenTarget> {
  const cluster = await startCluster(recipe, size, { log: () => {}, seed });
  const unsupported = (what: string): never => {
    throw new Error(`${what} is only available with the demo target (not ${kind})`);
  };
  const noClock = (): never => {
    throw new Error(noLogicalClock(kind));
  };
  return {
    kind,
    cluster,
    client,
    proxied: false,
    nodeNames: cluster.nodes.map((node) => node.name),
    node: (name) => cluster.nodes.find((node) => node.name === name),
    linkProxy: () => undefined,
    partition: () => unsupported("partition"),
    heal: () => {},
    tick: async () => noClock(),
    describeState: (node, options) => describe(node, options.detail),
    close: () => cluster.stop(),
  };
}
