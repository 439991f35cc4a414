/**
 * The vitest log scope, run as a user runs it: a vitest of its own over a
 * test file that imports `crucible/cluster/vitest`. The failing test's
 * cluster logs are printed and its dir kept, although the test stopped the
 * cluster itself; the passing test's dir is gone.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "crucible-log-scope-"));
let kept: string | undefined;
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  if (kept) rmSync(kept, { recursive: true, force: true });
});

it("prints and keeps the logs of a failed test's clusters, and only those", { timeout: 120_000 }, () => {
  const report = join(dir, "report");
  const result = spawnSync(
    process.execPath,
    [
      resolve("node_modules/vitest/vitest.mjs"),
      "run",
      "--root",
      resolve("."),
      "test/cluster/log-scope/scoped.fixture.ts",
      "--config",
      "test/cluster/log-scope/vitest.config.ts",
    ],
    {
      encoding: "utf8",
      env: { ...process.env, CRUCIBLE_SCOPE_REPORT: report, CI: "1", NO_COLOR: "1" },
      timeout: 110_000,
    },
  );
  const output = `${result.stdout}${result.stderr}`;
  expect(result.status, output).toBe(1);
  const passDir = readFileSync(`${report}.pass`, "utf8");
  const failDir = readFileSync(`${report}.fail`, "utf8");
  kept = failDir;
  expect(existsSync(passDir)).toBe(false);
  expect(existsSync(failDir)).toBe(true);
  expect(output).toContain(
    `node logs of demo for failed test "fails after stopping its cluster" (dir kept: ${failDir})`,
  );
  expect(output).toMatch(/--- n1 \(demo\) .*n1\.log:/);
});
