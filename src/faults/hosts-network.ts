/**
 * Network faults on hosts reached over SSH, as Jepsen makes them: iptables
 * rules on each host, over the host's SSH connection.
 *
 * - Setup: two chains of the cluster's own on each host, `CRUCIBLE-P-<id>`
 *   (partitions) and `CRUCIBLE-L-<id>` (loss), jumped to from the top of
 *   INPUT. Their removal is recorded with the host's keeper (../cluster/remote.ts)
 *   before the first rule exists, so a runner killed mid-partition still
 *   leaves the host's firewall as it found it.
 * - Partition: `-A CRUCIBLE-P-<id> -s <peer address> -j DROP` on the
 *   receiver, link by link (Jepsen's grudge): every grudge is cut exactly,
 *   one-way links too. Clients are not cut: they come from the runner's
 *   address, which is no node's.
 * - Loss: `-m statistic --mode random --probability p -j DROP`.
 * - Heal: flush the chain. Teardown: unhook and delete both chains.
 * - Latency, bandwidth and resets need `tc` and the host's interface names,
 *   which differ from host to host: not made here; their reports say so
 *   (`via: "none"`), so a run never claims a fault it did not cause.
 *
 * The hosts need `iptables` and the right to use it (root, as Jepsen's DB
 * nodes do); a host without it fails the setup with a HostError naming it.
 */
import type { SshBackend } from "../cluster/remote.js";
import type { SshHost } from "../cluster/ssh.js";
import type { LatencyFault, LinkFaultReport, NetworkFaults, PartitionReport } from "./network.js";
import { type Grudge, grudgeToJson, linksToCut } from "./partition.js";

export interface HostsNetwork extends NetworkFaults {
  /** The chains' names on every host. */
  readonly chains: { readonly partition: string; readonly loss: string };
  /** Unhook and delete the chains on every host. Idempotent. */
  close(): Promise<void>;
}

/** The iptables calls, `-w` so a concurrent iptables on the host waits instead of failing. */
const IPTABLES = "iptables -w";

/** Make the chains on every host of `backend`; node names in host order. */
export async function createHostsNetwork(
  backend: SshBackend,
  nodeNames: readonly string[],
): Promise<HostsNetwork> {
  const id = backend.token.slice(-8).toUpperCase();
  const chains = { partition: `CRUCIBLE-P-${id}`, loss: `CRUCIBLE-L-${id}` };
  const teardown = [chains.partition, chains.loss]
    .map(
      (chain) =>
        `${IPTABLES} -D INPUT -j ${chain} 2>/dev/null; ${IPTABLES} -F ${chain} 2>/dev/null; ${IPTABLES} -X ${chain} 2>/dev/null`,
    )
    .join("; ");
  // Recorded first: the keeper removes the chains even if the runner dies in the middle of making them.
  await backend.addCleanup(teardown);
  const hosts = nodeNames.map((_, i) => backend.hostOf(i));
  await Promise.all(
    hosts.map((host) =>
      host.run(
        [
          "command -v iptables >/dev/null 2>&1 || { echo 'iptables: not found on this host (Debian package iptables)' >&2; exit 127; }",
          ...[chains.partition, chains.loss].map(
            (chain) => `${IPTABLES} -N ${chain} && ${IPTABLES} -I INPUT 1 -j ${chain}`,
          ),
        ].join(" && "),
        { describe: `iptables -N ${chains.partition} / ${chains.loss}` },
      ),
    ),
  );
  return new IptablesOnHosts(hosts, nodeNames, chains, teardown);
}

class IptablesOnHosts implements HostsNetwork {
  readonly kind = "hosts";
  private closed = false;
  private readonly index: ReadonlyMap<string, number>;

  constructor(
    private readonly hosts: readonly SshHost[],
    nodeNames: readonly string[],
    readonly chains: { readonly partition: string; readonly loss: string },
    private readonly teardown: string,
  ) {
    this.index = new Map(nodeNames.map((name, i) => [name, i]));
  }

  private host(name: string): SshHost {
    const i = this.index.get(name);
    if (i === undefined) throw new Error(`hosts network: unknown node ${name}`);
    return this.hosts[i]!;
  }

  private flush(chain: string): Promise<unknown> {
    return Promise.all(
      this.hosts.map((host) => host.run(`${IPTABLES} -F ${chain}`, { describe: `${IPTABLES} -F ${chain}` })),
    );
  }

  async partition(grudge: Grudge): Promise<PartitionReport> {
    await this.flush(this.chains.partition);
    const dropped: string[] = [];
    // One command per receiving host: all its rules at once.
    await Promise.all(
      [...grudge].map(async ([to, froms]) => {
        const host = this.host(to);
        const sources = [...froms].map((from) => ({ from, address: this.host(from).target.address }));
        if (sources.length === 0) return;
        const command = sources
          .map(({ address }) => `${IPTABLES} -A ${this.chains.partition} -s ${address} -j DROP`)
          .join(" && ");
        await host.run(command, { describe: command });
        for (const { from, address } of sources)
          dropped.push(`${host.label} INPUT from ${from} (${address})`);
      }),
    );
    return {
      grudge: grudgeToJson(grudge),
      cut: linksToCut(grudge),
      partial: [],
      uncut: [],
      complete: true,
      dropped,
      via: "hosts/iptables",
    };
  }

  async healPartition(): Promise<void> {
    await this.flush(this.chains.partition);
  }

  async loss(nodes: readonly string[], probability: number): Promise<LinkFaultReport> {
    const p = String(Math.min(1, Math.max(0, probability)));
    const applied = await Promise.all(
      nodes.map(async (name) => {
        const host = this.host(name);
        // Replace, not add: two rules at p each would drop 1 - (1 - p)^2 of the packets.
        const command = `${IPTABLES} -F ${this.chains.loss} && ${IPTABLES} -A ${this.chains.loss} -m statistic --mode random --probability ${p} -j DROP`;
        await host.run(command, { describe: command });
        return `${host.label} INPUT`;
      }),
    );
    const note = "packets are dropped by the kernel's randomness: which ones does not replay from the seed";
    return { nodes: nodes.slice(), via: "hosts/iptables-statistic", applied, note };
  }

  async healLoss(): Promise<void> {
    await this.flush(this.chains.loss);
  }

  private notMade(nodes: readonly string[], what: string): LinkFaultReport {
    return {
      nodes: nodes.slice(),
      via: "none",
      applied: [],
      note: `${what} on hosts over SSH is not made (it needs tc and each host's interface names): not applied`,
    };
  }

  async latency(nodes: readonly string[], _fault: LatencyFault): Promise<LinkFaultReport> {
    return this.notMade(nodes, "latency");
  }

  async healLatency(): Promise<void> {}

  async bandwidth(nodes: readonly string[], _bytesPerSec: number): Promise<LinkFaultReport> {
    return this.notMade(nodes, "a bandwidth limit");
  }

  async healBandwidth(): Promise<void> {}

  async reset(nodes: readonly string[]): Promise<LinkFaultReport> {
    return this.notMade(nodes, "a connection reset");
  }

  async healAll(): Promise<void> {
    await Promise.all([this.flush(this.chains.partition), this.flush(this.chains.loss)]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled(this.hosts.map((host) => host.run(`${this.teardown}; true`)));
  }
}
