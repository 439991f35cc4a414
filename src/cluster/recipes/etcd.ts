/**
 * etcd (Debian `etcd-server`): 1 or 3 (any n) members with a static initial
 * cluster on loopback, random client and peer ports.
 *
 * Readiness is a successful linearizable read through etcd's HTTP/JSON
 * gateway (`POST /v3/kv/range`), which needs a leader and a quorum: a member
 * that answers it can serve the workload. `leader()` asks each running member
 * `POST /v3/maintenance/status` and matches the leader's member id.
 *
 * Member ids are 64-bit; the gateway prints them as JSON strings but
 * `etcdctl -w json` prints them as numbers that `JSON.parse` rounds, so ids
 * are always extracted from the raw text as strings here.
 */

import { readFileSync } from "node:fs";
import { EtcdKv } from "../etcd-kv.js";
import { postJsonText } from "../http.js";
import { functionProbe } from "../probes.js";
import type { NodeSpec, Recipe, RecipeVariant } from "../recipe.js";
import { requireExecutable } from "../system.js";
import type { NodeTls } from "../tls.js";
import type { Node } from "../types.js";

export interface EtcdOptions {
  /** Path of the etcd binary; default `etcd` on PATH. */
  command?: string;
  /** Variants to choose from; default {@link ETCD_VARIANTS}. Pass `[]` for none. */
  variants?: readonly RecipeVariant[];
  /**
   * The peer URL a member advertises (and the others dial), default the one
   * it listens on. The proxy mesh points it at the member's inbound proxy; the
   * member still listens on its own peer port.
   */
  advertisePeerUrl?: (node: NodeSpec) => string;
}

/** Seeded configuration variants: each widens what a run covers. */
export const ETCD_VARIANTS: readonly RecipeVariant[] = [
  { name: "default", description: "etcd defaults (heartbeat 100 ms, election 1000 ms)" },
  {
    name: "pre-vote",
    description: "Raft pre-vote on: a rejoining member does not disrupt the leader",
    args: ["--pre-vote"],
  },
  {
    name: "small-snapshots",
    description: "snapshot every 100 entries, so followers catch up from snapshots",
    args: ["--snapshot-count", "100"],
  },
];

const scheme = (node: NodeSpec) => (node.tls ? "https" : "http");
const peerUrl = (node: NodeSpec) => `${scheme(node)}://${node.host}:${node.ports.peer}`;
const clientUrlOf = (node: NodeSpec) => `${scheme(node)}://${node.host}:${node.port}`;
/** The CA of a TLS node (read once per call: the file is small and in tmpfs). */
const caOf = (node: { tls?: NodeTls | undefined }): Buffer | undefined =>
  node.tls ? readFileSync(node.tls.caFile) : undefined;

/** Server and peer TLS flags: members verify each other's certificates against the cluster's CA. */
function tlsArgs(tls: NodeTls): string[] {
  return [
    "--cert-file",
    tls.certFile,
    "--key-file",
    tls.keyFile,
    "--peer-cert-file",
    tls.certFile,
    "--peer-key-file",
    tls.keyFile,
    "--peer-trusted-ca-file",
    tls.caFile,
    "--peer-client-cert-auth",
  ];
}

/** A member's status over the gateway: ids as decimal strings. */
export interface EtcdStatus {
  memberId: string;
  leaderId: string;
  raftTerm: string;
}

/** Extract a (possibly 64-bit) integer field from raw JSON text as a string, quoted or not. */
export function rawJsonInteger(text: string, field: string): string | undefined {
  const match = new RegExp(`"${field}"\\s*:\\s*"?(\\d+)"?`).exec(text);
  return match?.[1];
}

/** `POST /v3/maintenance/status` on one member; `ca` for an `https://` URL. */
export async function etcdStatus(
  clientUrl: string,
  signal: AbortSignal,
  ca?: string | Buffer,
): Promise<EtcdStatus> {
  const { status, text } = await postJsonText(`${clientUrl}/v3/maintenance/status`, "{}", {
    signal,
    ...(ca !== undefined && { ca }),
  });
  if (status !== 200) throw new Error(`etcd status: HTTP ${status}: ${text.slice(0, 200)}`);
  const memberId = rawJsonInteger(text, "member_id");
  const leaderId = rawJsonInteger(text, "leader");
  if (!memberId || !leaderId) throw new Error(`etcd status: no member_id/leader in ${text.slice(0, 200)}`);
  return { memberId, leaderId, raftTerm: rawJsonInteger(text, "raft_term") ?? "0" };
}

/** A linearizable read of `key` through the gateway; resolves true when etcd answered with a header. */
export async function etcdLinearizableRead(
  clientUrl: string,
  signal: AbortSignal,
  key = "crucible/ready",
  ca?: string | Buffer,
): Promise<boolean> {
  const body = JSON.stringify({ key: Buffer.from(key).toString("base64") });
  const { status, text } = await postJsonText(`${clientUrl}/v3/kv/range`, body, {
    signal,
    ...(ca !== undefined && { ca }),
  });
  if (status !== 200) throw new Error(`etcd range: HTTP ${status}: ${text.slice(0, 200)}`);
  if (!text.includes('"header"')) throw new Error(`etcd range: unexpected answer ${text.slice(0, 200)}`);
  return true;
}

export function etcd(options: EtcdOptions = {}): Recipe<EtcdKv> {
  const command = options.command ?? requireExecutable("etcd", "etcd-server");
  return {
    name: "etcd",
    tls: true,
    connector: {
      connect: async (node) => EtcdKv.of(node),
      close: (kv) => kv.close(),
    },
    portNames: ["client", "peer"],
    variants: options.variants ?? ETCD_VARIANTS,
    startOrder: "parallel",
    readyTimeoutMs: 30_000,
    launch(node) {
      const clientUrl = clientUrlOf(node);
      const advertised = (member: NodeSpec) => options.advertisePeerUrl?.(member) ?? peerUrl(member);
      const initialCluster = node.cluster.nodes
        .map((member) => `${member.name}=${advertised(member)}`)
        .join(",");
      return {
        command,
        args: [
          "--name",
          node.name,
          "--data-dir",
          node.dataDir,
          "--listen-client-urls",
          clientUrl,
          "--advertise-client-urls",
          clientUrl,
          "--listen-peer-urls",
          peerUrl(node),
          "--initial-advertise-peer-urls",
          advertised(node),
          "--initial-cluster",
          initialCluster,
          "--initial-cluster-state",
          "new",
          "--initial-cluster-token",
          node.cluster.token,
          "--logger",
          "zap",
          "--log-outputs",
          "stderr",
          ...(node.tls ? tlsArgs(node.tls) : []),
        ],
      };
    },
    ready: (node) => {
      const ca = caOf(node);
      return functionProbe((signal) => etcdLinearizableRead(clientUrlOf(node), signal, undefined, ca));
    },
    url: clientUrlOf,
    meta: (node) => ({ peerUrl: peerUrl(node), clientPort: node.ports.client, peerPort: node.ports.peer }),
    async leader(cluster) {
      const running = cluster.nodes.filter((node) => node.isRunning() && !isPaused(node));
      const statuses = await Promise.all(
        running.map((node) =>
          etcdStatus(node.url, AbortSignal.timeout(2_000), caOf(node.meta as { tls?: NodeTls })).then(
            (status) => ({ node, status }),
            () => undefined,
          ),
        ),
      );
      const known = statuses.filter((entry) => entry !== undefined);
      const leaderId = known.find((entry) => entry.status.leaderId !== "0")?.status.leaderId;
      if (!leaderId) return undefined;
      return known.find((entry) => entry.status.memberId === leaderId)?.node;
    },
    // A member advertises one peer URL to all its peers. No clock reader: a Go binary reads the
    // clock through the vDSO, out of libfaketime's reach (the clock faults detect that themselves).
    faults: { peerAddressing: "per-node" },
  };
}

function isPaused(node: Node): boolean {
  const candidate = node as Node & { isPaused?: () => boolean };
  return candidate.isPaused?.() ?? false;
}
