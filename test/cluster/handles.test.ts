/**
 * Server handles with ready connections (CockroachDB's TestServer
 * `SQLConn()`), with and without TLS, against real PostgreSQL, etcd and
 * Redis: the connection works, TLS is really on (a plain client is refused or
 * sees no TLS), and every connection is closed with the server.
 */
import { readFileSync } from "node:fs";
import { connect as netConnect } from "node:net";
import { describe, expect, it } from "vitest";
import {
  EtcdKv,
  etcd,
  type NodeTls,
  postgres,
  RespConnection,
  RespError,
  redis,
  startCluster,
  startServer,
} from "../../src/cluster/index.js";
import { UsageError } from "../../src/errors/index.js";

const quiet = { log: () => {} };

describe.each([false, true])("server handles (tls %s)", (tls) => {
  it("PostgreSQL: sqlConn() gives a connected pg client, closed with the server", {
    timeout: 60_000,
  }, async () => {
    const server = await startServer(postgres(), { ...quiet, tls, seed: 1 });
    try {
      const sql = await server.sqlConn();
      const { rows } = await sql.query<{ answer: number; ssl: boolean }>(
        "SELECT 42 AS answer, coalesce((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false) AS ssl",
      );
      expect(rows[0]).toEqual({ answer: 42, ssl: tls });
      let ended = false;
      sql.on("end", () => {
        ended = true;
      });
      await server.close();
      expect(ended).toBe(true);
    } finally {
      await server.close();
    }
  });

  it("etcd: client() gives a key-value client", { timeout: 60_000 }, async () => {
    await using server = await startServer(etcd(), { ...quiet, tls, seed: 1 });
    expect(server.url.startsWith(tls ? "https://" : "http://")).toBe(true);
    const kv = await server.client();
    await kv.put("crucible/a", "1");
    await kv.put("crucible/b", "two words");
    await kv.put("other", "x");
    expect(await kv.get("crucible/a")).toBe("1");
    expect(await kv.get("missing")).toBeUndefined();
    expect(await kv.range("crucible/")).toEqual([
      { key: "crucible/a", value: "1" },
      { key: "crucible/b", value: "two words" },
    ]);
    expect(await kv.delete("crucible/a")).toBe(1);
    await expect(server.sqlConn()).rejects.toThrow(UsageError);
  });

  it("Redis: client() gives a RESP connection", { timeout: 60_000 }, async () => {
    await using server = await startServer(redis(), { ...quiet, tls, seed: 1 });
    expect(server.url.startsWith(tls ? "rediss://" : "redis://")).toBe(true);
    const conn = await server.client();
    expect(await conn.command(["SET", "k", "v"])).toBe("OK");
    expect(await conn.command(["GET", "k"])).toBe("v");
    expect(await conn.command(["NOPE"])).toBeInstanceOf(RespError);
  });
});

describe("TLS clusters", () => {
  it("a 3-member etcd talks TLS between members too", { timeout: 90_000 }, async () => {
    await using cluster = await startCluster(etcd(), 3, { ...quiet, tls: true, seed: 2 });
    const leader = await cluster.leader?.();
    expect(leader).toBeDefined();
    const [first, , third] = cluster.nodes;
    const a = EtcdKv.of(first!);
    const c = EtcdKv.of(third!);
    try {
      await a.put("k", "from n1");
      expect(await c.get("k")).toBe("from n1");
    } finally {
      await a.close();
      await c.close();
    }
    expect(
      cluster.nodes.every(
        (node) => node.meta.peerUrl !== undefined && String(node.meta.peerUrl).startsWith("https://"),
      ),
    ).toBe(true);
  });

  it("a Redis replica replicates from its primary over TLS", { timeout: 90_000 }, async () => {
    await using cluster = await startCluster(redis(), 2, { ...quiet, tls: true, seed: 2 });
    const [primary, replica] = cluster.nodes;
    const tls = { ca: readFileSync((primary!.meta.tls as NodeTls).caFile) };
    const p = await RespConnection.connect({ host: primary!.host, port: primary!.port, tls });
    const r = await RespConnection.connect({ host: replica!.host, port: replica!.port, tls });
    try {
      await p.command(["SET", "x", "1"]);
      await p.command(["WAIT", "1", "5000"]);
      expect(await r.command(["GET", "x"])).toBe("1");
    } finally {
      p.close();
      r.close();
    }
  });
});

describe("TLS is really on", () => {
  it("a Redis server with TLS does not answer plain RESP", { timeout: 60_000 }, async () => {
    await using server = await startServer(redis(), { ...quiet, tls: true, seed: 1 });
    const answer = await new Promise<string>((resolve) => {
      const socket = netConnect({ host: server.host, port: server.port });
      let text = "";
      socket.on("data", (chunk) => {
        text += String(chunk);
      });
      socket.on("close", () => resolve(text));
      socket.on("error", () => resolve(text));
      socket.write("PING\r\n");
      setTimeout(() => socket.destroy(), 1_000);
    });
    expect(answer).not.toContain("PONG");
  });

  it("a recipe without TLS support refuses tls: true", async () => {
    const { demo } = await import("../../src/cluster/index.js");
    await expect(startServer(demo(), { ...quiet, tls: true })).rejects.toThrow(
      /cannot start its servers with TLS/,
    );
  });
});
