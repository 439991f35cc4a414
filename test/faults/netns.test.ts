/**
 * Network faults as root on a real 3-node etcd, each member in its own
 * network namespace; and no leftovers, also after SIGKILL of the runner.
 * Skipped when not root or without ip/iptables/tc.
 */
import { execFileSync, spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { etcd, etcdStatus } from "../../src/cluster/recipes/etcd.js";
import { whichExecutable } from "../../src/cluster/system.js";
import { findLibfaketime } from "../../src/faults/clock.js";
import { type FaultCluster, startFaultCluster } from "../../src/faults/fault-cluster.js";
import { namespacesWithPrefix, netnsAvailability, sweepLeftovers } from "../../src/faults/netns.js";
import { nemesisForKinds } from "../../src/faults/schedule.js";
import type { NemesisContext } from "../../src/faults/types.js";
import type { Op } from "../../src/history/op.js";
import { Random } from "../../src/random/random.js";

const available = netnsAvailability().available && whichExecutable("etcd") !== undefined;
const b64 = (text: string) => Buffer.from(text).toString("base64");

async function put(url: string, key: string, value: string): Promise<void> {
  const response = await fetch(`${url}/v3/kv/put`, {
    method: "POST",
    body: JSON.stringify({ key: b64(key), value: b64(value) }),
    signal: AbortSignal.timeout(3_000),
  });
  if (!response.ok) throw new Error(`put: HTTP ${response.status}`);
}

async function get(
  url: string,
  key: string,
  serializable: boolean,
  timeoutMs = 3_000,
): Promise<string | undefined> {
  const response = await fetch(`${url}/v3/kv/range`, {
    method: "POST",
    body: JSON.stringify({ key: b64(key), serializable }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!response.ok) throw new Error(`range: HTTP ${response.status}`);
  const body = (await response.json()) as { kvs?: { value: string }[] };
  const value = body.kvs?.[0]?.value;
  return value === undefined ? undefined : Buffer.from(value, "base64").toString();
}

async function eventually<T>(action: () => Promise<T>, deadlineMs = 15_000): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    try {
      return await action();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

const op = (f: string, value: unknown): Op => ({
  index: 0,
  time: 0,
  type: "invoke",
  process: "nemesis",
  f,
  value,
});

const linkExists = (name: string): boolean => {
  try {
    execFileSync("ip", ["link", "show", name], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};

describe.skipIf(!available)("netns: real 3-node etcd, one namespace per member", () => {
  let cluster: FaultCluster;
  const nemesis = nemesisForKinds(["partition", "latency", "loss", "bandwidth", "clock"]);
  const ctx = (): NemesisContext => ({
    cluster,
    random: new Random(1),
    signal: new AbortController().signal,
    log: () => {},
  });

  beforeAll(async () => {
    cluster = await startFaultCluster({
      recipe: () => etcd({ variants: [] }),
      size: 3,
      network: "netns",
      clock: findLibfaketime() !== undefined,
      random: new Random(9),
      log: () => {},
      cluster: { log: () => {} },
    });
  }, 60_000);

  afterAll(async () => {
    const prefix = cluster?.faults.netns?.prefix;
    await nemesis.teardown?.(ctx());
    await cluster?.stop();
    if (prefix) {
      expect(namespacesWithPrefix(prefix)).toEqual([]);
      expect(linkExists(`${prefix}b`)).toBe(false);
    }
  }, 30_000);

  it("runs each member in its own namespace with its own address", () => {
    const netns = cluster.faults.netns!;
    expect(cluster.faults.network?.kind).toBe("netns");
    expect(namespacesWithPrefix(netns.prefix)).toHaveLength(3);
    for (const node of cluster.nodes) {
      expect(node.meta.netns).toBe(netns.namespace(node.index));
      expect((node.meta.direct as { host: string }).host).toMatch(/^10\.99\.\d+\.\d+$/);
    }
  });

  it("isolating a follower stops its traffic: its serializable reads go stale, then catch up after heal", async () => {
    const leader = await eventually(async () => {
      const found = await cluster.leader!();
      if (!found) throw new Error("no leader yet");
      return found;
    });
    const follower = cluster.nodes.find((node) => node.name !== leader.name)!;
    await eventually(() => put(leader.url, "k", "before"));
    await eventually(async () => {
      if ((await get(follower.url, "k", true)) !== "before") throw new Error("not replicated yet");
    });
    const others = cluster.nodes.filter((node) => node !== follower).map((node) => node.name);
    const grudge = Object.fromEntries([
      [follower.name, others],
      ...others.map((name) => [name, [follower.name]]),
    ]);
    const partition = await nemesis.invoke(op("start-partition", { shape: "isolate", grudge }), ctx());
    expect(partition.type).toBe("ok");
    expect(partition.value).toMatchObject({ complete: true, via: "netns", partial: [], uncut: [] });
    await eventually(() => put(leader.url, "k", "after"));
    // The isolated member still answers serializable reads from its own, now stale, copy...
    expect(await get(follower.url, "k", true)).toBe("before");
    // ...and cannot serve a linearizable one (no quorum reachable).
    await expect(get(follower.url, "k", false, 1_500)).rejects.toThrow();
    const heal = await nemesis.invoke(op("stop-partition", null), ctx());
    expect(heal.type).toBe("ok");
    await eventually(async () => {
      if ((await get(follower.url, "k", true)) !== "after") throw new Error("not caught up yet");
    });
    const status = await etcdStatus(follower.url, AbortSignal.timeout(3_000));
    expect(status.leaderId).not.toBe("0");
  }, 60_000);

  it("applies loss and bandwidth with kernel rules and latency via netem or, without it, the proxies (with a note)", async () => {
    const loss = await nemesis.invoke(op("start-loss", { nodes: ["n2"], probability: 0.1 }), ctx());
    expect(loss).toMatchObject({ type: "ok", value: { via: "netns/iptables-statistic", nodes: ["n2"] } });
    const bandwidth = await nemesis.invoke(
      op("start-bandwidth", { nodes: ["n2"], bytesPerSec: 100_000 }),
      ctx(),
    );
    expect(bandwidth).toMatchObject({ type: "ok", value: { via: "netns/tc-tbf" } });
    const latency = await nemesis.invoke(
      op("start-latency", { nodes: ["n2"], delayMs: 50, jitterMs: 0 }),
      ctx(),
    );
    expect(latency.type).toBe("ok");
    const via = (latency.value as { via: string }).via;
    expect(["netns/tc-netem", "proxy"]).toContain(via);
    if (via === "proxy") expect(latency.note).toMatch(/netem/);
    for (const f of ["stop-loss", "stop-bandwidth", "stop-latency"]) {
      expect((await nemesis.invoke(op(f, null), ctx())).type).toBe("ok");
    }
    const rules = execFileSync(
      "ip",
      ["netns", "exec", cluster.faults.netns!.namespace(1), "iptables", "-S", "CRUCIBLE-LOSS"],
      {
        encoding: "utf8",
      },
    );
    expect(rules).not.toMatch(/DROP/);
    await eventually(() => put(cluster.node(1).url, "k2", "v"));
  }, 30_000);

  it.skipIf(!findLibfaketime())(
    "reports that a clock fault does not reach etcd (a Go binary)",
    async () => {
      const bump = await nemesis.invoke(op("bump-clock", { nodes: ["n1"], deltaMs: 10_000 }), ctx());
      expect(bump.type).toBe("fail");
      expect(bump.value).toMatchObject({ reached: [] });
      expect(bump.error).toMatch(/Go binary/);
      await nemesis.invoke(op("reset-clock", null), ctx());
    },
    20_000,
  );
});

describe.skipIf(!netnsAvailability().available)("netns leftovers", () => {
  it("a SIGKILLed runner's namespaces and bridge are removed by its watchdog", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "test/faults/fixtures/netns-child.ts"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      const prefix = await new Promise<string>((resolve, reject) => {
        let out = "";
        child.stdout!.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes("\n")) resolve(out.trim());
        });
        child.once("exit", () => reject(new Error("child exited before printing its prefix")));
      });
      expect(namespacesWithPrefix(prefix)).toHaveLength(2);
      child.kill("SIGKILL");
      const deadline = Date.now() + 10_000;
      while ((namespacesWithPrefix(prefix).length > 0 || linkExists(`${prefix}b`)) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(namespacesWithPrefix(prefix)).toEqual([]);
      expect(linkExists(`${prefix}b`)).toBe(false);
    } finally {
      child.kill("SIGKILL");
    }
  }, 30_000);

  it("the next run sweeps what a dead run left and says so", async () => {
    // A pid that certainly belongs to no live process: a child that has exited.
    const dead = spawn("true");
    await new Promise((resolve) => dead.once("exit", resolve));
    const name = `cr${dead.pid}x0-n1`;
    execFileSync("ip", ["netns", "add", name]);
    try {
      const removed = await sweepLeftovers();
      expect(removed).toContain(`netns ${name}`);
      expect(namespacesWithPrefix(name)).toEqual([]);
    } finally {
      // Only when the sweep failed: the test must not leave its own leftover behind.
      if (namespacesWithPrefix(name).length > 0)
        execFileSync("ip", ["netns", "del", name], { stdio: "ignore" });
    }
  }, 20_000);
});
