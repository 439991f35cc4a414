/**
 * Proxy meshes in front of real etcd (per-node addressing: partitions are
 * reported for what they are, never claimed) and Redis (replicaof through a
 * per-replica proxy: a replica's link can be cut exactly).
 */
import { describe, expect, it } from "vitest";
import { etcd } from "../../src/cluster/recipes/etcd.js";
import { redis } from "../../src/cluster/recipes/redis.js";
import { respCommand } from "../../src/cluster/resp.js";
import { whichExecutable } from "../../src/cluster/system.js";
import type { Cluster } from "../../src/cluster/types.js";
import { startFaultCluster } from "../../src/faults/fault-cluster.js";
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

describe.skipIf(!whichExecutable("etcd"))("etcd through a per-node proxy mesh", () => {
  it("starts with peers advertised at their inbound proxies and reports what an isolation really cut", async () => {
    await using cluster = await startFaultCluster({
      recipe: (hooks) => etcd({ variants: [], advertisePeerUrl: hooks.advertisePeerUrl }),
      size: 3,
      network: "proxy",
      random: new Random(3),
      log: () => {},
      cluster: { log: () => {} },
    });
    expect(cluster.faults.mesh?.peerAddressing).toBe("per-node");
    expect(cluster.faults.notes.join(" ")).toMatch(/cut a node off as a whole/);
    const nemesis = networkNemesis();
    const grudge = { n1: ["n3"], n2: ["n3"], n3: ["n1", "n2"] };
    const completion = await nemesis.invoke(
      op("start-partition", { shape: "isolate", grudge }),
      ctx(cluster),
    );
    expect(completion.type).toBe("ok");
    const report = completion.value as {
      complete: boolean;
      cut: unknown[];
      partial: unknown[];
      uncut: unknown[];
    };
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
});

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
