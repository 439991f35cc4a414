/**
 * A whole `crucible run --workload lock` leaves nothing behind when the
 * runner is stopped with SIGINT or killed with SIGKILL mid-run, while a
 * child holds the lock: no etcd, no wrapper, no tether launcher, no
 * recorder, no child, no watchdog. Checked by pid, for every process below
 * the runner seen while it ran (read from /proc), and by a last /proc scan
 * for anything whose command line names the run's store (a process forked
 * after the snapshot). Uses dist/ (`npm run build` first), as a user's run does.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { descendants, isAlive, processes } from "../helpers/processes.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const cli = join(root, "bin", "crucible.js");
const started: ChildProcess[] = [];
const stores: string[] = [];

afterEach(() => {
  for (const child of started.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  for (const store of stores.splice(0)) rmSync(store, { recursive: true, force: true });
});

async function until(what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not ${what} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Start a lock run, wait until a child holds, and return everything seen below the runner by then. */
async function holdingRun() {
  const store = mkdtempSync(join(tmpdir(), "crucible-lock-orphans-"));
  stores.push(store);
  const runner = spawn(
    process.execPath,
    [
      cli,
      "run",
      "--workload",
      "lock",
      "--target",
      "etcd",
      "--nodes",
      "1",
      "--actors",
      "3",
      "--nemesis",
      "actor-pause,lease-revoke",
      "--nemesis-interval",
      "2s",
      "--time-limit",
      "60",
      "--seed",
      "3",
      "--store",
      store,
    ],
    { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
  );
  started.push(runner);
  let output = "";
  runner.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  runner.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    runner.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const intervalLog = (): string | undefined => {
    for (const test of existsSync(store) ? readdirSync(store) : []) {
      const dir = join(store, test);
      for (const run of readdirSync(dir)) {
        const log = join(dir, run, "intervals.jsonl");
        if (existsSync(log)) return log;
      }
    }
    return undefined;
  };
  const seen = new Map<number, string>();
  const note = () => {
    for (const proc of descendants(runner.pid!)) seen.set(proc.pid, proc.cmdline);
  };
  await until(
    `a child holding (output so far:\n${output})`,
    () => {
      note();
      const log = intervalLog();
      // A start record of a hold, and its `sleep` running below the runner.
      return (
        log !== undefined &&
        readFileSync(log, "utf8").includes('"start"') &&
        [...seen.values()].some((cmd) => cmd.startsWith("sleep "))
      );
    },
    60_000,
  );
  // One more look, so the tree is as complete as it gets (every wrapper up, a waiter or two).
  await new Promise((resolve) => setTimeout(resolve, 500));
  note();
  return { runner, exited, store, seen, output: () => output };
}

/** Processes still alive among those seen, plus any process whose command line names the store. */
function leftovers(seen: ReadonlyMap<number, string>, store: string): string[] {
  const alive = [...seen].filter(([pid]) => isAlive(pid)).map(([pid, cmd]) => `${pid} ${cmd}`);
  const naming = processes()
    .filter((proc) => proc.cmdline.includes(store) && isAlive(proc.pid))
    .map((proc) => `${proc.pid} ${proc.cmdline}`);
  return [...new Set([...alive, ...naming])];
}

async function expectNothingLeft(seen: ReadonlyMap<number, string>, store: string, timeoutMs: number) {
  await until("every process gone", () => leftovers(seen, store).length === 0, timeoutMs).catch(() => {});
  expect(leftovers(seen, store), `left ${timeoutMs} ms after the runner ended`).toEqual([]);
}

/** What must have been running for the check to mean something: etcd, the wrappers, a launcher, a recorder, the watchdog. */
function expectWholeTree(seen: ReadonlyMap<number, string>): void {
  const commands = [...seen.values()];
  expect(commands.some((cmd) => /\betcd\b/.test(cmd) && !cmd.includes("demo-lock"))).toBe(true);
  expect(commands.filter((cmd) => cmd.includes("demo-lock")).length).toBeGreaterThanOrEqual(3);
  expect(commands.some((cmd) => cmd.includes(" interval "))).toBe(true);
  expect(commands.some((cmd) => cmd.includes("CRUCIBLE_WATCHDOG"))).toBe(true);
  expect(commands.some((cmd) => cmd.includes("JSON.parse(process.argv[1])"))).toBe(true);
}

describe("a lock run leaves no orphan", () => {
  it("SIGINT of the runner while a child holds: it stops cleanly, and etcd, wrappers, children and the watchdog are gone", async () => {
    const { runner, exited, store, seen, output } = await holdingRun();
    expectWholeTree(seen);
    runner.kill("SIGINT");
    const status = await exited;
    // A clean stop: the run ends by itself (a verdict or "stopped"), not by the signal's default action.
    expect(status.signal, output()).toBeNull();
    await expectNothingLeft(seen, store, 10_000);
  }, 120_000);

  it("SIGKILL of the runner while a child holds: the watchdog and the tethers leave nothing", async () => {
    const { runner, exited, store, seen } = await holdingRun();
    expectWholeTree(seen);
    runner.kill("SIGKILL");
    expect((await exited).signal).toBe("SIGKILL");
    await expectNothingLeft(seen, store, 10_000);
  }, 120_000);
});
