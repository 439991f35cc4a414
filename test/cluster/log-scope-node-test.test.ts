/**
 * The node:test log scope, run as a user runs it: `node --test` over a file
 * that imports `crucible/cluster/node-test` (or preloads it with `--import`).
 * A failing test's cluster logs are printed and its dir kept, although the
 * test stopped the cluster itself; a parent whose subtest failed keeps its
 * cluster too, and a cluster a passing subtest left running belongs to its
 * parent, kept when the parent fails; a passing test prints nothing and
 * leaves no dir.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "crucible-log-scope-node-"));
const kept: string[] = [];
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  for (const path of kept) rmSync(path, { recursive: true, force: true });
});

describe.each([
  { how: "imported by the test file", preload: [] as string[] },
  { how: "preloaded with --import", preload: ["--import", "./src/cluster/node-test.ts"] },
])("node:test log scope $how", ({ how, preload }) => {
  it("prints and keeps the logs of failed tests' clusters, and only those", {
    timeout: 120_000,
  }, async () => {
    const report = join(dir, how.replaceAll(" ", "-"));
    const result = await execa(
      process.execPath,
      [
        "--import",
        "tsx",
        ...preload,
        "--test",
        "--test-reporter=tap",
        "test/cluster/log-scope/scoped.node-test.ts",
      ],
      {
        env: {
          CRUCIBLE_SCOPE_REPORT: report,
          ...(preload.length > 0 ? { CRUCIBLE_SCOPE_PRELOAD: "1" } : {}),
          NO_COLOR: "1",
        },
        reject: false,
        timeout: 110_000,
      },
    );
    const output = `${result.stdout}\n${result.stderr}`;
    expect(result.exitCode, output).toBe(1);
    const runDir = (name: string) => readFileSync(`${report}.${name}`, "utf8");
    const failDir = runDir("fail");
    const parentDir = runDir("parent");
    const nestedDir = runDir("nested");
    kept.push(failDir, parentDir, nestedDir);

    expect(existsSync(failDir), output).toBe(true);
    expect(existsSync(parentDir), output).toBe(true);
    expect(existsSync(nestedDir), output).toBe(true);
    expect(existsSync(runDir("pass")), output).toBe(false);

    expect(output).toContain(
      `node logs of demo for failed test "fails after stopping its cluster" (dir kept: ${failDir})`,
    );
    expect(output).toContain(
      `node logs of demo for failed test "parent of a failing subtest" (dir kept: ${parentDir})`,
    );
    expect(output).toContain(
      `node logs of demo for failed test "parent fails after a passing subtest left its cluster running" (dir kept: ${nestedDir})`,
    );
    // Exactly those three clusters' logs: the passing tests (and the failing subtest, which started none) print nothing.
    expect(output.match(/crucible: node logs of /g)?.length, output).toBe(3);
    // The tail itself, not only its heading: the demo node's readiness line from its log file.
    expect(output).toMatch(/--- n1 \(demo\) \S+n1\.log:/);
    expect(output).toMatch(/n1 serving on 127\.0\.0\.1:\d+ as leader/);
    expect(readFileSync(join(failDir, "logs", "n1.log"), "utf8")).toMatch(/READY \d+/);
  });
});
