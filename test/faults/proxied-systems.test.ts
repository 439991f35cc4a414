/**
 * Proxy meshes in front of real etcd (per-node addressing: with the dialers
 * told apart by their sockets' owners, a partition between two members is
 * exact, as etcd's own peer metrics show; without, partitions are reported
 * for what they are, never claimed) and Redis (replicaof through a
 * per-replica proxy: a replica's link can be cut exactly).
 */
import { describe, expect, it } from "vitest";
import { postJsonText } from "../../src/cluster/http.js";
import { etcd, etcdStatus } from "../../src/cluster/recipes/etcd.js";
import { redis } from "../../src/cluster/recipes/redis.js";
import { respCommand } from "../../src/cluster/resp.js";
import { whichExecutable } from "../../src/cluster/system.js";
import type { Cluster } from "../../src/cluster/types.js";
import { type FaultCluster, startFaultCluster } from "../../src/faults/fault-cluster.js";
import { networkNemesis } from "../../src/faults/network-nemesis.js";
import type { NemesisContext } from "../../src/faults/types.js";
import type { Op } from "../../src/history/op.js";
import { Random } from "../../src/random/random.js";

const op = (f: string, value: unknown): Op => ({
  index: 0,
  time: 0,
  type: "invoke",
  process: "nemesis",
  f,
  value,
});
const ctx = (cluster: Cluster): NemesisContext => ({
  cluster,
  random: new Random(1),
  signal: new AbortController().signal,
  log: () => {},
});

/** Member ids as etcd's metrics label them (hex) → member name, from each member's own status. */
async function memberIds(cluster: FaultCluster): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (const node of cluster.inner.nodes) {
    const status = await etcdStatus(node.url, AbortSignal.timeout(5_000));
    ids.set(BigInt(status.memberId).toString(16), node.name);
  }
  return ids;
}

/**
 * etcd's own view of its peers: `etcd_network_active_peers{Local, Remote}`
 * of every member (1 while the member's streams to that peer are up), as
 * sorted `n1->n2=1` entries. Read on each member's real client port.
 */
async function activePeers(cluster: FaultCluster, ids: Map<string, string>): Promise<string[]> {
  const entries: string[] = [];
  for (const node of cluster.inner.nodes) {
    const text = await (await fetch(`${node.url}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
    for (const match of text.matchAll(
      /^etcd_network_active_peers\{Local="(\w+)",Remote="(\w+)"\} (\d+)$/gm,
    )) {
      entries.push(`${ids.get(match[1]!)}->${ids.get(match[2]!)}=${match[3]}`);
    }
  }
  return entries.sort();
}

/** Poll etcd's view until it is `expected` (bounded); returns the last view seen. */
async function waitForPeers(
  cluster: FaultCluster,
  ids: Map<string, string>,
  expected: string[],
  timeoutMs: number,
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let seen = await activePeers(cluster, ids);
  while (JSON.stringify(seen) !== JSON.stringify(expected) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    seen = await activePeers(cluster, ids);
  }
  return seen;
}

describe.skipIf(!whichExecutable("etcd"))("etcd through a proxy mesh that tells dialers apart", () => {
  it("cuts, then holds, the link between members 1 and 2 only, exactly, as etcd itself sees it", {
    timeout: 120_000,
  }, async () => {
    await using cluster = await startFaultCluster({
      recipe: (hooks) => etcd({ variants: [], advertisePeerUrl: hooks.advertisePeerUrl }),
      size: 3,
      network: "proxy",
      random: new Random(3),
      log: () => {},
      cluster: { log: () => {} },
    });
    const mesh = cluster.faults.mesh!;
    expect(mesh.peerAddressing).toBe("per-node");
    expect(mesh.exactLinks).toBe(true);
    expect(cluster.faults.notes.join(" ")).toMatch(/owner of each connection's source socket/);
    // Every member dials the one address each peer advertises, and lands on its own link's proxy.
    const links = ["n1->n2", "n1->n3", "n2->n1", "n2->n3", "n3->n1", "n3->n2"];
    const proxies = links.map((link) => {
      const [from, to] = link.split("->") as [string, string];
      return mesh.dialProxy({ from, to });
    });
    expect(new Set(proxies).size).toBe(6);
    for (const [i, proxy] of proxies.entries())
      expect(proxy?.stats().connectionsAccepted, links[i]).toBeGreaterThan(0);
    expect(mesh.dialerStats().routed).toBeGreaterThanOrEqual(6);
    expect(mesh.dialerStats().unidentified).toBe(0);

    // n3 leads, so cutting n1 <-> n2 (two followers) cuts no one off the leader.
    const ids = await memberIds(cluster);
    const leader = await cluster.leader!();
    if (leader?.name !== "n3") {
      const n3Id = (await etcdStatus(cluster.inner.nodes[2]!.url, AbortSignal.timeout(5_000))).memberId;
      const moved = await postJsonText(
        `${cluster.inner.nodes.find((node) => node.name === leader?.name)!.url}/v3/maintenance/transfer-leadership`,
        JSON.stringify({ targetID: n3Id }),
        { signal: AbortSignal.timeout(10_000) },
      );
      expect(moved.status, moved.text).toBe(200);
    }
    const all = links.map((link) => `${link}=1`);
    expect(await waitForPeers(cluster, ids, all, 10_000)).toEqual(all);

    const nemesis = networkNemesis();
    const completion = await nemesis.invoke(
      op("start-partition", { shape: "bridge", grudge: { n1: ["n2"], n2: ["n1"] } }),
      ctx(cluster),
    );
    expect(completion.type).toBe("ok");
    expect(completion.value).toMatchObject({ complete: true, partial: [], uncut: [] });
    expect((completion.value as { cut: unknown[] }).cut).toHaveLength(2);
    // etcd's read timeout on an idle peer stream is 5 s: within 30 s each side has given the other up.
    const split = ["n1->n2=0", "n1->n3=1", "n2->n1=0", "n2->n3=1", "n3->n1=1", "n3->n2=1"];
    expect(await waitForPeers(cluster, ids, split, 30_000)).toEqual(split);
    // The rest of the mesh carries on: a write through n1 is read back through n2, both via leader n3.
    const put = await postJsonText(
      `${cluster.node(0).url}/v3/kv/put`,
      JSON.stringify({
        key: Buffer.from("k").toString("base64"),
        value: Buffer.from("v").toString("base64"),
      }),
      { signal: AbortSignal.timeout(10_000) },
    );
    expect(put.status, put.text).toBe(200);
    const read = await postJsonText(
      `${cluster.node(1).url}/v3/kv/range`,
      JSON.stringify({ key: Buffer.from("k").toString("base64") }),
      { signal: AbortSignal.timeout(10_000) },
    );
    expect(read.text).toContain(Buffer.from("v").toString("base64"));
    expect((await cluster.leader!())?.name).toBe("n3");

    await nemesis.invoke(op("stop-partition", null), ctx(cluster));
    expect(await waitForPeers(cluster, ids, all, 30_000)).toEqual(all);

    // Held instead of dropped: what n1 and n2 send each other waits in their own links' proxies.
    const held = [mesh.dialProxy({ from: "n1", to: "n2" })!, mesh.dialProxy({ from: "n2", to: "n1" })!];
    for (const proxy of held) proxy.hold();
    expect(await waitForPeers(cluster, ids, split, 30_000)).toEqual(split);
    expect(held.every((proxy) => proxy.held().length > 0)).toBe(true);
    // Nothing of n3's links was held.
    for (const link of [
      { from: "n1", to: "n3" },
      { from: "n3", to: "n1" },
      { from: "n2", to: "n3" },
      { from: "n3", to: "n2" },
    ])
      expect(mesh.dialProxy(link)!.stats().heldMessages).toBe(0);
    for (const proxy of held) proxy.release();
    expect(await waitForPeers(cluster, ids, all, 30_000)).toEqual(all);

    // A restarted member has a new pid (onSpawn tells the mesh): its new connections are told apart too.
    const n2 = cluster.inner.nodes[1]!;
    const oldPid = n2.pid;
    const dialedBefore = mesh.dialProxy({ from: "n2", to: "n1" })!.stats().connectionsAccepted;
    await n2.restart();
    expect(n2.pid).not.toBe(oldPid);
    expect(await waitForPeers(cluster, ids, all, 30_000)).toEqual(all);
    expect(mesh.dialProxy({ from: "n2", to: "n1" })!.stats().connectionsAccepted).toBeGreaterThan(
      dialedBefore,
    );
    expect(mesh.dialerStats().unidentified).toBe(0);
  });
});

describe.skipIf(!whichExecutable("etcd"))(
  "etcd through a shared per-node proxy mesh (dialers not told apart)",
  () => {
    it("reports what an isolation really cut, never claims more", async () => {
      const grudge = { n1: ["n3"], n2: ["n3"], n3: ["n1", "n2"] };
      await using cluster = await startFaultCluster({
        recipe: (hooks) => etcd({ variants: [], advertisePeerUrl: hooks.advertisePeerUrl }),
        size: 3,
        network: "proxy",
        random: new Random(3),
        log: () => {},
        cluster: { log: () => {} },
        // The mesh does not tell who dials, as where /proc cannot be read.
        identifyDialers: false,
      });
      expect(cluster.faults.mesh?.exactLinks).toBe(false);
      expect(cluster.faults.notes.join(" ")).toMatch(/cut a node off as a whole/);
      const nemesis = networkNemesis();
      const completion = await nemesis.invoke(
        op("start-partition", { shape: "isolate", grudge }),
        ctx(cluster),
      );
      expect(completion.type).toBe("ok");
      const report = completion.value as { complete: boolean; partial: unknown[]; uncut: unknown[] };
      // Traffic into n3 on connections dialed to n3 can be dropped; n1 <-> n2 traffic shares no proxy with it.
      expect(report.complete).toBe(false);
      expect(report.partial.length + report.uncut.length).toBeGreaterThan(0);
      expect(completion.note).toMatch(/one peer address/);
      await nemesis.invoke(op("stop-partition", null), ctx(cluster));
      const response = await fetch(`${cluster.node(0).url}/v3/kv/range`, {
        method: "POST",
        body: JSON.stringify({ key: Buffer.from("x").toString("base64") }),
        signal: AbortSignal.timeout(5_000),
      });
      expect(response.ok).toBe(true);
    }, 60_000);
  },
);

describe.skipIf(!whichExecutable("redis-server"))("Redis replica behind a per-replica proxy", () => {
  it("cuts the replica's link exactly and heals it", async () => {
    await using cluster = await startFaultCluster({
      recipe: (hooks) => redis({ variants: [], replicaOfAddress: hooks.replicaOfAddress }),
      size: 2,
      network: "proxy",
      random: new Random(4),
      log: () => {},
      cluster: { log: () => {} },
    });
    const nemesis = networkNemesis();
    const completion = await nemesis.invoke(
      op("start-partition", { shape: "isolate", grudge: { n1: ["n2"], n2: ["n1"] } }),
      ctx(cluster),
    );
    expect(completion.type).toBe("ok");
    expect(completion.value).toMatchObject({ complete: true, partial: [], uncut: [] });
    const primary = cluster.node(0);
    const replica = cluster.node(1);
    await respCommand({
      host: primary.host,
      port: primary.port,
      args: ["SET", "k", "during"],
      timeoutMs: 2_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Clients still reach the replica (client links are not in the grudge); its copy is stale.
    expect(
      await respCommand({ host: replica.host, port: replica.port, args: ["GET", "k"], timeoutMs: 2_000 }),
    ).toBe(null);
    await nemesis.invoke(op("stop-partition", null), ctx(cluster));
    let value: unknown = null;
    for (let attempt = 0; attempt < 100 && value !== "during"; attempt++) {
      value = await respCommand({
        host: replica.host,
        port: replica.port,
        args: ["GET", "k"],
        timeoutMs: 2_000,
      });
      if (value !== "during") await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(value).toBe("during");
  }, 60_000);
});
