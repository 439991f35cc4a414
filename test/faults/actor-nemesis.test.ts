/**
 * The actor nemesis over real processes and a real etcd: pause/resume,
 * stop/start, kill (respawned), lease-revoke of only this prefix's leases,
 * teardown heals everything; actor faults mix into the seeded schedule.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Actors, startActors } from "../../src/actors/index.js";
import { EtcdLeaseClient } from "../../src/client/etcd-lease.js";
import { type ServerHandle, startServer } from "../../src/cluster/fixture.js";
import { etcd } from "../../src/cluster/recipes/etcd.js";
import {
  actorNemesis,
  FRESH_HOLDER_TARGET,
  HOLDER_TARGET,
  holderKey,
  newestHolder,
} from "../../src/faults/actor-nemesis.js";
import { faultScheduleOps } from "../../src/faults/schedule.js";
import type { NemesisContext } from "../../src/faults/types.js";
import type { Op } from "../../src/history/op.js";
import { Random } from "../../src/random/random.js";

let actors: Actors;
let server: ServerHandle;
let client: EtcdLeaseClient;
const ctx = { signal: new AbortController().signal } as NemesisContext;
const op = (f: string, value: unknown): Op => ({
  index: 0,
  time: 0,
  type: "invoke",
  process: "nemesis",
  f,
  value,
});
const state = (pid: number | undefined) => {
  if (pid === undefined) return undefined;
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
};

beforeAll(async () => {
  server = await startServer(etcd(), { log: () => {} });
  client = new EtcdLeaseClient({ endpoints: [server.address] });
  actors = await startActors({ count: 3, command: "sleep", args: ["60"], respawn: { delayMs: 10 } });
});
afterAll(async () => {
  await actors?.close();
  client?.close();
  await server?.close();
});

describe("actor nemesis", () => {
  it("pauses, resumes, stops, starts and kills named actors; teardown heals", async () => {
    const nemesis = actorNemesis({ actors: () => actors });
    const a2 = actors.get("a2");
    expect(await nemesis.invoke(op("actor-pause", { actors: ["a2"] }), ctx)).toEqual({
      type: "ok",
      value: { actors: ["a2"] },
    });
    expect(state(a2.pid)).toBe("T");
    expect((await nemesis.invoke(op("actor-resume", "all"), ctx)).value).toEqual({ actors: ["a2"] });
    expect(state(a2.pid)).not.toBe("T");
    await nemesis.invoke(op("actor-stop", { actors: ["a3"] }), ctx);
    expect(actors.get("a3").isRunning()).toBe(false);
    const before = actors.get("a1").pid;
    const killed = await nemesis.invoke(op("actor-kill", { actors: ["a1"] }), ctx);
    expect(killed.value).toMatchObject({ actors: ["a1"], killed: [{ actor: "a1", pid: before }] });
    // Respawned: the kill heals at once.
    for (let i = 0; i < 100 && !actors.get("a1").isRunning(); i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(actors.get("a1").pid).not.toBe(before);
    await nemesis.invoke(op("actor-pause", { actors: ["a1"] }), ctx);
    await nemesis.teardown?.(ctx);
    expect(actors.get("a3").isRunning()).toBe(true);
    expect(state(actors.get("a1").pid)).not.toBe("T");
  });

  it("lease-revoke revokes only the leases under the test's prefix", async () => {
    const prefix = "nemesis-test/lock/";
    const holder = await client.grant(30);
    const waiter = await client.grant(30);
    const stranger = await client.grant(30);
    await client.createIfAbsent(`${prefix}q/${holder}`, "a1", holder);
    await client.createIfAbsent(`${prefix}q/${waiter}`, "a2", waiter);
    await client.createIfAbsent("someone-else/key", "x", stranger);
    const nemesis = actorNemesis({ actors: () => actors, leases: () => ({ client, prefix }) });
    const one = await nemesis.invoke(op("lease-revoke", { leases: "holder" }), ctx);
    expect(one).toMatchObject({ type: "ok", value: { leases: [holder], actors: ["a1"], prefix } });
    const oneValue = one.value as { keys: { createRevision: string }[]; revokedAt: Record<string, number> };
    expect(oneValue.keys).toEqual([
      {
        key: `${prefix}q/${holder}`,
        createRevision: expect.stringMatching(/^\d+$/),
        lease: holder,
        holder: "a1",
      },
    ]);
    // The revision the revoke took effect at: after the key it deleted was created.
    expect(Object.keys(oneValue.revokedAt)).toEqual([holder]);
    expect(oneValue.revokedAt[holder]).toBeGreaterThan(Number(oneValue.keys[0]!.createRevision));
    expect((await client.timeToLive(waiter)).ttl).toBeGreaterThan(0);
    const all = await nemesis.invoke(op("lease-revoke", { leases: "all" }), ctx);
    expect(all.value).toMatchObject({ leases: [waiter], actors: ["a2"] });
    expect((all.value as { revokedAt: Record<string, number> }).revokedAt[waiter]).toBeGreaterThan(
      oneValue.revokedAt[holder]!,
    );
    expect((await client.timeToLive(stranger)).ttl).toBeGreaterThan(0);
    expect((await nemesis.invoke(op("lease-revoke", { leases: "all" }), ctx)).type).toBe("fail");
    await client.revoke(stranger);
  });

  it('{ actors: "holder" } hits the actor of the newest slot when the fault runs, and the completion names it', async () => {
    const prefix = "nemesis-test/holder/";
    const old = await client.grant(30);
    const fresh = await client.grant(30);
    const waiting = await client.grant(30);
    await client.createIfAbsent(`${prefix}q/${old}`, "a1", old);
    await client.createIfAbsent(`${prefix}q/${fresh}`, "a3", fresh);
    await client.createIfAbsent(`${prefix}q/${waiting}`, "a2", waiting);
    await client.createIfAbsent(`${prefix}s/0`, old, old);
    // A semaphore of two: a3 claimed slot 1 last, so it holds the newest hold.
    await client.createIfAbsent(`${prefix}s/1`, fresh, fresh);
    const leases = { client, prefix };
    expect(await newestHolder(leases, actors.names)).toBe("a3");
    const nemesis = actorNemesis({ actors: () => actors, leases: () => leases });
    const paused = await nemesis.invoke(op("actor-pause", { actors: HOLDER_TARGET }), ctx);
    // The revision once the pause took effect: what was claimed before it has a token at or below it.
    expect(paused).toEqual({ type: "ok", value: { actors: ["a3"], revision: expect.any(Number) } });
    const { revision } = paused.value as { revision: number };
    expect(revision).toBeGreaterThanOrEqual(
      Number((await client.rangePrefix(prefix)).kvs.at(-1)?.createRevision),
    );
    expect(state(actors.get("a3").pid)).toBe("T");
    expect((await nemesis.invoke(op("actor-resume", "all"), ctx)).value).toEqual({ actors: ["a3"] });
    // No key names an actor (etcdctl lock stores none): every actor is hit, so the holder is for certain.
    expect(await newestHolder({ client, prefix: "nemesis-test/nobody/" }, actors.names)).toBeUndefined();
    const blind = actorNemesis({ actors: () => actors });
    expect((await blind.invoke(op("actor-pause", { actors: HOLDER_TARGET }), ctx)).value).toEqual({
      actors: ["a1", "a2", "a3"],
    });
    await blind.invoke(op("actor-resume", "all"), ctx);
    for (const lease of [old, fresh, waiting]) await client.revoke(lease);
  });

  it("holderKey: the newest slot key with a lease, else the oldest leased key (etcdctl's owner)", () => {
    const kv = (key: string, createRevision: string, lease = "7", value = "") => ({
      key,
      value,
      lease,
      createRevision,
    });
    const prefix = "p/";
    expect(
      holderKey([kv("p/q/1", "3"), kv("p/s/0", "5"), kv("p/s/1", "9"), kv("p/s/2", "11", "0")], prefix)?.key,
    ).toBe("p/s/1");
    expect(holderKey([kv("p/lock/b", "8"), kv("p/lock/a", "4"), kv("p/lock/c", "2", "0")], prefix)?.key).toBe(
      "p/lock/a",
    );
    expect(holderKey([], prefix)).toBeUndefined();
  });

  it('{ actors: "fresh-holder" } waits for the next acquisition and hits that holder; revoke likewise', async () => {
    const prefix = "nemesis-test/fresh/";
    const leases = { client, prefix };
    const nemesis = actorNemesis({
      actors: () => actors,
      leases: () => leases,
      freshHolder: { timeoutMs: 5_000, delayMs: 50, pollMs: 20 },
    });
    const first = await client.grant(30);
    await client.createIfAbsent(`${prefix}q/${first}`, "a1", first);
    await client.createIfAbsent(`${prefix}s/0`, first, first);
    const second = await client.grant(30);
    await client.createIfAbsent(`${prefix}q/${second}`, "a2", second);
    // The pause starts waiting while a1 holds; a1 releases and a2 claims the slot 300 ms later.
    const pausing = nemesis.invoke(op("actor-pause", { actors: FRESH_HOLDER_TARGET }), ctx);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await client.revoke(first);
    await client.createIfAbsent(`${prefix}s/0`, second, second);
    const paused = await pausing;
    expect(paused.type).toBe("ok");
    const value = paused.value as {
      actors: string[];
      aimed: { fresh: boolean; waitedMs: number; key: string };
    };
    expect(value.actors).toEqual(["a2"]);
    expect(value.aimed).toMatchObject({ fresh: true, key: `${prefix}s/0` });
    expect(value.aimed.waitedMs).toBeGreaterThanOrEqual(300);
    expect(state(actors.get("a2").pid)).toBe("T");
    await nemesis.invoke(op("actor-resume", "all"), ctx);
    // A revoke aimed the same way takes the new holder's lease, not the oldest key's; here the wait is
    // its own op (await-acquisition), and the revoke right after it uses the hold it found.
    const third = await client.grant(30);
    await client.createIfAbsent(`${prefix}q/${third}`, "a3", third);
    const awaiting = nemesis.invoke(op("await-acquisition", null), ctx);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await client.revoke(second);
    await client.createIfAbsent(`${prefix}s/0`, third, third);
    expect((await awaiting).value).toMatchObject({ fresh: true, key: `${prefix}s/0` });
    const started = Date.now();
    const revoked = await nemesis.invoke(op("lease-revoke", { leases: FRESH_HOLDER_TARGET }), ctx);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(revoked.value).toMatchObject({ leases: [third], actors: ["a3"], aimed: { fresh: true } });
    // No acquisition within the bound: the current holder is hit, and the completion says it was not fresh.
    const fourth = await client.grant(30);
    await client.createIfAbsent(`${prefix}q/${fourth}`, "a1", fourth);
    await client.createIfAbsent(`${prefix}s/0`, fourth, fourth);
    const quick = actorNemesis({
      actors: () => actors,
      leases: () => leases,
      freshHolder: { timeoutMs: 300, pollMs: 20 },
    });
    const stale = await quick.invoke(op("actor-pause", { actors: FRESH_HOLDER_TARGET }), ctx);
    expect(stale.value).toMatchObject({ actors: ["a1"], aimed: { fresh: false } });
    await quick.invoke(op("actor-resume", "all"), ctx);
    await client.revoke(fourth);
  });

  it("actor faults mix into the seeded schedule, each lasting fault followed by its heal", () => {
    const schedule = (seed: number) =>
      faultScheduleOps({
        kinds: ["actor-pause", "actor-kill", "actor-stop", "lease-revoke", "kill"],
        nodeNames: ["n1", "n2", "n3"],
        actorNames: ["a1", "a2", "a3", "a4"],
        intervalMs: 1_000,
        timeLimitMs: 30_000,
        random: new Random(seed).fork("nemesis-schedule"),
      });
    const ops = schedule(5);
    expect(schedule(5)).toEqual(ops);
    expect(new Set(ops.map((o) => o.f))).toEqual(
      new Set([
        "actor-pause",
        "actor-resume",
        "actor-kill",
        "actor-stop",
        "actor-start",
        "lease-revoke",
        "kill",
        "start",
      ]),
    );
    ops.forEach((o, i) => {
      if (o.f === "actor-pause") expect(ops[i + 1]?.f).toBe("actor-resume");
      if (o.f === "actor-stop") expect(ops[i + 1]?.f).toBe("actor-start");
      if (o.f.startsWith("actor-") && o.value !== "all")
        expect((o.value as { actors: string[] }).actors.every((name) => /^a[1-4]$/.test(name))).toBe(true);
    });
    expect(() =>
      faultScheduleOps({
        kinds: ["actor-pause"],
        nodeNames: ["n1"],
        intervalMs: 1,
        timeLimitMs: 5,
        random: new Random(1),
      }),
    ).toThrow(/needs actors/);
  });
});
