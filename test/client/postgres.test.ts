/**
 * The PostgreSQL client against a real PostgreSQL 15 (Debian postgresql):
 * the table `setup()` makes, register semantics in SERIALIZABLE
 * transactions, and how an interrupted op is classified by where it stopped:
 * before COMMIT (certainly not committed: fail) or during it (info).
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { postgresClient } from "../../src/client/postgres.js";
import type { ClientOpenContext } from "../../src/client/types.js";
import { type ServerHandle, startServer } from "../../src/cluster/fixture.js";
import { postgres } from "../../src/cluster/recipes/postgres.js";
import type { Op } from "../../src/history/op.js";
import { invoke, neverAborted, registerOp } from "./helpers.js";

describe("against PostgreSQL", () => {
  let server: ServerHandle;
  beforeAll(async () => {
    server = await startServer(postgres(), { seed: 5, variant: "durable", log: () => {} });
  }, 90_000);
  afterAll(async () => {
    await server?.close();
  }, 30_000);

  const context = (): ClientOpenContext => ({
    cluster: server.cluster,
    node: server.cluster.node(0),
    worker: 0,
    signal: neverAborted(),
  });

  /** One query on a fresh connection: what the table really holds. */
  async function query(text: string): Promise<pg.QueryResult> {
    const client = new pg.Client({
      host: server.host,
      port: server.port,
      user: "postgres",
      database: "postgres",
    });
    await client.connect();
    try {
      return await client.query(text);
    } finally {
      await client.end();
    }
  }

  test("setup makes the table; read, write, cas work; a mismatched cas fails and changes nothing", async () => {
    const client = postgresClient();
    await client.setup!(context());
    const columns = await query(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = '${client.table}' ORDER BY ordinal_position`,
    );
    expect(columns.rows).toEqual([
      { column_name: "key", data_type: "integer" },
      { column_name: "value", data_type: "integer" },
    ]);
    const connection = await client.open(context());
    try {
      expect(await invoke(connection, registerOp("read", 1))).toEqual({
        type: "ok",
        value: null,
        node: "n1",
      });
      expect(await invoke(connection, registerOp("cas", 1, [0, 1]))).toMatchObject({ type: "fail" });
      expect(await invoke(connection, registerOp("write", 1, 3))).toEqual({ type: "ok", node: "n1" });
      expect(await invoke(connection, registerOp("write", 1, 2))).toEqual({ type: "ok", node: "n1" });
      expect(await invoke(connection, registerOp("read", 1))).toMatchObject({ type: "ok", value: 2 });
      expect(await invoke(connection, registerOp("cas", 1, [2, 4]))).toEqual({ type: "ok", node: "n1" });
      const mismatch = await invoke(connection, registerOp("cas", 1, [2, 0]));
      expect(mismatch).toMatchObject({ type: "fail", error: expect.stringMatching(/compare failed/) });
      expect((await query(`SELECT key, value FROM ${client.table}`)).rows).toEqual([{ key: 1, value: 4 }]);
    } finally {
      await connection.close();
    }
  });

  test("paused before COMMIT: the op is a certain fail; paused during COMMIT: info", async () => {
    const node = server.cluster.node(0);
    // node.pause() reaches the backends too, though each is a session leader of its own (setsid).
    const pause = () => node.pause();
    const resume = () => node.resume();
    let pauseBeforeCommit: Op | undefined;
    const client = postgresClient({
      failUnknownReads: false,
      beforeCommit: async (op) => {
        if (op === pauseBeforeCommit) pause();
      },
    });
    await client.setup!(context());
    const connection = await client.open(context());
    try {
      expect(await invoke(connection, registerOp("write", 1, 1))).toMatchObject({ type: "ok" });
      // Paused while idle: BEGIN hangs, the abort comes before COMMIT was ever sent.
      pause();
      try {
        const write = await invoke(connection, registerOp("write", 1, 2), 500);
        expect(write).toMatchObject({ type: "fail", error: expect.stringMatching(/aborted: timeout/) });
      } finally {
        resume();
      }
      // The server rolled the open transaction back when the connection went: still 1.
      expect(await invoke(connection, registerOp("read", 1))).toMatchObject({ type: "ok", value: 1 });

      // Paused just before COMMIT goes out: the COMMIT is sent to a stopped server, and may or may not apply.
      pauseBeforeCommit = registerOp("cas", 1, [1, 3]);
      try {
        const cas = await invoke(connection, pauseBeforeCommit, 800);
        expect(cas).toMatchObject({ type: "info", error: expect.stringMatching(/during COMMIT/) });
      } finally {
        resume();
      }
      const after = await query(`SELECT value FROM ${client.table} WHERE key = 1`);
      expect([1, 3]).toContain(after.rows[0]?.value);
    } finally {
      await connection.close();
      resume();
    }
  }, 30_000);

  test("a refused connection is a fail; the connection recovers after a restart", async () => {
    const client = postgresClient();
    await client.setup!(context());
    const connection = await client.open(context());
    const node = server.cluster.node(0);
    try {
      expect(await invoke(connection, registerOp("write", 9, 9))).toMatchObject({ type: "ok" });
      await node.kill();
      // The first op may still meet the dying backend ("terminating connection due to unexpected
      // postmaster exit"): also a fail, as no COMMIT went out. Then connects are refused.
      const errors: string[] = [];
      for (const op of [registerOp("write", 9, 1), registerOp("cas", 9, [9, 1]), registerOp("read", 9)]) {
        const completion = await invoke(connection, op);
        expect(completion).toMatchObject({ type: "fail" });
        errors.push(completion.error ?? "");
      }
      expect(errors.at(-1)).toMatch(/ECONNREFUSED/);
      await node.start();
      expect(await invoke(connection, registerOp("read", 9), 10_000)).toMatchObject({ type: "ok", value: 9 });
    } finally {
      await connection.close();
      await node.start();
    }
  }, 60_000);
});
