/**
 * Network faults, whatever carries them: a proxy mesh (no root) or network
 * namespaces with iptables and tc (root). Both implement {@link NetworkFaults},
 * and the network nemesis only talks to that interface.
 *
 * Every call reports what really happened: a partition returns the
 * {@link GrudgeReport} of the links it cut (never a partition that did not
 * happen), and link faults (latency, loss, bandwidth) say which mechanism
 * carried them and what they could not reach, in `note`.
 */

import type { Grudge } from "./partition.js";
import type { GrudgeReport, ProxyMesh } from "./proxy/mesh.js";
import type { FaultProxy } from "./proxy/proxy.js";

/** A partition's report: what was cut, and in words what could not be. */
export interface PartitionReport extends GrudgeReport {
  /** "proxy" or "netns". */
  readonly via: string;
  readonly note?: string;
}

/** What a link fault (latency, loss, bandwidth, reset) did. */
export interface LinkFaultReport {
  readonly nodes: string[];
  /** "proxy", "netns/iptables", "netns/tc-tbf", ... */
  readonly via: string;
  /** What the fault reached: e.g. `client n1`, `peer n1->n2 up`, `netns crucible-1-n1 INPUT`. */
  readonly applied: string[];
  readonly note?: string;
}

export interface LatencyFault {
  readonly delayMs: number;
  /** Uniform ± jitter; default 0. */
  readonly jitterMs?: number;
}

/** Network faults over one cluster; see the module doc. */
export interface NetworkFaults {
  /** "proxy" or "netns". */
  readonly kind: string;
  /** Replace the current partition with this grudge. */
  partition(grudge: Grudge): Promise<PartitionReport>;
  healPartition(): Promise<void>;
  /** Delay traffic to and from these nodes. */
  latency(nodes: readonly string[], fault: LatencyFault): Promise<LinkFaultReport>;
  healLatency(): Promise<void>;
  /** Drop this share of the traffic to these nodes. */
  loss(nodes: readonly string[], probability: number): Promise<LinkFaultReport>;
  healLoss(): Promise<void>;
  /** Limit these nodes' traffic to `bytesPerSec`. */
  bandwidth(nodes: readonly string[], bytesPerSec: number): Promise<LinkFaultReport>;
  healBandwidth(): Promise<void>;
  /** Reset every open connection of these nodes (a one-shot fault). */
  reset(nodes: readonly string[]): Promise<LinkFaultReport>;
  /** Heal every network fault. */
  healAll(): Promise<void>;
}

/** The proxies of a mesh that carry traffic to or from `node`: its client proxy and its peer links. */
export function proxiesTouching(
  mesh: ProxyMesh,
  nodes: readonly string[],
): { label: string; proxy: FaultProxy }[] {
  const wanted = new Set(nodes);
  return mesh.proxies().filter(({ label }) => {
    if (label.startsWith("client ")) return wanted.has(label.slice("client ".length));
    const link = label.slice("peer ".length);
    const [from, to] = link.split("->");
    return (from !== undefined && wanted.has(from)) || (to !== undefined && wanted.has(to));
  });
}

/** Network faults through a proxy mesh (see `proxy/mesh.ts` for what each addressing mode can cut). */
export function proxyNetwork(mesh: ProxyMesh, options: { clusterName?: string } = {}): NetworkFaults {
  const addressingNote =
    mesh.peerAddressing === "per-node" && !mesh.exactLinks
      ? `${options.clusterName ?? "this system"} advertises one peer address to all its peers, so the proxy ` +
        "mesh can only cut a node off as a whole in one direction (links reported partial/uncut were not cut); " +
        "run as root for per-link partitions in network namespaces"
      : mesh.peerAddressing === "none"
        ? "node-to-node traffic is not proxied: no partition between nodes is possible through proxies"
        : undefined;
  const linkNote = mesh.exactLinks
    ? undefined
    : mesh.peerAddressing === "per-node"
      ? "node-to-node traffic is faulted on each node's shared inbound proxy"
      : "only client links are faulted: node-to-node traffic is not proxied";
  const withNote = (nodes: readonly string[], applied: string[]): LinkFaultReport => ({
    nodes: nodes.slice(),
    via: "proxy",
    applied,
    ...(linkNote ? { note: linkNote } : {}),
  });
  const forAll = (fn: (proxy: FaultProxy) => void): void => {
    for (const { proxy } of mesh.proxies()) fn(proxy);
  };
  return {
    kind: "proxy",
    async partition(grudge) {
      const report = mesh.applyGrudge(grudge);
      const note = !report.complete ? addressingNote : undefined;
      return { ...report, via: "proxy", ...(note ? { note } : {}) };
    },
    async healPartition() {
      mesh.healPartition();
    },
    async latency(nodes, fault) {
      const touched = proxiesTouching(mesh, nodes);
      for (const { proxy } of touched)
        proxy.latency({ delayMs: fault.delayMs, jitterMs: fault.jitterMs ?? 0 });
      return withNote(
        nodes,
        touched.map(({ label }) => label),
      );
    },
    async healLatency() {
      forAll((proxy) => proxy.latency({ delayMs: 0, jitterMs: 0 }));
    },
    async loss(nodes, probability) {
      const touched = proxiesTouching(mesh, nodes);
      for (const { proxy } of touched) proxy.loss({ probability });
      return withNote(
        nodes,
        touched.map(({ label }) => label),
      );
    },
    async healLoss() {
      forAll((proxy) => proxy.loss({ probability: 0 }));
    },
    async bandwidth(nodes, bytesPerSec) {
      const touched = proxiesTouching(mesh, nodes);
      for (const { proxy } of touched) proxy.bandwidth({ bytesPerSec });
      return withNote(
        nodes,
        touched.map(({ label }) => label),
      );
    },
    async healBandwidth() {
      forAll((proxy) => proxy.bandwidth({ bytesPerSec: Number.POSITIVE_INFINITY }));
    },
    async reset(nodes) {
      const touched = proxiesTouching(mesh, nodes);
      const applied = touched.map(({ label, proxy }) => `${label}: ${proxy.reset()} connections`);
      return withNote(nodes, applied);
    },
    async healAll() {
      mesh.heal();
    },
  };
}
