/**
 * The etcd lease and lock client against a real etcd: grant, keepalive,
 * time-to-live, revoke; create-if-absent on create revision; range by
 * prefix in create order; leases found through a prefix (and only those);
 * a watch that sees a delete; endpoint failover (a closed port, a member
 * that hangs, one that says "no leader", a watch whose member goes away).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EtcdLeaseClient, EtcdRequestError, prefixRangeEnd } from "../../src/client/etcd-lease.js";
import { type ServerHandle, startServer } from "../../src/cluster/fixture.js";
import { etcd } from "../../src/cluster/recipes/etcd.js";

let server: ServerHandle;
let client: EtcdLeaseClient;

beforeAll(async () => {
  server = await startServer(etcd(), { log: () => {} });
  client = new EtcdLeaseClient({ endpoints: [server.address] });
}, 60_000);

afterAll(async () => {
  client?.close();
  await server?.close();
});

describe("etcd lease client", () => {
  it("grants, keeps alive, reports TTL and keys, revokes", async () => {
    const lease = await client.grant(30);
    expect(lease).toMatch(/^\d+$/);
    expect(await client.keepAliveOnce(lease)).toBe(30);
    await client.createIfAbsent("t1/k", "v", lease);
    const ttl = await client.timeToLive(lease);
    expect(ttl.ttl).toBeGreaterThan(25);
    expect(ttl.keys).toEqual(["t1/k"]);
    expect(await client.revoke(lease)).toBe(true);
    expect(await client.revoke(lease)).toBe(false);
    expect(await client.keepAliveOnce(lease)).toBe(0);
    expect((await client.timeToLive(lease)).ttl).toBe(-1);
    expect((await client.rangePrefix("t1/")).kvs).toEqual([]);
  });

  it("creates a key only when absent, and ranks a prefix by create revision", async () => {
    const lease = await client.grant(30);
    const first = await client.createIfAbsent("t2/b", "first", lease);
    const again = await client.createIfAbsent("t2/b", "second", lease);
    expect(first.created).toBe(true);
    expect(again).toEqual({ created: false, createRevision: first.createRevision, lease });
    const later = await client.createIfAbsent("t2/a", "later", lease);
    const { kvs } = await client.rangePrefix("t2/");
    // Oldest first, whatever the key's name.
    expect(kvs.map((kv) => [kv.key, kv.value, kv.createRevision, kv.lease])).toEqual([
      ["t2/b", "first", first.createRevision, lease],
      ["t2/a", "later", later.createRevision, lease],
    ]);
    expect(await client.deleteKey("t2/a")).toBe(1);
    await client.revoke(lease);
  });

  it("finds exactly the leases behind a prefix, never another one", async () => {
    const mine = [await client.grant(30), await client.grant(30)];
    const other = await client.grant(30);
    await client.createIfAbsent("t3/x", "", mine[0]!);
    await client.createIfAbsent("t3/y", "", mine[1]!);
    await client.createIfAbsent("t3/z", "", mine[1]!);
    await client.createIfAbsent("t30/not-under", "", other);
    expect((await client.leasesUnder("t3/")).sort()).toEqual([...mine].sort());
    expect(await client.leases()).toContain(other);
    for (const lease of [...mine, other]) await client.revoke(lease);
  });

  it("a watch resolves on the key's delete, and times out when nothing happens", async () => {
    const lease = await client.grant(30);
    const { createRevision } = await client.createIfAbsent("t4/k", "", lease);
    const quiet = await client.watchDelete("t4/k", createRevision, { timeoutMs: 300 });
    expect(quiet).toBe("timeout");
    const watching = client.watchDelete("t4/k", createRevision, { timeoutMs: 5_000 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const began = Date.now();
    await client.revoke(lease);
    expect(await watching).toBe("deleted");
    expect(Date.now() - began).toBeLessThan(1_000);
    // A delete that happened before the watch started is still seen (start revision).
    const lease2 = await client.grant(30);
    const second = await client.createIfAbsent("t4/k2", "", lease2);
    await client.deleteKey("t4/k2");
    expect(await client.watchDelete("t4/k2", second.createRevision, { timeoutMs: 2_000 })).toBe("deleted");
  });

  it("skips an endpoint that cannot be reached; says so when none can", async () => {
    const withDead = new EtcdLeaseClient({ endpoints: ["127.0.0.1:1", server.address] });
    expect(await withDead.grant(5)).toMatch(/^\d+$/);
    withDead.close();
    const dead = new EtcdLeaseClient({ endpoints: ["127.0.0.1:1"], requestTimeoutMs: 500 });
    const error = await dead.grant(5).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EtcdRequestError);
    expect((error as EtcdRequestError).maybeApplied).toBe(false);
    expect((error as Error).message).toMatch(/no etcd endpoint reachable: 127\.0\.0\.1:1/);
    dead.close();
    expect(() => new EtcdLeaseClient({ endpoints: ["nonsense"] })).toThrow(/expected host:port/);
  });

  it("fails over on every request: a closed port, a member that never answers, one with no leader", async () => {
    const hang = await fakeMember(() => {});
    const noLeader = await fakeMember((res) => {
      res.writeHead(503, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "etcdserver: no leader", message: "etcdserver: no leader", code: 14 }));
    });
    const c = new EtcdLeaseClient({
      endpoints: ["127.0.0.1:1", hang.address, noLeader.address, server.address],
      requestTimeoutMs: 300,
      failoverMs: 5_000,
    });
    try {
      const began = performance.now();
      const lease = await c.grant(30);
      // One refused connection, one 300 ms attempt, one "no leader": then the real member.
      expect(performance.now() - began).toBeLessThan(2_000);
      expect(noLeader.requests()).toBe(1);
      // The member that answered is preferred from now on: no more waiting on the others.
      const again = performance.now();
      expect(await c.keepAliveOnce(lease)).toBe(30);
      const { created } = await c.createIfAbsent("t6/k", "v", lease);
      expect(created).toBe(true);
      expect((await c.rangePrefix("t6/")).kvs).toHaveLength(1);
      expect(await c.revoke(lease)).toBe(true);
      expect(performance.now() - again).toBeLessThan(1_000);
      expect(noLeader.requests()).toBe(1);
    } finally {
      c.close();
      await hang.close();
      await noLeader.close();
    }
  });

  it("a request that no member answers fails within its deadline, saying why", async () => {
    const noLeader = await fakeMember((res) => {
      res.writeHead(503, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "etcdserver: no leader", code: 14 }));
    });
    const c = new EtcdLeaseClient({ endpoints: [noLeader.address, "127.0.0.1:1"], failoverMs: 700 });
    try {
      const began = performance.now();
      const error = await c.keepAliveOnce("1").catch((caught: unknown) => caught);
      const tookMs = performance.now() - began;
      expect(error).toBeInstanceOf(EtcdRequestError);
      expect((error as Error).message).toMatch(/no etcd endpoint answered within 700 ms: .*no leader/);
      expect(tookMs).toBeGreaterThanOrEqual(650);
      expect(tookMs).toBeLessThan(3_000);
      // Retried, round after round, until the deadline.
      expect(noLeader.requests()).toBeGreaterThan(3);
    } finally {
      c.close();
      await noLeader.close();
    }
  });

  it("a request or watch whose signal is already aborted ends at once (not never)", async () => {
    const aborted = AbortSignal.abort(new Error("lease lost"));
    const error = await client.rangePrefix("t9/", aborted).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EtcdRequestError);
    expect((error as Error).message).toMatch(/aborted: .*lease lost/);
    expect(await client.watchDelete("t9/k", "1", { timeoutMs: 5_000, signal: aborted })).toBe("timeout");
  });

  it("a create repeated after a lost answer finds its own key: the lease says it is ours", async () => {
    const lease = await client.grant(30);
    await client.createIfAbsent("t7/s/0", lease, lease);
    const repeated = await client.createIfAbsent("t7/s/0", lease, lease);
    expect(repeated.created).toBe(false);
    expect(repeated.lease).toBe(lease);
    await client.revoke(lease);
  });

  it("a watch whose member goes away carries on at another from the same revision", async () => {
    // A member that accepts the watch and then dies mid-stream (as a killed etcd does).
    const dying = await fakeMember((res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write(`${JSON.stringify({ result: { created: true } })}\n`);
      setTimeout(() => res.socket?.destroy(), 200);
    });
    const lease = await client.grant(30);
    const { createRevision } = await client.createIfAbsent("t8/k", "", lease);
    const c = new EtcdLeaseClient({ endpoints: [dying.address, server.address] });
    try {
      const watching = c.watchDelete("t8/k", createRevision, { timeoutMs: 5_000 });
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(dying.requests()).toBe(1);
      await client.deleteKey("t8/k");
      expect(await watching).toBe("deleted");
      // Deleted while no stream was open: the re-check on re-establishing sees it.
      const lease2 = await client.grant(30);
      const second = await client.createIfAbsent("t8/k2", "", lease2);
      const c2 = new EtcdLeaseClient({ endpoints: [dying.address, server.address] });
      const watching2 = c2.watchDelete("t8/k2", second.createRevision, { timeoutMs: 5_000 });
      await client.deleteKey("t8/k2");
      expect(await watching2).toBe("deleted");
      c2.close();
      await client.revoke(lease2);
    } finally {
      c.close();
      await dying.close();
      await client.revoke(lease);
    }
  });

  it("prefix range ends", () => {
    expect(Buffer.from(prefixRangeEnd("a/"), "base64").toString()).toBe("a0");
    expect(Buffer.from(prefixRangeEnd("ab"), "base64").toString()).toBe("ac");
  });
});

/** An HTTP server on a random port that answers (or not) as `answer` says, counting requests. */
async function fakeMember(
  answer: (res: import("node:http").ServerResponse) => void,
): Promise<{ address: string; requests: () => number; close: () => Promise<void> }> {
  let count = 0;
  const sockets = new Set<Socket>();
  const fake: Server = createServer((req, res) => {
    count++;
    req.resume();
    answer(res);
  });
  fake.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => fake.listen(0, "127.0.0.1", resolve));
  const { port } = fake.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    requests: () => count,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => fake.close(() => resolve()));
    },
  };
}
