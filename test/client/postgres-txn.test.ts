/**
 * The PostgreSQL transaction clients against a real PostgreSQL 15: the op
 * shapes of list-append and rw-register, a serialization failure as `fail`,
 * a COMMIT cut off as `info`, and the bank workload's naive transfer caught
 * by the bank checker at read committed and passing at serializable.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { bank } from "../../src/checker/bank.js";
import {
  type PostgresTxnClient,
  postgresBankClient,
  postgresListAppendClient,
  postgresRwRegisterClient,
} from "../../src/client/postgres-txn.js";
import type { ClientConnection, ClientOpenContext } from "../../src/client/types.js";
import { type ServerHandle, startServer } from "../../src/cluster/fixture.js";
import { postgres } from "../../src/cluster/recipes/postgres.js";
import type { Op } from "../../src/history/op.js";
import { Random } from "../../src/random/random.js";
import { invoke, neverAborted } from "./helpers.js";

const txn = (value: unknown[]): Op => ({ index: 0, time: 0, type: "invoke", process: 0, f: "txn", value });

describe("PostgreSQL transaction clients", () => {
  let server: ServerHandle;
  beforeAll(async () => {
    server = await startServer(postgres(), { seed: 7, variant: "durable", log: () => {} });
  }, 90_000);
  afterAll(async () => {
    await server?.close();
  }, 30_000);

  const context = (worker = 0): ClientOpenContext => ({
    cluster: server.cluster,
    node: server.cluster.node(0),
    worker,
    signal: neverAborted(),
  });

  async function opened(client: PostgresTxnClient): Promise<ClientConnection> {
    await client.setup!(context());
    return client.open(context());
  }

  test("list-append: appends concatenate, reads return the whole list ([] for a missing key)", async () => {
    const connection = await opened(postgresListAppendClient());
    try {
      expect(
        await invoke(
          connection,
          txn([
            ["r", 1, null],
            ["append", 1, 1],
            ["append", 1, 2],
            ["r", 1, null],
          ]),
        ),
      ).toEqual({
        type: "ok",
        node: "n1",
        value: [
          ["r", 1, []],
          ["append", 1, 1],
          ["append", 1, 2],
          ["r", 1, [1, 2]],
        ],
      });
      expect(await invoke(connection, txn([["append", "x", 1]]))).toMatchObject({
        type: "fail",
        error: expect.stringContaining("integer keys"),
      });
    } finally {
      await connection.close();
    }
  });

  test("rw-register: writes and reads (null for a missing key)", async () => {
    const connection = await opened(postgresRwRegisterClient({ isolation: "repeatable read" }));
    try {
      expect(
        await invoke(
          connection,
          txn([
            ["r", 3, null],
            ["w", 3, 7],
            ["r", 3, null],
          ]),
        ),
      ).toMatchObject({
        type: "ok",
        value: [
          ["r", 3, null],
          ["w", 3, 7],
          ["r", 3, 7],
        ],
      });
    } finally {
      await connection.close();
    }
  });

  test("a serialization failure (write skew under SERIALIZABLE) is a fail", async () => {
    let inner: (() => Promise<unknown>) | undefined;
    const client = postgresListAppendClient({
      beforeCommit: async () => {
        const run = inner;
        inner = undefined;
        await run?.();
      },
    });
    const a = await opened(client);
    const b = await client.open(context(1));
    try {
      expect(await invoke(a, txn([["append", 1, 1]]))).toMatchObject({ type: "ok" });
      expect(await invoke(a, txn([["append", 2, 1]]))).toMatchObject({ type: "ok" });
      // A reads 1 and writes 2; before A commits, B reads 2 and writes 1, and commits.
      let bDone: unknown;
      inner = async () => {
        bDone = await invoke(
          b,
          txn([
            ["r", 2, null],
            ["append", 1, 3],
          ]),
        );
      };
      const aDone = await invoke(
        a,
        txn([
          ["r", 1, null],
          ["append", 2, 2],
        ]),
      );
      const outcomes = [aDone, bDone] as { type: string; error?: string }[];
      expect(outcomes.map((o) => o.type).sort()).toEqual(["fail", "ok"]);
      expect(outcomes.find((o) => o.type === "fail")!.error).toMatch(/40001/);
    } finally {
      await a.close();
      await b.close();
    }
  }, 30_000);

  test("a COMMIT sent to a paused server is info; a stall before COMMIT is fail", async () => {
    const node = server.cluster.node(0);
    let pauseAt: Op | undefined;
    const client = postgresRwRegisterClient({
      beforeCommit: async (op) => {
        if (op === pauseAt) node.pause();
      },
    });
    const connection = await opened(client);
    try {
      pauseAt = txn([["w", 5, 1]]);
      const cut = await invoke(connection, pauseAt, 800);
      expect(cut).toMatchObject({ type: "info", error: expect.stringMatching(/during COMMIT/) });
      node.resume();
      node.pause();
      const stalled = await invoke(connection, txn([["w", 5, 2]]), 500);
      expect(stalled).toMatchObject({ type: "fail" });
    } finally {
      node.resume();
      await connection.close();
    }
  }, 30_000);

  /** Run the bank workload with `workers` connections for `durationMs`; returns the history. */
  async function runBank(isolation: "read committed" | "serializable", durationMs: number): Promise<Op[]> {
    const client = postgresBankClient({ isolation, accounts: 5, initialBalance: 10 });
    await client.setup!(context());
    const history: Op[] = [];
    const random = new Random(42);
    const deadline = Date.now() + durationMs;
    const worker = async (process: number): Promise<void> => {
      const connection = await client.open(context(process));
      try {
        while (Date.now() < deadline) {
          const from = random.int(0, 4);
          const value =
            random.float() < 0.5
              ? null
              : { from, to: (from + random.int(1, 4)) % 5, amount: random.int(1, 5) };
          const f = value === null ? "read" : "transfer";
          const op: Op = { index: history.length, time: 0, type: "invoke", process, f, value };
          history.push(op);
          const done = await invoke(connection, op);
          history.push({ ...op, index: history.length, ...done });
        }
      } finally {
        await connection.close();
      }
    };
    await Promise.all([0, 1, 2, 3, 4].map(worker));
    return history;
  }

  test("bank: the read-then-write transfer at read committed loses money, and the checker says so", async () => {
    const history = await runBank("read committed", 3_000);
    const result = await bank({ totalAmount: 50, accounts: [0, 1, 2, 3, 4] }).check(history, {});
    expect(result.valid).toBe(false);
    expect(result.explanation).toMatch(/wrong-total|negative-value/);
  }, 30_000);

  test("bank: the same transfer at serializable keeps the total", async () => {
    const history = await runBank("serializable", 2_000);
    const result = await bank({ totalAmount: 50, accounts: [0, 1, 2, 3, 4] }).check(history, {});
    expect(result.valid).toBe(true);
    expect(result.readCount as number).toBeGreaterThan(10);
    expect(history.some((op) => op.f === "transfer" && op.type === "ok")).toBe(true);
  }, 30_000);
});
