/**
 * The etcd multi-key read-write-register client against a real etcd: one
 * transaction per op, reads filled in, a duplicate put refused as a fail,
 * and a stopped member's refused connection as a fail.
 */
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { etcdRwRegisterClient } from "../../src/client/etcd-txn.js";
import type { ClientConnection } from "../../src/client/types.js";
import { type LocalCluster, startCluster } from "../../src/cluster/fixture.js";
import { etcd } from "../../src/cluster/recipes/etcd.js";
import type { Op } from "../../src/history/op.js";
import { readHistoryFile } from "../../src/history/reader.js";
import { runTest } from "../../src/runner/run-test.js";
import txnWorkloads from "../../src/tests/txn-workloads.js";
import { e2eOptions, invoke, neverAborted } from "./helpers.js";

const txn = (value: unknown[]): Op => ({ index: 0, time: 0, type: "invoke", process: 0, f: "txn", value });

describe("etcd rw-register transactions", () => {
  let cluster: LocalCluster;
  beforeAll(async () => {
    cluster = await startCluster(etcd(), 1, { seed: 13, log: () => {} });
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 30_000);

  const open = (client = etcdRwRegisterClient()): Promise<ClientConnection> =>
    client.open({ cluster, node: cluster.node(0), worker: 0, signal: neverAborted() });

  test("writes and reads of several keys in one transaction", async () => {
    const connection = await open();
    try {
      expect(
        await invoke(
          connection,
          txn([
            ["r", 1, null],
            ["w", 1, 5],
            ["w", 2, 6],
          ]),
        ),
      ).toEqual({
        type: "ok",
        node: "n1",
        value: [
          ["r", 1, null],
          ["w", 1, 5],
          ["w", 2, 6],
        ],
      });
      expect(
        await invoke(
          connection,
          txn([
            ["r", 1, null],
            ["r", 2, null],
            ["r", 3, null],
          ]),
        ),
      ).toMatchObject({
        type: "ok",
        value: [
          ["r", 1, 5],
          ["r", 2, 6],
          ["r", 3, null],
        ],
      });
    } finally {
      await connection.close();
    }
  });

  test("a transaction putting one key twice is refused: fail, nothing written", async () => {
    const connection = await open();
    try {
      const twice = await invoke(
        connection,
        txn([
          ["w", 7, 1],
          ["w", 7, 2],
        ]),
      );
      expect(twice).toMatchObject({ type: "fail", error: expect.stringMatching(/duplicate key/) });
      expect(await invoke(connection, txn([["r", 7, null]]))).toMatchObject({ value: [["r", 7, null]] });
      expect(await invoke(connection, txn([["append", 7, 1]]))).toMatchObject({ type: "fail" });
    } finally {
      await connection.close();
    }
  });

  test("a stopped member: the connection is refused, a fail", async () => {
    const connection = await open();
    const node = cluster.node(0);
    try {
      await node.kill();
      expect(await invoke(connection, txn([["w", 9, 1]]))).toMatchObject({ type: "fail" });
    } finally {
      await connection.close();
      await node.start();
    }
  }, 30_000);
});

test("crucible run --target etcd --workload rw-register: multi-key transactions through the runner", async () => {
  const options = e2eOptions({
    seed: 14,
    nodes: 3,
    timeLimitMs: 3_000,
    nemesis: [],
    extra: { target: "etcd", workload: "rw-register" },
  });
  try {
    const outcome = await runTest({ definition: txnWorkloads, options, writeReports: false });
    expect(outcome.test.name).toBe("etcd-rw-register");
    expect(outcome.results.error).toBeUndefined();
    const { ops } = await readHistoryFile(`${outcome.runDir}/history.jsonl`);
    const written = ops.filter(
      (op) =>
        op.type === "ok" &&
        (op.value as [string][]).some(([f]) => f === "w") &&
        (op.value as unknown[]).length > 1,
    );
    expect(written.length).toBeGreaterThan(5);
  } finally {
    rmSync(options.storeDir, { recursive: true, force: true });
  }
}, 60_000);
