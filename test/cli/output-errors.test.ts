/**
 * Store and output errors, each one line naming the path (or port, or host)
 * and the cause, the verdict still printed when it exists, no `*.tmp` left:
 * a read-only store, a store that fills up during the run, no space for a
 * report, `--report` at a directory or under /proc, `serve` on a port in use
 * or a host that is not ours. Small tmpfs mounts stand in for full and
 * read-only disks (root only; skipped with the reason otherwise).
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCheckCommand } from "../../src/cli/check.js";
import { ExitCode } from "../../src/errors/index.js";

const CLI = resolve("test/cli/fixtures/crucible.ts");
const root = mkdtempSync(join(tmpdir(), "crucible-output-errors-"));
const readOnly = join(root, "ro");
const tiny = join(root, "tiny");
const full = join(root, "full");
const mounted: string[] = [];

function mountTmpfs(dir: string, options: string): boolean {
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", dir], { stdio: "ignore" });
    mounted.push(dir);
    return true;
  } catch {
    return false;
  }
}

let canMount = false;
beforeAll(() => {
  canMount =
    process.getuid?.() === 0 &&
    mountTmpfs(readOnly, "ro,size=1m") &&
    mountTmpfs(tiny, "size=40k") &&
    mountTmpfs(full, "size=16k");
  if (canMount) {
    // Fill `full` to the last block: nothing more fits.
    try {
      writeFileSync(join(full, "filler"), Buffer.alloc(64 * 1024));
    } catch {}
  }
});
afterAll(() => {
  for (const dir of mounted.reverse()) spawnSync("umount", [dir]);
  rmSync(root, { recursive: true, force: true });
});

function crucible(args: string[], timeoutMs = 90_000) {
  const result = spawnSync(process.execPath, ["--import", "tsx", CLI, ...args], {
    encoding: "utf8",
    timeout: timeoutMs,
    env: { ...process.env, CI: "1", NO_COLOR: "1" },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function tmpFilesUnder(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((name) => /\.tmp/.test(name));
}

const NO_STACK = /\n\s+at /;

/** A small valid history to check (two ops), written once. */
const history = join(root, "history.jsonl");
writeFileSync(
  history,
  '{"index":0,"time":0,"type":"invoke","process":0,"f":"write","key":1,"value":1}\n{"index":1,"time":5,"type":"ok","process":0,"f":"write","key":1,"value":1}\n',
);

async function check(report: string) {
  let stdout = "";
  let stderr = "";
  const code = await runCheckCommand(
    [history],
    { model: "kv", format: "auto", report },
    { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) },
  );
  return { code, stdout, stderr };
}

describe("crucible check --report that cannot be written", () => {
  it("a directory or a path under /proc: the verdict, then one line naming the path; exit 3", async () => {
    for (const target of [root, "/proc/crucible-report.html"]) {
      const { code, stdout, stderr } = await check(target);
      expect(code).toBe(ExitCode.runFailed);
      expect(stdout).toContain(`${history}: valid`);
      expect(stderr).toMatch(
        new RegExp(`^error: could not write ${target.replace(/[/.]/g, "\\$&")}: E[A-Z]+`),
      );
      expect(stderr.trim().split("\n")).toHaveLength(1);
    }
    expect(tmpFilesUnder(root)).toEqual([]);
  });

  it("no space left for the report: the same, and no *.tmp on the full disk", async (ctx) => {
    if (!canMount) ctx.skip("needs root to mount a small tmpfs");
    const { code, stdout, stderr } = await check(join(full, "report.html"));
    expect(code).toBe(ExitCode.runFailed);
    expect(stdout).toContain("valid");
    expect(stderr).toContain(`could not write ${join(full, "report.html")}: ENOSPC`);
    expect(tmpFilesUnder(full)).toEqual([]);
  });
});

describe("crucible run on a store that cannot take it", () => {
  it("a read-only store: exit 64 at once, naming the store and the cause", (ctx) => {
    if (!canMount) ctx.skip("needs root to mount a read-only tmpfs");
    const { code, stderr } = crucible(["run", "--time-limit", "1", "--store", join(readOnly, "s")]);
    expect(code).toBe(ExitCode.usage);
    expect(stderr).toContain(`${join(readOnly, "s")}`);
    expect(stderr).toContain("EROFS");
    expect(stderr).not.toMatch(NO_STACK);
  }, 60_000);

  it("a store that fills up during the run: the verdict is printed, each lost file named, exit 3, no *.tmp", (ctx) => {
    if (!canMount) ctx.skip("needs root to mount a small tmpfs");
    const { code, stdout, stderr } = crucible(["run", "--time-limit", "3", "--store", join(tiny, "s")]);
    expect(code).toBe(ExitCode.runFailed);
    expect(stdout).toMatch(/demo-register-linearizable · seed \d+ · (unknown|valid|INVALID)/);
    expect(stdout + stderr).toMatch(/could not write \S+(results|history)\.jsonl?: ENOSPC/);
    expect(stderr).not.toMatch(NO_STACK);
    expect(stdout).not.toMatch(NO_STACK);
    expect(tmpFilesUnder(tiny)).toEqual([]);
  }, 90_000);
});

describe("crucible serve that cannot listen", () => {
  let blocker: Server;
  let port = 0;
  beforeAll(async () => {
    blocker = createServer();
    await new Promise<void>((done) => blocker.listen(0, "127.0.0.1", done));
    port = (blocker.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((done) => blocker.close(() => done())));

  const serve = (args: string[]) => {
    const child: ChildProcess = spawn(
      process.execPath,
      ["--import", "tsx", CLI, "serve", "--store", root, ...args],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stderr = "";
    child.stderr!.on("data", (chunk) => (stderr += chunk));
    return new Promise<{ code: number | null; stderr: string }>((done) => {
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      child.on("exit", (code) => {
        clearTimeout(timer);
        done({ code, stderr });
      });
    });
  };

  it("a port in use: exit 64 naming the port", async () => {
    const { code, stderr } = await serve(["--port", String(port)]);
    expect(code).toBe(ExitCode.usage);
    expect(stderr).toContain(`--port ${port}: already in use on 127.0.0.1`);
    expect(stderr).not.toMatch(NO_STACK);
  }, 40_000);

  it("a host that is no address here: exit 64 naming the host", async () => {
    for (const host of ["999.1.1.1", "not a host"]) {
      const { code, stderr } = await serve(["--host", host, "--port", "0"]);
      expect(code).toBe(ExitCode.usage);
      expect(stderr).toContain(`--host ${host}: not an address of this machine`);
      expect(stderr).not.toMatch(NO_STACK);
    }
  }, 60_000);
});
