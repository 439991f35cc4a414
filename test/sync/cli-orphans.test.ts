/**
 * No process of a CLI sync run outlives it: `crucible run --workload sync
 * --target demo-sync` as a user runs it (test/cli/fixtures/crucible.ts, the
 * CLI on src/), ended four ways — a normal end, an error (the server paused
 * behind the run's back, so the final sync fails and the run exits 3), SIGINT
 * and SIGKILL of the runner, the last two mid-chaos while actors' client
 * commands run. `--target yjs` is ended by an error and by SIGINT here (its
 * normal end and SIGKILL are test/crdt/orphans.test.ts's, on the harness). While the run goes, the test collects every descendant of the
 * runner (server, client commands, watchdog) from /proc; after it ends, each
 * must be gone within 5 s, and no process on the machine may still name the
 * run's store in its command line or environment (a client's HOME is there).
 * test/sync/orphans.test.ts covers the harness alone; this covers the CLI.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { descendants, isAlive, type ProcInfo, processes } from "../helpers/processes.js";

const CLI = resolve("test/cli/fixtures/crucible.ts");
const started: ChildProcess[] = [];
const stores: string[] = [];

afterEach(async () => {
  for (const child of started.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
  for (const store of stores.splice(0)) await rm(store, { recursive: true, force: true });
});

/** Live processes whose command line or environment names `text`. */
function mentioning(text: string): ProcInfo[] {
  return processes().filter((p) => {
    if (!isAlive(p.pid) || p.pid === process.pid) return false;
    if (p.cmdline.includes(text)) return true;
    try {
      return readFileSync(`/proc/${p.pid}/environ`, "utf8").includes(text);
    } catch {
      return false;
    }
  });
}

async function waitFor(what: string, timeoutMs: number, check: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

type Ending = "normal" | "error" | "sigint" | "sigkill";

const ARGS: Record<Ending, string[]> = {
  // One short scenario, no chaos phase: a whole run that ends by itself, quickly.
  normal: ["--scenario", "undo-after-sync"],
  // No fault actions, so nothing in the run resumes the server the test pauses.
  error: ["--nemesis", "none", "--time-limit", "3"],
  sigint: ["--time-limit", "120"],
  sigkill: ["--time-limit", "120"],
};

const EXPECTED_EXIT: Record<Ending, number | null> = { normal: 0, error: 3, sigint: 3, sigkill: null };

type Target = "demo-sync" | "yjs";

/** How each target's server and client processes are told apart in a command line. */
const PROGRAMS: Record<Target, { server: string; client: string }> = {
  "demo-sync": { server: "demo-sync/server", client: "demo-sync/client" },
  yjs: { server: "yjs-sync/server", client: "yjs-sync/client" },
};

const CASES: readonly { target: Target; ending: Ending }[] = [
  ...(["normal", "error", "sigint", "sigkill"] as const).map((ending) => ({
    target: "demo-sync" as const,
    ending,
  })),
  { target: "yjs", ending: "error" },
  { target: "yjs", ending: "sigint" },
];

describe("no process of a CLI sync run outlives it", () => {
  for (const { target, ending } of CASES) {
    const programs = PROGRAMS[target];
    test(`--target ${target}, after ${ending === "error" ? "an error" : ending}`, {
      timeout: 180_000,
    }, async () => {
      const store = await mkdtemp(join(tmpdir(), "crucible-sync-cli-orphans-"));
      stores.push(store);
      const child = spawn(
        process.execPath,
        [
          "--import",
          "tsx",
          CLI,
          "run",
          "--workload",
          "sync",
          "--target",
          target,
          "--actors",
          "2",
          "--seed",
          "3",
          "--store",
          store,
          ...ARGS[ending],
        ],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      started.push(child);
      let output = "";
      child.stdout!.on("data", (chunk: Buffer) => {
        output += chunk.toString();
      });
      child.stderr!.on("data", (chunk: Buffer) => {
        output += chunk.toString();
      });
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.once("exit", (code, signal) => resolve({ code, signal })),
      );
      let ended = false;
      void exited.then(() => {
        ended = true;
      });

      // Everything the runner starts, as it starts it (polled until it ends). The latest command
      // line wins: a process sampled between fork and exec still shows its parent's.
      const seen = new Map<number, string>();
      const watch = (): void => {
        for (const p of descendants(child.pid!, processes()))
          if (p.cmdline !== "") seen.set(p.pid, p.cmdline);
      };
      const poll = setInterval(watch, 50);
      try {
        const server = (): number | undefined =>
          [...seen].find(([pid, cmdline]) => cmdline.includes(programs.server) && isAlive(pid))?.[0];
        const client = (): boolean =>
          [...seen].some(([pid, cmdline]) => cmdline.includes(programs.client) && isAlive(pid));
        if (ending === "error") {
          // Once the harness is up and actors run commands (a pause before would fail its start instead).
          await waitFor(
            "the sync server and a client command",
            60_000,
            () => ended || (server() !== undefined && client()),
          );
          expect(ended, `the run ended before the server could be paused: ${output}`).toBe(false);
          // Paused behind the run's back: every later sync times out, the final one fails the run.
          process.kill(server()!, "SIGSTOP");
        }
        if (ending === "sigint" || ending === "sigkill") {
          // Mid-chaos, while a client command runs: the chaos phase has journaled actions.
          await waitFor("a chaos action and a client command", 90_000, () => {
            if (ended) return true;
            const runs = readdirSync(store).flatMap((test) => {
              try {
                return readdirSync(join(store, test))
                  .filter((d) => d !== "latest")
                  .map((d) => join(store, test, d));
              } catch {
                return [];
              }
            });
            const history = runs.map((dir) => {
              try {
                return readFileSync(join(dir, "history.jsonl"), "utf8");
              } catch {
                return "";
              }
            });
            return history.some((text) => text.split("\n").length > 4) && client();
          });
          expect(ended, `the run ended before it could be stopped: ${output}`).toBe(false);
          child.kill(ending === "sigint" ? "SIGINT" : "SIGKILL");
        }
        const { code } = await exited;
        watch();
        clearInterval(poll);
        if (EXPECTED_EXIT[ending] !== null) expect(code, output).toBe(EXPECTED_EXIT[ending]);
        const kinds = [...seen.values()];
        expect(kinds.some((c) => c.includes(programs.server))).toBe(true);
        expect(kinds.some((c) => c.includes(programs.client))).toBe(true);
        // Gone within 5 s: the runner's own cleanup, or after SIGKILL, the watchdog's.
        await waitFor("every process of the run to end", 5_000, () =>
          [...seen.keys()].every((pid) => !isAlive(pid)),
        ).catch(() => undefined);
        const alive = [...seen].filter(([pid]) => isAlive(pid)).map(([pid, cmdline]) => `${pid} ${cmdline}`);
        expect(alive).toEqual([]);
        expect(mentioning(store).map((p) => `${p.pid} ${p.cmdline}`)).toEqual([]);
      } finally {
        clearInterval(poll);
      }
    });
  }
});
