/**
 * The etcd client against a real 3-member etcd (Debian etcd-server): register
 * semantics, key namespacing, serializable versus linearizable reads without
 * quorum, what an abort and a refused connection become, and the built-in
 * register test end to end under kill and pause faults.
 */
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { etcdClient, etcdRequest } from "../../src/client/etcd.js";
import type { LocalCluster } from "../../src/cluster/fixture.js";
import { startCluster } from "../../src/cluster/fixture.js";
import { etcd } from "../../src/cluster/recipes/etcd.js";
import { runTest } from "../../src/runner/run-test.js";
import registerTest from "../../src/tests/register.js";
import { e2eOptions, faultsIn, invoke, neverAborted, registerOp } from "./helpers.js";

test("requests: serializable reads carry serializable: true, linearizable ones do not", () => {
  const read = { f: "read", key: 3 } as const;
  const serializable = JSON.parse(etcdRequest(read, { keyPrefix: "p/", serializable: true }).body);
  const linearizable = JSON.parse(etcdRequest(read, { keyPrefix: "p/", serializable: false }).body);
  expect(serializable).toEqual({ key: Buffer.from("p/3").toString("base64"), serializable: true });
  expect(linearizable).toEqual({ key: Buffer.from("p/3").toString("base64") });
  expect(etcdClient({ readConsistency: "serializable" }).readConsistency).toBe("serializable");
  expect(() => etcdClient({ readConsistency: "eventual" as "serializable" })).toThrow(RangeError);
});

describe("against a 3-member etcd", () => {
  let cluster: LocalCluster;
  beforeAll(async () => {
    cluster = await startCluster(etcd(), 3, { seed: 11, log: () => {} });
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 30_000);

  const open = (client: ReturnType<typeof etcdClient>, index = 0) =>
    client.open({ cluster, node: cluster.node(index), worker: 0, signal: neverAborted() });

  test("read, write, cas: values round-trip, a missing key reads null, a mismatched cas fails", async () => {
    const connection = await open(etcdClient());
    try {
      expect(await invoke(connection, registerOp("read", 1))).toEqual({
        type: "ok",
        value: null,
        node: "n1",
      });
      // A cas on an empty register matches nothing.
      expect(await invoke(connection, registerOp("cas", 1, [0, 1]))).toMatchObject({ type: "fail" });
      expect(await invoke(connection, registerOp("write", 1, 3))).toEqual({ type: "ok", node: "n1" });
      expect(await invoke(connection, registerOp("read", 1))).toMatchObject({ type: "ok", value: 3 });
      expect(await invoke(connection, registerOp("cas", 1, [3, 4]))).toEqual({ type: "ok", node: "n1" });
      const mismatch = await invoke(connection, registerOp("cas", 1, [3, 0]));
      expect(mismatch).toMatchObject({ type: "fail", error: expect.stringMatching(/compare failed/) });
      expect(await invoke(connection, registerOp("read", 1))).toMatchObject({ type: "ok", value: 4 });
      // An op the client cannot express is never sent.
      expect(await invoke(connection, registerOp("write", 1, "four"))).toMatchObject({ type: "fail" });
    } finally {
      await connection.close();
    }
  });

  test("keys are namespaced per client: another client (another run) sees its own registers", async () => {
    const first = etcdClient();
    const second = etcdClient();
    expect(first.keyPrefix).not.toBe(second.keyPrefix);
    const a = await open(first, 1);
    const b = await open(second, 2);
    try {
      expect(await invoke(a, registerOp("write", 7, 1))).toMatchObject({ type: "ok", node: "n2" });
      expect(await invoke(b, registerOp("read", 7))).toMatchObject({ type: "ok", value: null, node: "n3" });
      expect(await invoke(a, registerOp("read", 7))).toMatchObject({ type: "ok", value: 1 });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test("without quorum a serializable read answers (maybe stale); a linearizable one hangs until aborted", async () => {
    const keyPrefix = "crucible/quorum-test/";
    const writer = await open(etcdClient({ keyPrefix }));
    const serializable = await open(etcdClient({ keyPrefix, readConsistency: "serializable" }));
    const linearizable = await open(etcdClient({ keyPrefix }));
    const strict = await open(etcdClient({ keyPrefix, failUnknownReads: false }));
    try {
      expect(await invoke(writer, registerOp("write", 2, 2))).toMatchObject({ type: "ok" });
      // Every member has applied the write before we cut n1 off (a linearizable read on each).
      for (const index of [1, 2]) {
        const peer = await open(etcdClient({ keyPrefix }), index);
        expect(await invoke(peer, registerOp("read", 2))).toMatchObject({ type: "ok", value: 2 });
        await peer.close();
      }
      await cluster.node(1).pause();
      await cluster.node(2).pause();
      try {
        expect(await invoke(serializable, registerOp("read", 2), 3_000)).toEqual({
          type: "ok",
          value: 2,
          node: "n1",
        });
        // An unknown read is a fail by default (it changed nothing), info when asked.
        const read = await invoke(linearizable, registerOp("read", 2), 700);
        expect(read).toMatchObject({ type: "fail", error: expect.stringMatching(/aborted: timeout/) });
        expect(await invoke(strict, registerOp("read", 2), 700)).toMatchObject({ type: "info" });
        // A write that may have been proposed is unknown: info, never fail.
        const write = await invoke(writer, registerOp("write", 3, 1), 700);
        expect(write).toMatchObject({ type: "info", node: "n1", error: expect.stringMatching(/aborted/) });
        const cas = await invoke(writer, registerOp("cas", 2, [2, 3]), 700);
        expect(cas).toMatchObject({ type: "info" });
      } finally {
        await cluster.node(1).resume();
        await cluster.node(2).resume();
      }
      // The same connection works again once quorum is back.
      expect(await invoke(writer, registerOp("write", 4, 4), 10_000)).toMatchObject({ type: "ok" });
    } finally {
      await Promise.all([writer, serializable, linearizable, strict].map((c) => c.close()));
    }
  }, 30_000);

  test("a refused connection is a fail (nothing was sent); the connection recovers after a restart", async () => {
    const node = cluster.node(2);
    const connection = await open(etcdClient(), 2);
    try {
      expect(await invoke(connection, registerOp("write", 5, 1))).toMatchObject({ type: "ok", node: "n3" });
      await node.kill();
      // If the kept-alive socket's close is not processed yet, the first write goes out on it and
      // meets a reset: unknown (info). Once the socket is gone, connects are refused: a certain fail.
      const first = await invoke(connection, registerOp("write", 5, 2));
      expect(first.type === "info" || /ECONNREFUSED/.test(first.error ?? "")).toBe(true);
      const write = await invoke(connection, registerOp("write", 5, 2));
      expect(write).toMatchObject({ type: "fail", error: expect.stringMatching(/ECONNREFUSED/) });
      expect(await invoke(connection, registerOp("read", 5))).toMatchObject({ type: "fail" });
      await node.start();
      const read = await invoke(connection, registerOp("read", 5), 10_000);
      // 1, or 2 if the unknown first write did reach the server before it died.
      expect(read).toMatchObject({ type: "ok" });
      expect([1, 2]).toContain(read.value);
    } finally {
      await connection.close();
      await node.start();
    }
  }, 30_000);
});

test("end to end: the register test against 3-member etcd with kill and pause faults is valid", async () => {
  // Seed 4's schedule: pause n1, kill n2, kill n3 (one fault every 1.5 s, each healed 1.5 s later).
  const options = e2eOptions({ seed: 4, extra: { target: "etcd" } });
  try {
    const outcome = await runTest({ definition: registerTest, options, writeReports: false });
    expect(outcome.test.name).toBe("etcd-register");
    expect(outcome.results.error).toBeUndefined();
    expect(outcome.results.stats.byType.ok).toBeGreaterThan(100);
    // The faults did happen: the nemesis journaled them, and ops timed out or were refused around them.
    expect(faultsIn(outcome.runDir)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^(kill|pause)$/)]),
    );
    expect(outcome.results.stats.byType.info).toBeGreaterThan(0);
    expect(outcome.results.valid).toBe(true);
  } finally {
    rmSync(options.storeDir, { recursive: true, force: true });
  }
}, 45_000);
