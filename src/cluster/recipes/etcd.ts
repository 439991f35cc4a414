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

import { functionProbe } from "../probes.js";
import type { NodeSpec, Recipe, RecipeVariant } from "../recipe.js";
import { requireExecutable } from "../system.js";
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

const peerUrl = (node: NodeSpec) => `http://${node.host}:${node.ports.peer}`;

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

/** `POST /v3/maintenance/status` on one member. */
export async function etcdStatus(clientUrl: string, signal: AbortSignal): Promise<EtcdStatus> {
  const response = await fetch(`${clientUrl}/v3/maintenance/status`, { method: "POST", body: "{}", signal });
  const text = await response.text();
  if (!response.ok) throw new Error(`etcd status: HTTP ${response.status}: ${text.slice(0, 200)}`);
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
): Promise<boolean> {
  const response = await fetch(`${clientUrl}/v3/kv/range`, {
    method: "POST",
    body: JSON.stringify({ key: Buffer.from(key).toString("base64") }),
    signal,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`etcd range: HTTP ${response.status}: ${text.slice(0, 200)}`);
  if (!text.includes('"header"')) throw new Error(`etcd range: unexpected answer ${text.slice(0, 200)}`);
  return true;
}

export function etcd(options: EtcdOptions = {}): Recipe {
  const command = options.command ?? requireExecutable("etcd", "etcd-server");
  return {
    name: "etcd",
    portNames: ["client", "peer"],
    variants: options.variants ?? ETCD_VARIANTS,
    startOrder: "parallel",
    readyTimeoutMs: 30_000,
    launch(node) {
      const clientUrl = `http://${node.host}:${node.port}`;
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
        ],
      };
    },
    ready: (node) =>
      functionProbe((signal) => etcdLinearizableRead(`http://${node.host}:${node.port}`, signal)),
    url: (node) => `http://${node.host}:${node.port}`,
    meta: (node) => ({ peerUrl: peerUrl(node), clientPort: node.ports.client, peerPort: node.ports.peer }),
    async leader(cluster) {
      const running = cluster.nodes.filter((node) => node.isRunning() && !isPaused(node));
      const statuses = await Promise.all(
        running.map((node) =>
          etcdStatus(node.url, AbortSignal.timeout(2_000)).then(
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
