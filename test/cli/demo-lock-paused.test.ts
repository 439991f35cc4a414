/**
 * A safe demo-lock wrapper paused past its TTL while it waits (or between
 * its claim and its child) never starts its child after the resume: its
 * lease is gone, so it exits 70 instead. The lock is handed to it while it
 * is frozen (the holder's lease is revoked), so on resume the claim and the
 * overdue keepalive tick race; either way no child may run. Real etcd.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startActors } from "../../src/actors/fixture.js";
import { EtcdLeaseClient } from "../../src/client/etcd-lease.js";
import { type LocalCluster, startCluster } from "../../src/cluster/fixture.js";
import { etcd } from "../../src/cluster/recipes/etcd.js";
import { crucibleCliCommand } from "../../src/demo/launch.js";

const cli = crucibleCliCommand();
let cluster: LocalCluster;
let client: EtcdLeaseClient;
let dir: string;

beforeAll(async () => {
  cluster = await startCluster(etcd(), 1, { log: () => {} });
  client = new EtcdLeaseClient({ endpoints: cluster.nodes.map((node) => node.address) });
  dir = mkdtempSync(join(tmpdir(), "crucible-paused-"));
}, 60_000);
afterAll(async () => {
  client?.close();
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not ${what} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("demo-lock paused past its TTL", () => {
  it("a waiter frozen while the lock is handed to it does not start its child on resume; it exits 70", async () => {
    const prefix = `paused/${process.pid}/`;
    const endpoints = cluster.nodes.map((node) => node.address).join(",");
    // The holder is a lease of our own, so we can hand the lock over at the moment we choose.
    const holderLease = await client.grant(30);
    await client.createIfAbsent(`${prefix}q/${holderLease}`, "holder", holderLease);
    await client.createIfAbsent(`${prefix}s/0`, holderLease, holderLease);
    const marker = join(dir, "started");
    const actors = await startActors({
      count: 1,
      command: cli.command,
      args: [
        ...cli.args,
        "demo-lock",
        "--endpoints",
        endpoints,
        "--prefix",
        prefix,
        "--ttl",
        "1",
        "--",
        "sh",
        "-c",
        `touch "${marker}"; sleep 30`,
      ],
    });
    try {
      const waiter = actors.get("a1");
      await until(
        "the waiter queued",
        async () => (await client.rangePrefix(`${prefix}q/`)).kvs.length === 2,
        20_000,
      );
      await waiter.pause();
      // Hand the lock over while it is frozen, then outlast its TTL (1 s) so its lease expires.
      await client.revoke(holderLease);
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      await waiter.resume();
      const exit = await Promise.race([
        waiter.exited,
        new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 10_000)),
      ]);
      expect(exit?.code).toBe(70);
      expect(existsSync(marker), "the child started after the lease was lost").toBe(false);
    } finally {
      await actors.close();
    }
  }, 60_000);
});
