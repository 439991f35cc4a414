/** clusterSuite: one cluster per suite, logs printed and dir kept for a failed test, per-test key prefixes. */
import { existsSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { binary, clusterSuite, httpProbe, startCluster } from "../../src/cluster/index.js";

const serverPath = fileURLToPath(new URL("./fixtures/server.mjs", import.meta.url));
const printed: string[] = [];
let runDir = "";

describe("a suite sharing one cluster", () => {
  const suite = clusterSuite({
    start: () =>
      startCluster(
        binary({
          name: "toy",
          command: process.execPath,
          args: (node) => [serverPath, "--port", String(node.port)],
          ready: (node) => httpProbe({ url: `http://${node.host}:${node.port}/info` }),
        }),
        2,
        { log: () => {} },
      ),
    beforeAll,
    afterAll,
    print: (text) => printed.push(text),
  });

  test("the cluster is up inside tests; key prefixes differ per test", async () => {
    runDir = suite.cluster.runDir;
    expect(suite.cluster.nodes.every((node) => node.isRunning())).toBe(true);
    const first = suite.keyPrefix("Read your writes!");
    const second = suite.keyPrefix("Read your writes!");
    expect(first).toMatch(/^t\d+-read-your-writes\/$/);
    expect(second).not.toBe(first);
  });

  test("a failed test prints every node's log tail and keeps the dir", () => {
    suite.testFailed("pretend this failed");
    const text = printed.join("\n");
    expect(text).toContain('failed test "pretend this failed"');
    expect(text).toMatch(/--- n1 \(toy\)[\s\S]*READY[\s\S]*--- n2 \(toy\)/);
    expect(suite.cluster.kept).toBe(true);
  });
});

afterAll(() => {
  // The suite's afterAll stopped the cluster; the dir was kept because a test "failed".
  expect(existsSync(runDir)).toBe(true);
  rmSync(runDir, { recursive: true, force: true });
});
