/**
 * `crucible interval` as a child runs it: start record before the command,
 * end record after, the command's exit code, the token from the wrapper's
 * environment, SIGTERM forwarded, an open interval when SIGKILLed, exit 64
 * on bad flags. A separate Node process per run (src/ through tsx).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseIntervalLog } from "../../src/history/intervals.js";

const CLI = resolve("test/cli/fixtures/crucible.ts");
const dir = mkdtempSync(join(tmpdir(), "crucible-interval-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function crucible(
  args: readonly string[],
  options: { env?: Record<string, string>; onStdout?: (text: string, pid: number) => void } = {},
): Promise<Ran> {
  const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...options.env },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    options.onStdout?.(stdout, child.pid!);
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  return new Promise((resolvePromise) =>
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    }),
  );
}

describe("crucible interval", () => {
  it("writes a start record before the command runs and an end record after; exits with its code", async () => {
    const log = join(dir, "a.jsonl");
    const ran = await crucible(
      [
        "interval",
        "--log",
        log,
        "--holder",
        "a1",
        "--token-env",
        "LOCK_REV",
        "--slot",
        "1",
        "--office",
        "job",
      ].concat(["--", "sh", "-c", `cat ${log}; sleep 0.1; exit 7`]),
      { env: { LOCK_REV: "57" } },
    );
    expect(ran.code, ran.stderr).toBe(7);
    // The command saw its own start record already in the log.
    expect(ran.stdout).toContain('"holder":"a1"');
    expect(ran.stdout).not.toContain('"end"');
    const [interval, ...rest] = parseIntervalLog(readFileSync(log, "utf8"), log);
    expect(rest).toEqual([]);
    expect(interval).toMatchObject({ holder: "a1", token: 57, slot: 1, office: "job" });
    expect(interval!.end! - interval!.start).toBeGreaterThanOrEqual(100_000_000);
  });

  it("forwards SIGTERM to the command and records the end; exit 128+15", async () => {
    const log = join(dir, "term.jsonl");
    const ran = await crucible(
      ["interval", "--log", log, "--holder", "a2", "--", "sh", "-c", "echo started; sleep 30"],
      {
        onStdout: (text, pid) => {
          if (text.includes("started")) process.kill(pid, "SIGTERM");
        },
      },
    );
    expect(ran.code, ran.stderr).toBe(143);
    const [interval] = parseIntervalLog(readFileSync(log, "utf8"), log);
    expect(interval?.end).toBeDefined();
  });

  it("SIGKILLed mid-hold: only the start record, an open interval", async () => {
    const log = join(dir, "kill.jsonl");
    const ran = await crucible(
      ["interval", "--log", log, "--holder", "a3", "--", "sh", "-c", "echo started; sleep 30"],
      {
        onStdout: (text, pid) => {
          if (text.includes("started")) process.kill(pid, "SIGKILL");
        },
      },
    );
    expect(ran.signal).toBe("SIGKILL");
    const [interval] = parseIntervalLog(readFileSync(log, "utf8"), log);
    expect(interval).toMatchObject({ holder: "a3", end: undefined });
  });

  it("a command that does not exist: 127, and the hold is closed", async () => {
    const log = join(dir, "missing.jsonl");
    const ran = await crucible(["interval", "--log", log, "--holder", "a4", "--", "/no/such/cmd"]);
    expect(ran.code).toBe(127);
    expect(parseIntervalLog(readFileSync(log, "utf8"), log)[0]?.end).toBeDefined();
  });

  it("bad flags exit 64 and say what was expected; nothing is recorded", async () => {
    const log = join(dir, "bad.jsonl");
    const noEnv = await crucible([
      "interval",
      "--log",
      log,
      "--holder",
      "a5",
      "--token-env",
      "NOPE_X",
      "--",
      "true",
    ]);
    expect(noEnv.code).toBe(64);
    expect(noEnv.stderr).toContain("the environment has no NOPE_X");
    const badSlot = await crucible(["interval", "--log", log, "--holder", "a5", "--slot", "x", "--", "true"]);
    expect(badSlot.code).toBe(64);
    expect(badSlot.stderr).toContain("expected a non-negative integer");
    const noHolder = await crucible(["interval", "--log", log, "--", "true"]);
    expect(noHolder.code).toBe(64);
    expect(existsSync(log)).toBe(false);
  });
});
