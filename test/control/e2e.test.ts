/**
 * The acceptance of external control, end to end: `crucible antithesis` in
 * one process (the real demo cluster for the main test), the driver's
 * composer calls from a separate shell process.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { COMPOSER_SCRIPT } from "../../src/cli/antithesis.js";
import type { Op } from "../../src/history/op.js";
import { CLI_FIXTURE, COUNTER_TEST, composer, tempDir, waitForRunner } from "./helpers.js";

const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

interface Runner {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startRunner(args: string[]): Runner {
  const child = spawn(process.execPath, ["--import", "tsx", CLI_FIXTURE, "antithesis", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  started.push(child);
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

function runShell(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn("sh", ["-c", script], { stdio: ["ignore", "pipe", "pipe"] });
    started.push(child);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

function onlyRunDir(storeDir: string, testName: string): string {
  const runs = readdirSync(join(storeDir, testName)).filter((name) => name !== "latest");
  expect(runs).toHaveLength(1);
  return join(storeDir, testName, runs[0]!);
}

describe("crucible antithesis, driven from a separate shell", () => {
  it("runs the demo test one op per call: 50 ops, then check prints the verdict and exits 0", async () => {
    const storeDir = tempDir("e2e");
    const controlDir = join(storeDir, "control");
    // A fixed seed: ops run one at a time, so the history is the same every time. (With only 50 serial
    // ops some seeds never see a cas succeed, and the stats checker rightly calls that invalid: seed 11.)
    const runner = startRunner(["--nemesis", "none", "--store", storeDir, "--seed", "1"]);
    await waitForRunner(controlDir, 45_000);
    const driver = await runShell(
      `for i in $(seq 1 50); do CRUCIBLE_OP_ID=$i sh '${COMPOSER_SCRIPT}' op '${controlDir}' || exit 99; done
       sh '${COMPOSER_SCRIPT}' check '${controlDir}'; echo "check exit $?"`,
    );
    expect(driver.stderr).toBe("");
    expect(driver.code).toBe(0);
    const lines = driver.stdout.trim().split("\n");
    expect(lines).toHaveLength(52);
    expect(lines[51]).toBe("check exit 0");
    const verdict = JSON.parse(lines[50]!) as Record<string, unknown>;
    expect(verdict).toMatchObject({
      exitCode: 0,
      valid: true,
      complete: true,
      test: "demo-register-linearizable",
      seed: 1,
    });
    expect(await runner.exited).toBe(0);

    const printed = lines.slice(0, 50).map((line) => JSON.parse(line) as Op);
    expect(printed.every((op) => op.type !== "invoke" && typeof op.process === "number")).toBe(true);
    const runDir = onlyRunDir(storeDir, "demo-register-linearizable");
    expect(verdict.runDir).toBe(runDir);
    const history = readFileSync(join(runDir, "history.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Op);
    // The main phase of the stored history is exactly the 50 ops the calls printed (then come the final reads).
    const lastPrinted = printed[49]!.index;
    const mainCompletions = history.filter((op) => op.type !== "invoke" && op.index <= lastPrinted);
    expect(mainCompletions).toEqual(printed);
    expect(history.filter((op) => op.type === "invoke" && op.index < lastPrinted)).toHaveLength(50);
    const test = JSON.parse(readFileSync(join(runDir, "test.json"), "utf8")) as {
      seed: number;
      spec: { control: Record<string, unknown> };
    };
    expect(test.seed).toBe(1);
    expect(test.spec.control).toMatchObject({ protocol: "fifo", controlDir, seedSource: "--seed" });
  }, 60_000);

  it("leaves the scripts failing with a clear message soon after the runner is killed", async () => {
    const storeDir = tempDir("killed");
    const controlDir = join(storeDir, "control");
    const runner = startRunner([COUNTER_TEST, "--store", storeDir]);
    await waitForRunner(controlDir, 30_000);
    expect((await composer("op", controlDir)).code).toBe(0);

    // Freeze the runner so the next call is certainly waiting when it dies.
    runner.child.kill("SIGSTOP");
    const waiting = composer("op", controlDir, { CRUCIBLE_OP_ID: "orphaned" });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const killedMs = Date.now();
    runner.child.kill("SIGKILL");
    const orphaned = await waiting;
    expect(orphaned.code).toBe(3);
    expect(orphaned.stderr).toMatch(/the runner \(pid \d+\) exited before answering op-orphaned/);
    expect(Date.now() - killedMs).toBeLessThan(10_000);
    expect(readdirSync(controlDir)).not.toContain("op-orphaned");

    // A call made after the death fails at once: the pid file names a dead process.
    const after = await composer("check", controlDir);
    expect(after.code).toBe(3);
    expect(after.stderr).toMatch(/is not running: nobody is watching/);
    expect(after.elapsedMs).toBeLessThan(10_000);
  }, 60_000);

  it("tells a caller that no runner is watching, within the start wait (also through `crucible composer`)", async () => {
    const controlDir = tempDir("nobody");
    const child = spawn(process.execPath, ["--import", "tsx", CLI_FIXTURE, "composer", "op", controlDir], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, CRUCIBLE_COMPOSER_START_WAIT_S: "1" },
    });
    started.push(child);
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code).toBe(3);
    expect(stderr).toMatch(/no runner is watching .* start 'crucible antithesis --control-dir/);
  }, 30_000);
});
