import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CheckFileReport, registerCheckCommand, runCheckCommand } from "../../../src/cli/check.js";

const fixtures = join(dirname(fileURLToPath(import.meta.url)), "../../fixtures/porcupine");
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "crucible-check-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, options: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t) } };
}

describe("crucible check", () => {
  it("a valid and an invalid etcd history: worst verdict is the exit code, the invalid one explained", async () => {
    const io = capture();
    const code = await runCheckCommand(
      [join(fixtures, "etcd/etcd_002.log"), join(fixtures, "etcd/etcd_000.log")],
      { format: "auto" },
      io.options,
    );
    expect(code).toBe(1);
    const text = io.out.join("");
    expect(text).toMatch(/etcd_002\.log: valid \(cas-register, \d+ ops/);
    expect(text).toMatch(/etcd_000\.log: INVALID/);
    expect(text).toMatch(/op \d+ \(process \d+\)/);
  });

  it("--json over a directory gives per file the verdict, ops, parse/check ms and peak memory", async () => {
    const io = capture();
    const code = await runCheckCommand(
      [join(fixtures, "kv")],
      { format: "porcupine-kv", model: "porcupine-kv", json: true },
      io.options,
    );
    expect(code).toBe(1);
    const reports = JSON.parse(io.out.join("")) as CheckFileReport[];
    expect(reports.map((r) => [r.file.split("/").pop(), r.valid])).toEqual([
      ["c01-bad.txt", false],
      ["c01-ok.txt", true],
      ["c10-bad.txt", false],
      ["c10-ok.txt", true],
    ]);
    for (const r of reports) {
      expect(r.ops).toBeGreaterThan(0);
      expect(r.checkMs).toBeGreaterThanOrEqual(0);
      expect(r.peakMemoryBytes).toBeGreaterThan(0);
    }
  });

  it("a malformed file is 64 with file:line, and the other files are still checked", async () => {
    const bad = join(dir, "bad.edn");
    await writeFile(
      bad,
      "{:type :invoke, :f :write, :value 1, :process 0}\n{:type :ok, :f :write, :value 1 :process}\n",
    );
    const io = capture();
    const code = await runCheckCommand(
      [bad, join(fixtures, "etcd/etcd_002.log")],
      { format: "auto", model: "cas-register" },
      io.options,
    );
    expect(code).toBe(64);
    expect(io.err.join("")).toContain(`${bad}:2:`);
    expect(io.out.join("")).toMatch(/etcd_002\.log: valid/);
  });

  it("a time limit that runs out makes the verdict unknown (exit 2)", async () => {
    // 18 concurrent writes, each value twice, and a read of another: millions of steps before the search can say no.
    const lines: string[] = [];
    for (let p = 0; p < 18; p++)
      lines.push(`{:type :invoke, :f :write, :value ${(p >> 1) + 10}, :process ${p}}`);
    for (let p = 0; p < 18; p++) lines.push(`{:type :ok, :f :write, :value ${(p >> 1) + 10}, :process ${p}}`);
    lines.push(
      "{:type :invoke, :f :read, :value nil, :process 99}",
      "{:type :ok, :f :read, :value 5, :process 99}",
    );
    const file = join(dir, "hard.edn");
    await writeFile(file, `${lines.join("\n")}\n`);
    // The fast path would decide this at once (5 was never written); values repeat, so it does not apply.
    const io = capture();
    const code = await runCheckCommand(
      [file],
      { format: "edn", model: "register", timeLimit: 1 },
      io.options,
    );
    expect(code).toBe(2);
    expect(io.out.join("")).toMatch(/unknown/);
  });

  it("registers on a commander program, requires a model when the format suggests none, writes a report", async () => {
    const file = join(dir, "h.jsonl");
    await writeFile(
      file,
      '{"index":0,"time":0,"type":"invoke","process":0,"f":"write","value":1}\n{"index":1,"time":5,"type":"ok","process":0,"f":"write","value":1}\n',
    );
    const io = capture();
    const program = new Command().exitOverride();
    registerCheckCommand(program, io.options);
    const saved = process.exitCode;
    try {
      await program.parseAsync(["check", file], { from: "user" });
      expect(process.exitCode).toBe(64);
      expect(io.err.join("")).toMatch(/pass --model/);
      const out = join(dir, "report.html");
      await program.parseAsync(["check", file, "--model", "register", "--report", out], { from: "user" });
      expect(process.exitCode).toBe(0);
      expect(await readFile(out, "utf8")).toMatch(/<html/i);
    } finally {
      process.exitCode = saved;
    }
  });
});
