import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { COMPOSER_SCRIPT } from "../../src/cli/antithesis.js";
import { RUNNER_PID_FILE } from "../../src/control/directory.js";

export const CLI_FIXTURE = "test/control/fixtures/cli.ts";
export const COUNTER_TEST = "test/control/fixtures/counter-test.ts";

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `crucible-control-${prefix}-`));
}

export function mkfifo(path: string): void {
  execFileSync("mkfifo", [path]);
}

export interface ScriptResult {
  code: number;
  stdout: string;
  stderr: string;
  elapsedMs: number;
}

/** Run the shipped composer script as a separate shell process. */
export function composer(
  command: "op" | "check",
  controlDir: string,
  env: Record<string, string> = {},
): Promise<ScriptResult> {
  const startedMs = Date.now();
  return new Promise((resolve) => {
    execFile(
      "sh",
      [COMPOSER_SCRIPT, command, controlDir],
      { env: { ...process.env, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        resolve({ code, stdout, stderr, elapsedMs: Date.now() - startedMs });
      },
    );
  });
}

/** Wait (bounded) until the runner watches `controlDir`. */
export async function waitForRunner(controlDir: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(join(controlDir, RUNNER_PID_FILE))) {
    if (Date.now() > deadline) throw new Error(`no runner watched ${controlDir} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
