/**
 * Real etcd (Debian etcd-server): 1 node, and 3 nodes that stay available
 * while one member is SIGKILLed and while one is paused.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { etcd, etcdStatus, type LocalCluster, startCluster, startServer } from "../../src/cluster/index.js";

const b64 = (text: string) => Buffer.from(text).toString("base64");

async function put(url: string, key: string, value: string, timeoutMs = 3_000): Promise<void> {
  const response = await fetch(`${url}/v3/kv/put`, {
    method: "POST",
    body: JSON.stringify({ key: b64(key), value: b64(value) }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!response.ok) throw new Error(`put: HTTP ${response.status} ${await response.text()}`);
}

/** Linearizable read; undefined when the key is absent. */
async function get(url: string, key: string, timeoutMs = 3_000): Promise<string | undefined> {
  const response = await fetch(`${url}/v3/kv/range`, {
    method: "POST",
    body: JSON.stringify({ key: b64(key) }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!response.ok) throw new Error(`range: HTTP ${response.status} ${await response.text()}`);
  const body = (await response.json()) as { kvs?: { value: string }[] };
  const value = body.kvs?.[0]?.value;
  return value === undefined ? undefined : Buffer.from(value, "base64").toString();
}

/** Retry `action` until it succeeds or `deadlineMs` passes (leader election takes ~1-2 s). */
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

test("1 node: put, linearizable get, status, restart keeps data", async () => {
  await using server = await startServer(etcd(), { seed: 1, log: () => {} });
  expect(server.isRunning()).toBe(true);
  await put(server.url, "k", "v1");
  expect(await get(server.url, "k")).toBe("v1");
  const status = await etcdStatus(server.url, AbortSignal.timeout(3_000));
  expect(status.memberId).toMatch(/^\d+$/);
  expect(status.leaderId).toBe(status.memberId);
  const pidBefore = server.pid;
  await server.restart();
  expect(server.pid).not.toBe(pidBefore);
  expect(await get(server.url, "k")).toBe("v1");
});

describe("3 nodes", () => {
  let cluster: LocalCluster;
  beforeAll(async () => {
    cluster = await startCluster(etcd(), 3, { seed: 42, log: () => {} });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  test("every member serves linearizable reads of the same write; one leader", async () => {
    expect(cluster.nodes.map((node) => node.name)).toEqual(["n1", "n2", "n3"]);
    expect(new Set(cluster.clientUrls).size).toBe(3);
    expect(cluster.variant).toBeDefined();
    await put(cluster.node(0).url, "a", "1");
    for (const url of cluster.clientUrls) expect(await get(url, "a")).toBe("1");
    const leader = await cluster.leader!();
    expect(leader).toBeDefined();
    expect(cluster.nodes).toContain(leader);
  });

  test("stays available while the leader is SIGKILLed; the member rejoins on restart", async () => {
    const victim = (await cluster.leader!())!;
    const pid = victim.pid!;
    await victim.kill();
    expect(victim.isRunning()).toBe(false);
    expect(() => process.kill(pid, 0)).toThrow();
    const survivor = cluster.nodes.find((node) => node !== victim)!;
    await eventually(() => put(survivor.url, "b", "after-kill"));
    for (const node of cluster.nodes.filter((n) => n !== victim)) {
      expect(await eventually(() => get(node.url, "b"))).toBe("after-kill");
    }
    await victim.start();
    expect(await eventually(() => get(victim.url, "b"))).toBe("after-kill");
  });

  test("stays available while one member is paused", async () => {
    const paused = cluster.node(2);
    await paused.pause();
    try {
      const other = cluster.node(0);
      await eventually(() => put(other.url, "c", "during-pause"));
      expect(await eventually(() => get(cluster.node(1).url, "c"))).toBe("during-pause");
      // The paused member cannot answer at all.
      await expect(get(paused.url, "c", 500)).rejects.toThrow();
    } finally {
      await paused.resume();
    }
    expect(await eventually(() => get(paused.url, "c"))).toBe("during-pause");
  });
});
