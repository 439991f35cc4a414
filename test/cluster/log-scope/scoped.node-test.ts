// Run by test/cluster/log-scope-node-test.test.ts under `node --test`, with
// crucible/cluster/node-test imported here or preloaded (CRUCIBLE_SCOPE_PRELOAD).
import { writeFileSync } from "node:fs";
import { test } from "node:test";
import { demo, startCluster } from "../../../src/cluster/index.js";

if (!process.env.CRUCIBLE_SCOPE_PRELOAD) await import("../../../src/cluster/node-test.js");

const report = process.env.CRUCIBLE_SCOPE_REPORT ?? "";
const start = () => startCluster(demo(), 1, { log: () => {}, seed: 1 });

test("passes and leaves nothing", async () => {
  const cluster = await start();
  writeFileSync(`${report}.pass`, cluster.runDir);
  await cluster.stop();
});

test("fails after stopping its cluster", async () => {
  const cluster = await start();
  writeFileSync(`${report}.fail`, cluster.runDir);
  await cluster.stop();
  throw new Error("the system is not correct");
});

test("parent of a failing subtest", async (t) => {
  const cluster = await start();
  writeFileSync(`${report}.parent`, cluster.runDir);
  await t.test("subtest fails", () => {
    throw new Error("a step went wrong");
  });
  await cluster.stop();
});

test("parent fails after a passing subtest left its cluster running", async (t) => {
  let cluster: Awaited<ReturnType<typeof start>> | undefined;
  await t.test("subtest starts a cluster", async () => {
    cluster = await start();
    writeFileSync(`${report}.nested`, cluster.runDir);
  });
  await cluster?.stop();
  throw new Error("the parent's own check failed");
});
