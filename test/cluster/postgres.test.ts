/** Real PostgreSQL (Debian postgresql): initdb in a temp dir, a query, restart keeps data. */
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { promisify } from "node:util";
import { expect, test } from "vitest";
import { postgres, type ServerHandle, startServer } from "../../src/cluster/index.js";

const run = promisify(execFile);

async function psql(port: number, sql: string): Promise<string> {
  const { stdout } = await run(
    "psql",
    ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-At", "-c", sql],
    {
      timeout: 15_000,
      env: { ...process.env, PGCONNECT_TIMEOUT: "5" },
    },
  );
  return stdout.trim();
}

/** PostgreSQL's SysV segments owned by `postgres` (ipcs -m), to check teardown frees them. */
async function sysvSegments(): Promise<string[]> {
  const { stdout } = await run("ipcs", ["-m"], { timeout: 5_000 });
  return stdout
    .split("\n")
    .filter((line) => /\spostgres\s/.test(line))
    .map((line) => line.split(/\s+/)[1]!);
}

test("a query works, node.pid is the postmaster, restart keeps data; teardown leaks no shared memory", async () => {
  const segmentsBefore = new Set(await sysvSegments());
  const shmBefore = new Set(readdirSync("/dev/shm"));
  const server = await startServer(postgres(), { seed: 3, log: () => {} });
  try {
    await useServer(server);
  } finally {
    await server.close();
  }
  expect((await sysvSegments()).filter((id) => !segmentsBefore.has(id))).toEqual([]);
  expect(
    readdirSync("/dev/shm").filter((name) => name.startsWith("PostgreSQL.") && !shmBefore.has(name)),
  ).toEqual([]);
});

async function useServer(server: ServerHandle): Promise<void> {
  expect(server.url).toBe(`postgres://postgres@127.0.0.1:${server.port}/postgres`);
  expect(readFileSync(`/proc/${server.pid}/comm`, "utf8").trim()).toBe("postgres");
  expect(await psql(server.port, "select 40 + 2")).toBe("42");
  await psql(server.port, "create table t (v text); insert into t values ('kept')");

  await server.restart();
  expect(await psql(server.port, "select v from t")).toBe("kept");

  // A SIGKILLed postmaster is reaped, so a quick start does not trip over postmaster.pid.
  await server.kill();
  await server.start();
  expect(await psql(server.port, "select count(*) from t")).toBe("1");
}

test("more than one node is refused with a sentence", async () => {
  const { startCluster } = await import("../../src/cluster/index.js");
  await expect(startCluster(postgres(), 2, { log: () => {} })).rejects.toThrow(/1 node/);
});
