import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readHistoryFile } from "../../src/history/reader.js";

describe("a runner killed with SIGKILL", () => {
  it("leaves a history whose every line but possibly the last parses, and the reader reports a torn line", async () => {
    const runDir = mkdtempSync(join(tmpdir(), "crucible-sigkill-"));
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "test/runner/fixtures/killable-run.ts", runDir],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on("exit", (_code, signal) => resolve(signal)),
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => chunk.toString().includes("RUNNING") && resolve());
      child.on("exit", () => reject(new Error("the runner exited before it ran")));
    });
    await new Promise((resolve) => setTimeout(resolve, 400));
    child.kill("SIGKILL");
    expect(await exited).toBe("SIGKILL");

    const path = join(runDir, "history.jsonl");
    const text = readFileSync(path, "utf8");
    const lines = text.split("\n");
    const complete = text.endsWith("\n") ? lines.slice(0, -1) : lines.slice(0, -1);
    expect(complete.length).toBeGreaterThan(100);
    for (const line of complete) expect(() => JSON.parse(line)).not.toThrow();

    const { ops, warnings } = await readHistoryFile(path);
    expect(ops.length).toBe(complete.length);
    expect(ops.map((op) => op.index)).toEqual(ops.map((_, i) => i));
    if (!text.endsWith("\n")) expect(warnings[0]).toMatch(/torn last line/);
    else expect(warnings).toEqual([]);
  });
});
