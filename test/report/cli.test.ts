import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, describe, expect, it, vi } from "vitest";
import { registerReportCommand } from "../../src/cli/report.js";
import { registerServeCommand } from "../../src/cli/serve.js";
import { UsageError } from "../../src/errors/index.js";
import { syntheticRun, writeRunDir } from "./synthetic-run.js";

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe("crucible report <run-dir>", () => {
  it("regenerates report.html and junit.xml and prints their paths", async () => {
    const dir = await mkdtemp(join(tmpdir(), "crucible-cli-report-"));
    dirs.push(dir);
    await writeRunDir(dir, syntheticRun({ seed: 2, ops: 60, concurrency: 2, durationS: 2 }));
    const program = new Command().exitOverride();
    registerReportCommand(program);
    const write = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    let printed = "";
    try {
      await program.parseAsync(["node", "crucible", "report", dir]);
      printed = write.mock.calls.map((call) => String(call[0])).join("");
    } finally {
      write.mockRestore();
    }
    expect(printed).toContain(`report: ${join(dir, "report.html")}`);
    expect((await stat(join(dir, "report.html"))).size).toBeGreaterThan(50_000);
    expect(await readFile(join(dir, "junit.xml"), "utf8")).toContain("<testsuites");
  });

  it("reports a SIGKILLed run's history (no results.json) unjudged, saying how to judge it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "crucible-cli-report-killed-"));
    dirs.push(dir);
    await writeRunDir(dir, syntheticRun({ seed: 3, ops: 40, concurrency: 2, durationS: 1 }));
    await rm(join(dir, "results.json"));
    const program = new Command().exitOverride();
    registerReportCommand(program);
    const write = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    let warned = "";
    try {
      await program.parseAsync(["node", "crucible", "report", dir]);
      warned = write.mock.calls.map((call) => String(call[0])).join("");
    } finally {
      write.mockRestore();
    }
    expect(warned).toContain("never reached its checkers");
    expect(warned).toContain("crucible check");
    expect(warned).not.toContain("writes it");
    const html = await readFile(join(dir, "report.html"), "utf8");
    expect(html).toContain("no results.json");
  });

  it("rejects a folder that is not a run with a UsageError", async () => {
    const dir = await mkdtemp(join(tmpdir(), "crucible-cli-empty-"));
    dirs.push(dir);
    const program = new Command().exitOverride();
    registerReportCommand(program);
    await expect(program.parseAsync(["node", "crucible", "report", dir])).rejects.toBeInstanceOf(UsageError);
  });
});

describe("crucible serve", () => {
  it("rejects a bad --port before starting anything", async () => {
    const program = new Command().exitOverride();
    registerServeCommand(program);
    await expect(program.parseAsync(["node", "crucible", "serve", "--port", "99999"])).rejects.toBeInstanceOf(
      UsageError,
    );
  });
});
