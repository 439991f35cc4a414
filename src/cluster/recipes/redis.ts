/**
 * Redis (Debian `redis-server`): node 0 is the primary, the others replicate
 * it. No disk outside the temp dir: `--dir` is the node's data dir, RDB
 * snapshots off (`--save ''`) and AOF off unless a variant turns it on.
 *
 * `--repl-diskless-sync-delay 0`: without it a replica's first sync waits
 * 5 s for more replicas to join. A replica is ready when `INFO replication`
 * says `master_link_status:up`; even then, a test that needs a write on the
 * replica should `SET` then `WAIT 1 <ms>` on the writing connection.
 */
import { readFileSync } from "node:fs";
import { functionProbe } from "../probes.js";
import type { NodeSpec, Recipe, RecipeFaults, RecipeVariant } from "../recipe.js";
import { parseInfo, RespConnection, RespError, respCommand } from "../resp.js";
import { requireExecutable } from "../system.js";
import type { NodeTls } from "../tls.js";

export interface RedisOptions {
  /** Path of redis-server; default on PATH. */
  command?: string;
  /** Variants to choose from; default {@link REDIS_VARIANTS}. Pass `[]` for none. */
  variants?: readonly RecipeVariant[];
  /**
   * The address a replica dials to reach its primary (`--replicaof`); default
   * the primary's own. The proxy mesh routes it through a proxy of its own per
   * replica, so a partition can cut one replica's link.
   */
  replicaOfAddress?: (replica: NodeSpec, primary: NodeSpec) => { host: string; port: number };
}

export const REDIS_VARIANTS: readonly RecipeVariant[] = [
  { name: "in-memory", description: "no RDB, no AOF: a restart loses everything not replicated" },
  {
    name: "aof-everysec",
    description: "AOF on, fsync every second: a kill may lose the last second of writes",
    args: ["--appendonly", "yes", "--appendfsync", "everysec"],
  },
  {
    name: "disk-sync",
    description: "replicas sync through an RDB file instead of the socket",
    args: ["--repl-diskless-sync", "no"],
  },
];

/** How to reach a node: its address, over TLS with the cluster's CA when it has TLS on. */
function endpoint(node: NodeSpec): { host: string; port: number; tls?: { ca: Buffer } } {
  return {
    host: node.host,
    port: node.port,
    ...(node.tls && { tls: { ca: readFileSync(node.tls.caFile) } }),
  };
}

/** TLS on the client port (the plain port closed); replicas reach their primary over TLS too. */
function tlsArgs(node: NodeSpec, tls: NodeTls): string[] {
  return [
    "--port",
    "0",
    "--tls-port",
    String(node.port),
    "--tls-cert-file",
    tls.certFile,
    "--tls-key-file",
    tls.keyFile,
    "--tls-ca-cert-file",
    tls.caFile,
    "--tls-auth-clients",
    "no",
    "--tls-replication",
    "yes",
  ];
}

async function ping(node: NodeSpec): Promise<boolean> {
  const reply = await respCommand({ ...endpoint(node), args: ["PING"], timeoutMs: 1_000 });
  if (reply instanceof RespError) throw new Error(`PING: ${reply.message}`);
  return reply === "PONG";
}

async function replicaLinkUp(node: NodeSpec): Promise<boolean> {
  const reply = await respCommand({
    ...endpoint(node),
    args: ["INFO", "replication"],
    timeoutMs: 1_000,
  });
  if (typeof reply !== "string") throw new Error(`INFO replication: unexpected ${JSON.stringify(reply)}`);
  const status = parseInfo(reply).get("master_link_status");
  if (status !== "up") throw new Error(`master_link_status:${status ?? "absent"}`);
  return true;
}

export function redis(options: RedisOptions = {}): Recipe<RespConnection> {
  const command = options.command ?? requireExecutable("redis-server", "redis-server");
  return {
    name: "redis",
    tls: true,
    connector: {
      connect: async (node) => {
        const tls = node.meta.tls as NodeTls | undefined;
        return RespConnection.connect({
          host: node.host,
          port: node.port,
          ...(tls && { tls: { ca: readFileSync(tls.caFile) } }),
        });
      },
      close: async (connection) => connection.close(),
    },
    variants: options.variants ?? REDIS_VARIANTS,
    startOrder: "sequential",
    readyTimeoutMs: 20_000,
    launch(node) {
      const primary = node.cluster.nodes[0]!;
      const args = [
        "--port",
        String(node.port),
        "--bind",
        node.host,
        "--dir",
        node.dataDir,
        "--save",
        "",
        "--appendonly",
        "no",
        "--repl-diskless-sync-delay",
        "0",
        "--daemonize",
        "no",
        "--protected-mode",
        "no",
        "--logfile",
        "",
      ];
      if (node.index > 0) {
        const target = options.replicaOfAddress?.(node, primary) ?? {
          host: primary.host,
          port: primary.port,
        };
        args.push("--replicaof", target.host, String(target.port));
      }
      if (node.tls) args.push(...tlsArgs(node, node.tls));
      return { command, args };
    },
    ready: (node) =>
      functionProbe(async () => (await ping(node)) && (node.index === 0 || (await replicaLinkUp(node)))),
    url: (node) => `${node.tls ? "rediss" : "redis"}://${node.host}:${node.port}`,
    meta: (node) => {
      const primary = node.cluster.nodes[0]!;
      return node.index === 0
        ? { role: "primary" }
        : { role: "replica", replicaOf: `${primary.host}:${primary.port}` };
    },
    async leader(cluster) {
      return cluster.nodes[0];
    },
    faults: REDIS_FAULTS,
  };
}

/** A replica is told its primary's address (its own proxy per replica); only replicas dial, and only n1; `TIME` tells the clock. */
const REDIS_FAULTS: RecipeFaults = {
  peerAddressing: "per-peer",
  dials: (nodeNames) => nodeNames.slice(1).map((name) => ({ from: name, to: nodeNames[0]! })),
  async readClockMs(node) {
    const reply = await respCommand({ host: node.host, port: node.port, args: ["TIME"], timeoutMs: 2_000 });
    if (reply instanceof RespError || !Array.isArray(reply)) return undefined;
    const [seconds, micros] = reply.map((part) => Number(part));
    if (seconds === undefined || micros === undefined || Number.isNaN(seconds)) return undefined;
    return seconds * 1000 + micros / 1000;
  },
};
