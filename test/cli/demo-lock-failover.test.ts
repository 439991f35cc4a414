/**
 * Losing one etcd member does not end a demo-lock session (issue 13): the
 * first endpoint a closed port changes nothing; and the
 * wrapper is given every member's endpoint, and its requests, keepalives
 * and watches fail over. A 3-member etcd; one wrapper (TTL 4 s, kill-after
 * 1 s) holds with a child, a second waits; the member they talk to (the
 * first endpoint, the leader) is SIGKILLed, and for three TTLs the holder
 * keeps holding, its child running, and the waiter keeps waiting. Then a
 * second member dies: no quorum, no keepalive can succeed, so each wrapper
 * declares its lease lost a TTL after its last keepalive, stops its child
 * and exits 70 (docs/locks.md) within TTL + kill-after + slack.
 * Real etcd, real processes.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startActors } from "../../src/actors/fixture.js";
import { DEMO_LOCK_EXIT } from "../../src/cli/demo-lock.js";
import { EtcdLeaseClient } from "../../src/client/etcd-lease.js";
import { type LocalCluster, startCluster } from "../../src/cluster/fixture.js";
import { etcd } from "../../src/cluster/recipes/etcd.js";
import { crucibleCliCommand } from "../../src/demo/launch.js";

const cli = crucibleCliCommand();
// 4 s, not the lock workload's 2: a leader's death stalls keepalives 1.4-2.4 s (etcd's 1 s election
// timeout, randomized up to 2 s), which a 2 s lease survives only when its last renewal was fresh enough.
const TTL_S = 4;
const KILL_AFTER_MS = 1_000;
let cluster: LocalCluster;
let dir: string;

beforeAll(async () => {
  cluster = await startCluster(etcd({ variants: [] }), 3, { log: () => {} });
  dir = mkdtempSync(join(tmpdir(), "crucible-failover-"));
}, 90_000);
afterAll(async () => {
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

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("demo-lock when etcd members die", () => {
  it("holds and hands back through a closed port as its first endpoint", async () => {
    const actors = await startActors({
      count: 1,
      command: cli.command,
      args: [
        ...cli.args,
        "demo-lock",
        "--endpoints",
        ["127.0.0.1:1", ...cluster.nodes.map((node) => node.address)].join(","),
        "--prefix",
        `closed/${process.pid}/`,
        "--ttl",
        "2",
        "--",
        "sh",
        "-c",
        'test -n "$CRUCIBLE_LOCK_REV" && exit 7',
      ],
    });
    try {
      const began = performance.now();
      const exit = await actors.get("a1").exited;
      // The child's code: granted, queued, claimed and revoked with the first endpoint refusing every time.
      expect(exit.code).toBe(7);
      expect(performance.now() - began).toBeLessThan(5_000);
    } finally {
      await actors.close();
    }
  }, 30_000);

  it("holder and waiter keep their sessions through the first endpoint's (the leader's) death; a majority's death loses the lease: exit 70", async () => {
    const prefix = `failover/${process.pid}/`;
    // The leader first: the member the wrappers talk to is the one whose death stalls the cluster.
    const leader = await cluster.leader?.();
    const ordered = [...cluster.nodes].sort((a, b) => Number(b === leader) - Number(a === leader));
    const endpoints = ordered.map((node) => node.address);
    const pidFile = join(dir, "child.pid");
    const actors = await startActors({
      count: 2,
      command: cli.command,
      args: (actor) => [
        ...cli.args,
        "demo-lock",
        "--endpoints",
        endpoints.join(","),
        "--prefix",
        prefix,
        "--ttl",
        String(TTL_S),
        "--kill-after",
        `${KILL_AFTER_MS}ms`,
        "--name",
        actor.name,
        "--",
        "sh",
        "-c",
        `echo $$ > "${pidFile}.tmp"; mv "${pidFile}.tmp" "${pidFile}"; exec sleep 300`,
      ],
    });
    const wrappers = [actors.get("a1"), actors.get("a2")];
    const logs = () =>
      wrappers
        .map((w) => `${w.name}:\n${existsSync(w.logPath) ? readFileSync(w.logPath, "utf8") : ""}`)
        .join("\n");
    const exits = new Map<string, number | null>();
    for (const w of wrappers) void w.exited.then((exit) => exits.set(w.name, exit.code));
    // Observes from the members that stay up.
    const observer = new EtcdLeaseClient({ endpoints: endpoints.slice(1) });
    try {
      await until("a child started", () => existsSync(pidFile), 30_000);
      await until(
        "both queued",
        async () => (await observer.rangePrefix(`${prefix}q/`)).kvs.length === 2,
        10_000,
      );
      const childPid = Number(readFileSync(pidFile, "utf8").trim());
      const [slot] = (await observer.rangePrefix(`${prefix}s/`)).kvs;
      expect(slot, "a wrapper holds the slot key").toBeDefined();

      // The member both wrappers talk to (their first endpoint, the leader) dies.
      expect(ordered[0]?.name).toBe(leader?.name);
      await cluster.node(cluster.nodes.indexOf(ordered[0]!)).kill("SIGKILL");
      await new Promise((resolve) => setTimeout(resolve, 3 * TTL_S * 1000));
      expect([...exits], `a wrapper exited after one member's death:\n${logs()}`).toEqual([]);
      expect(alive(childPid), "the child still runs").toBe(true);
      const held = (await observer.rangePrefix(`${prefix}s/`)).kvs[0];
      expect(held?.lease, "the same lease still holds the slot").toBe(slot!.lease);
      expect((await observer.rangePrefix(`${prefix}q/`)).kvs, "the waiter still waits").toHaveLength(2);

      // A second member dies: no quorum. The lease is lost a TTL after the last keepalive at the latest.
      await cluster.node(cluster.nodes.indexOf(ordered[1]!)).kill("SIGKILL");
      const killedMs = performance.now();
      const [first, second] = await Promise.race([
        Promise.all(wrappers.map((w) => w.exited)),
        new Promise<undefined[]>((resolve) => setTimeout(() => resolve([undefined, undefined]), 20_000)),
      ]);
      const tookMs = performance.now() - killedMs;
      expect([first?.code, second?.code], logs()).toEqual([
        DEMO_LOCK_EXIT.leaseLost,
        DEMO_LOCK_EXIT.leaseLost,
      ]);
      // TTL + kill-after + the release's revoke (bounded at 2 s, and the quorum is gone) + slack for a
      // loaded host. The child stops at SIGTERM, so the kill-after is not even used.
      expect(tookMs, logs()).toBeLessThan(TTL_S * 1000 + KILL_AFTER_MS + 2_000 + 2_000);
      expect(alive(childPid), "the child was stopped").toBe(false);
      expect(logs()).toMatch(/lost: no keepalive succeeded/);
    } finally {
      observer.close();
      await actors.close();
    }
  }, 120_000);
});
