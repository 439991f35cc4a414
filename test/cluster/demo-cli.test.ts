/** `crucible demo`: prints how to reach each node, stops everything on SIGINT. */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";
import { clientCommand, runDemo } from "../../src/cli/demo.js";
import type { LocalCluster } from "../../src/cluster/index.js";

const cliPath = fileURLToPath(new URL("./fixtures/demo-cli.ts", import.meta.url));

function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

test("crucible demo --target redis -n 2: addresses, dirs, logs, client commands; SIGINT stops it all", async () => {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", cliPath, "demo", "--target", "redis", "--nodes", "2"],
    {
      stdio: ["ignore", "pipe", "pipe"],
      cwd: fileURLToPath(new URL("../..", import.meta.url)),
    },
  );
  try {
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no banner in 30 s:\n${stdout}\n${stderr}`)), 30_000);
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes("Press Ctrl-C")) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    expect(stdout).toMatch(/n1 {2}redis:\/\/127\.0\.0\.1:\d+ {2}pid \d+ {2}primary/);
    expect(stdout).toMatch(/try {3}redis-cli -h 127\.0\.0\.1 -p \d+/);
    expect(stdout).toMatch(/data {2}\/\S+\/n2\/data/);
    expect(stdout).toMatch(/log {3}\/\S+\/n1\.log/);
    const pids = [...stdout.matchAll(/pid (\d+)/g)].map((match) => Number(match[1]));
    expect(pids).toHaveLength(2);
    child.kill("SIGINT");
    expect(await exited).toBe(0);
    expect(stdout).toContain("crucible demo: stopped");
    expect(pids.filter((pid) => !isGone(pid))).toEqual([]);
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
  }
});

test("runDemo with an abort signal: the etcd command names every endpoint; --keep keeps the dir", async () => {
  const lines: string[] = [];
  const controller = new AbortController();
  let cluster: LocalCluster | undefined;
  await runDemo({
    target: "etcd",
    nodes: 1,
    keep: true,
    seed: 4,
    out: (line) => lines.push(line),
    signal: controller.signal,
    onReady: (started) => {
      cluster = started;
      controller.abort();
    },
  });
  expect(cluster).toBeDefined();
  const text = lines.join("\n");
  expect(text).toContain(clientCommand("etcd", cluster!.node(0), cluster!));
  expect(text).toContain(`--endpoints=${cluster!.clientUrls[0]}`);
  expect(existsSync(cluster!.runDir)).toBe(true);
  const { rmSync } = await import("node:fs");
  rmSync(cluster!.runDir, { recursive: true, force: true });
});
