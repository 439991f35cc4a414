import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "crucible-dd-node-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("node:test adapter", () => {
  it("makes each file and directive a subtest and reports a mismatch at file:line with the diff", async () => {
    writeFileSync(join(dir, "good"), "echo\nhi\n----\nhi\n");
    writeFileSync(join(dir, "bad"), "# c\necho\nactual\n----\nexpected\n\nnoop\n----\n");
    const result = await execa(
      process.execPath,
      ["--import", "tsx", "--test", "--test-reporter=tap", "test/datadriven/node-adapter.fixture.ts"],
      { env: { DD_DIR: dir }, reject: false, timeout: 60_000 },
    );
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain("ok 1 - line 1: echo");
    expect(result.stdout).toMatch(/not ok 1 - line 2: echo/);
    expect(result.stdout).toContain(`${join(dir, "bad")}:2: output of \`echo\` does not match`);
    expect(result.stdout).toContain("-expected");
    expect(result.stdout).toContain("+actual");
    // The directive after the failure is not run.
    expect(result.stdout).not.toContain("line 7: noop");
  });
});
