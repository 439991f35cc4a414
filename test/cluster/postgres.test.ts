/** Real PostgreSQL (Debian postgresql): initdb in a temp dir, a query, restart keeps data. */
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
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

/**
 * SysV segments created by any of these postmasters (ipcs -m -p: shmid owner
 * cpid lpid), to check teardown frees them. By creator pid, because other
 * test files run PostgreSQL servers at the same time.
 */
async function sysvSegmentsCreatedBy(pids: ReadonlySet<number>): Promise<string[]> {
  const { stdout } = await run("ipcs", ["-m", "-p"], { timeout: 5_000 });
  return stdout
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields.length >= 4 && /^\d+$/.test(fields[0]!) && pids.has(Number(fields[2])))
    .map((fields) => fields[0]!);
}

test("a query works, node.pid is the postmaster, restart keeps data; teardown leaks no shared memory", async () => {
  const server = await startServer(postgres(), { seed: 3, log: () => {} });
  const postmasters = new Set<number>([server.pid!]);
  try {
    await useServer(server, postmasters);
  } finally {
    await server.close();
  }
  expect(await sysvSegmentsCreatedBy(postmasters)).toEqual([]);
  // Dynamic shared memory lives in the data dir (dynamic_shared_memory_type=mmap), removed with it.
  expect(existsSync(server.dataDir)).toBe(false);
});

async function useServer(server: ServerHandle, postmasters: Set<number>): Promise<void> {
  expect(server.url).toBe(`postgres://postgres@127.0.0.1:${server.port}/postgres`);
  expect(readFileSync(`/proc/${server.pid}/comm`, "utf8").trim()).toBe("postgres");
  expect(await psql(server.port, "select 40 + 2")).toBe("42");
  await psql(server.port, "create table t (v text); insert into t values ('kept')");

  await server.restart();
  postmasters.add(server.pid!);
  expect(await psql(server.port, "select v from t")).toBe("kept");

  // A SIGKILLed postmaster is reaped, so a quick start does not trip over postmaster.pid.
  await server.kill();
  await server.start();
  postmasters.add(server.pid!);
  expect(await psql(server.port, "select count(*) from t")).toBe("1");
}

test("more than one node is refused with a sentence", async () => {
  const { startCluster } = await import("../../src/cluster/index.js");
  await expect(startCluster(postgres(), 2, { log: () => {} })).rejects.toThrow(/1 node/);
});
