// Run by test/cluster/log-scope.test.ts in a vitest of its own: one test fails with a cluster it stopped.
import "../../../src/cluster/vitest.js";
import { writeFileSync } from "node:fs";
import { expect, it } from "vitest";
import { demo, startCluster } from "../../../src/cluster/index.js";

const report = process.env.CRUCIBLE_SCOPE_REPORT ?? "";

it("passes and leaves nothing", async () => {
  const cluster = await startCluster(demo(), 1, { log: () => {}, seed: 1 });
  writeFileSync(`${report}.pass`, cluster.runDir);
  await cluster.stop();
});

it("fails after stopping its cluster", async () => {
  const cluster = await startCluster(demo(), 1, { log: () => {}, seed: 1 });
  writeFileSync(`${report}.fail`, cluster.runDir);
  await cluster.stop();
  expect("the system").toBe("correct");
});
