/**
 * The generic binary recipe and the fixture's machinery, over a tiny real
 * HTTP server (fixtures/server.mjs) that starts a grandchild `sleep`.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  binary,
  ClusterStartError,
  httpProbe,
  type LocalCluster,
  type NodeSpec,
  startCluster,
  startServer,
  tcpProbe,
} from "../../src/cluster/index.js";

const serverPath = fileURLToPath(new URL("./fixtures/server.mjs", import.meta.url));
const quiet = { log: () => {} };

interface Info {
  pid: number;
  args: string[];
  value: string | null;
  grandchild: number;
  cwd: string;
}

async function info(url: string, timeoutMs = 3_000): Promise<Info> {
  return (await (await fetch(`${url}/info`, { signal: AbortSignal.timeout(timeoutMs) })).json()) as Info;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
}

async function waitGone(pid: number, withinMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

const server = (extra: (node: NodeSpec) => string[] = () => []) =>
  binary({
    name: "toy",
    command: process.execPath,
    args: (node) => [serverPath, "--port", String(node.port), ...extra(node)],
    ready: (node) => httpProbe({ url: `http://${node.host}:${node.port}/info` }),
    variants: [
      { name: "plain" },
      { name: "flagged", args: ["--flagged"] },
      { name: "env", env: { TOY_VARIANT: "1" } },
    ],
  });

describe("a 3-node cluster of a generic binary", () => {
  let cluster: LocalCluster;
  beforeAll(async () => {
    cluster = await startCluster(server(), 3, {
      ...quiet,
      seed: 11,
      env: (node) => ({ CRUCIBLE_TEST_VALUE: `value-of-${node.name}` }),
      args: ["--extra", "yes"],
    });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  test("nodes have distinct ports, their own dirs (0700), env overrides and extra args", async () => {
    expect(new Set(cluster.nodes.map((node) => node.port)).size).toBe(3);
    expect(statSync(cluster.runDir).mode & 0o777).toBe(0o700);
    expect(cluster.runDir.startsWith("/dev/shm/")).toBe(true);
    for (const node of cluster.nodes) {
      const answer = await info(node.url);
      expect(answer.pid).toBe(node.pid);
      expect(answer.value).toBe(`value-of-${node.name}`);
      expect(answer.args.slice(-2)).toEqual(["--extra", "yes"]);
      expect(statSync(node.dataDir).mode & 0o777).toBe(0o700);
      expect(answer.cwd).toBe(join(cluster.runDir, node.name));
      expect(await node.logs()).toContain(`READY ${node.port}`);
    }
  });

  test("kill signals the process group: the grandchild dies too; start reuses the port", async () => {
    const node = cluster.node(1);
    const before = await info(node.url);
    await node.kill();
    expect(node.isRunning()).toBe(false);
    expect(node.pid).toBeUndefined();
    expect(await waitGone(before.pid)).toBe(true);
    expect(await waitGone(before.grandchild)).toBe(true);
    await node.start();
    const after = await info(node.url);
    expect(after.pid).not.toBe(before.pid);
    expect(node.url).toBe(`http://127.0.0.1:${node.port}`);
  });

  test("pause stops answering, resume answers again", async () => {
    const node = cluster.node(2);
    await node.pause();
    try {
      await expect(info(node.url, 300)).rejects.toThrow();
    } finally {
      await node.resume();
    }
    expect((await info(node.url)).pid).toBe(node.pid);
  });

  test("stop is graceful and restart comes back on the same port", async () => {
    const node = cluster.node(0);
    const port = node.port;
    await node.restart();
    expect(node.isRunning()).toBe(true);
    expect((await info(node.url)).pid).toBe(node.pid);
    expect(node.port).toBe(port);
  });
});

test("the variant is a seeded choice, replayable by name", async () => {
  const variants: (string | undefined)[] = [];
  for (const seed of [5, 5, 6, 7, 8]) {
    await using c = await startServer(server(), { ...quiet, seed });
    variants.push(c.variant);
  }
  expect(variants[0]).toBe(variants[1]);
  expect(variants.every((name) => ["plain", "flagged", "env"].includes(name!))).toBe(true);
  await using forced = await startServer(server(), { ...quiet, variant: "flagged" });
  expect(forced.variant).toBe("flagged");
  expect((await info(forced.url)).args).toContain("--flagged");
  const printed: string[] = [];
  await using logged = await startServer(server(), { seed: 9, log: (line) => printed.push(line) });
  expect(printed.join("\n")).toContain(`variant "${logged.variant}" (seed 9`);
});

test("a node that exits during startup fails the start with the last 50 lines of its log", async () => {
  const error = await startCluster(
    server(() => ["--exit-now"]),
    1,
    { ...quiet, variant: "plain" },
  ).catch((e) => e);
  expect(error).toBeInstanceOf(ClusterStartError);
  const message = (error as ClusterStartError).message;
  expect(message).toMatch(/n1 \(toy, pid \d+\): exited during startup \(exit code 3\)/);
  expect(message).toContain("fatal: cannot start (on purpose)");
  expect(message).toContain("startup line 60");
  expect(message).toContain("startup line 12");
  expect(message).not.toContain("startup line 11\n");
});

test("a node never ready fails after the readiness timeout and is killed", async () => {
  const neverReady = binary({
    name: "sleeper",
    command: "sleep",
    args: () => ["30"],
    ready: (node) => tcpProbe({ host: node.host, port: node.port }),
  });
  const error = await startCluster(neverReady, 1, { ...quiet, readyTimeoutMs: 300 }).catch((e) => e);
  expect(error).toBeInstanceOf(ClusterStartError);
  expect((error as Error).message).toMatch(/not ready after 300 ms/);
  const pid = Number(/pid (\d+)/.exec((error as Error).message)?.[1]);
  expect(await waitGone(pid)).toBe(true);
});

test("a port taken between choice and bind is retried with fresh ports", async () => {
  const markerDir = mkdtempSync(join(tmpdir(), "crucible-marker-"));
  try {
    const marker = join(markerDir, "first-attempt-done");
    await using c = await startServer(
      server(() => ["--fail-first", marker]),
      { ...quiet, variant: "plain" },
    );
    expect(existsSync(marker)).toBe(true);
    expect((await info(c.url)).pid).toBe(c.pid);
  } finally {
    rmSync(markerDir, { recursive: true, force: true });
  }
});

test("temp dirs: removed on stop, kept with keep or markFailed, on disk when asked, logs in logDir", async () => {
  const removed = await startServer(server(), { ...quiet, variant: "plain" });
  await removed.close();
  expect(existsSync(removed.cluster.runDir)).toBe(false);
  expect(removed.isRunning()).toBe(false);

  const logDir = mkdtempSync(join(tmpdir(), "crucible-logs-"));
  try {
    const kept = await startCluster(server(), 1, {
      ...quiet,
      variant: "plain",
      keep: true,
      storage: "disk",
      logDir,
    });
    await kept.stop();
    expect(kept.runDir.startsWith(tmpdir())).toBe(true);
    expect(existsSync(kept.node(0).dataDir)).toBe(true);
    expect(readFileSync(join(logDir, "n1.log"), "utf8")).toContain("READY");
    rmSync(kept.runDir, { recursive: true, force: true });

    const failed = await startCluster(server(), 1, { ...quiet, variant: "plain" });
    expect(failed.logTails(5)).toMatch(/--- n1 \(toy\) \S+n1\.log:\n[\s\S]*READY \d+/);
    failed.markFailed("the test failed");
    await failed.stop();
    await failed.stop(); // idempotent
    expect(existsSync(failed.runDir)).toBe(true);
    rmSync(failed.runDir, { recursive: true, force: true });
  } finally {
    rmSync(logDir, { recursive: true, force: true });
  }
});
