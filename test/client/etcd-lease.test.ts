/**
 * The etcd lease and lock client against a real etcd: grant, keepalive,
 * time-to-live, revoke; create-if-absent on create revision; range by
 * prefix in create order; leases found through a prefix (and only those);
 * a watch that sees a delete; endpoint failover.
 */
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
    expect(again).toEqual({ created: false, createRevision: first.createRevision });
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

  it("prefix range ends", () => {
    expect(Buffer.from(prefixRangeEnd("a/"), "base64").toString()).toBe("a0");
    expect(Buffer.from(prefixRangeEnd("ab"), "base64").toString()).toBe("ac");
  });
});
