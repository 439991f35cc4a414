/**
 * Last-resort cleanup inside the runner: what stops servers when the code that
 * started them never reaches its `finally`.
 *
 * - On process `exit` (normal end, `process.exit`, an uncaught exception):
 *   synchronously SIGKILL every live process group and remove every temp dir
 *   not marked to keep. `exit` handlers cannot await, hence SIGKILL.
 * - On SIGINT / SIGTERM, when no one else listens for that signal: stop
 *   every open cluster (bounded by {@link SIGNAL_CLEANUP_TIMEOUT_MS}), then
 *   re-raise it so the process dies the way it was asked to. When the
 *   application has its own handler (`crucible run`, `crucible demo`), it
 *   owns both the cleanup and the exit: the runner must heal faults and keep
 *   recording while it stops, which a cluster vanishing under it would spoil.
 * - On SIGKILL nothing here runs: the watchdog (./watchdog.ts) covers it.
 */
import { rmSync } from "node:fs";

/** How long the SIGINT/SIGTERM handler waits for clusters to stop before giving up. */
export const SIGNAL_CLEANUP_TIMEOUT_MS = 10_000;

const liveGroups = new Set<number>();
const dirsToRemove = new Set<string>();
const stoppers = new Set<() => Promise<void>>();
let installed = false;

export function registerGroup(pgid: number): void {
  install();
  liveGroups.add(pgid);
}

export function unregisterGroup(pgid: number): void {
  liveGroups.delete(pgid);
}

export function registerDir(dir: string): void {
  install();
  dirsToRemove.add(dir);
}

export function unregisterDir(dir: string): void {
  dirsToRemove.delete(dir);
}

/** Register an async stopper (a cluster's `stop`); returns the function that unregisters it. */
export function registerStopper(stop: () => Promise<void>): () => void {
  install();
  stoppers.add(stop);
  return () => stoppers.delete(stop);
}

/** What the cleanup tracks right now: process groups, temp dirs and open clusters (for leak checks). */
export function trackedResources(): { groups: number[]; dirs: string[]; openClusters: number } {
  return { groups: [...liveGroups], dirs: [...dirsToRemove], openClusters: stoppers.size };
}

function killAllSync(): void {
  for (const pgid of liveGroups) {
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  liveGroups.clear();
  for (const dir of dirsToRemove) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // Best effort at exit.
    }
  }
  dirsToRemove.clear();
}

async function stopAll(): Promise<void> {
  const all = [...stoppers].map((stop) => stop().catch(() => {}));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, SIGNAL_CLEANUP_TIMEOUT_MS);
  });
  await Promise.race([Promise.all(all), timeout]);
  clearTimeout(timer);
  killAllSync();
}

function onSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return;
  void stopAll().then(() => {
    process.removeListener(signal, handlers[signal as "SIGINT" | "SIGTERM"]);
    process.kill(process.pid, signal);
  });
}

const handlers = {
  SIGINT: () => onSignal("SIGINT"),
  SIGTERM: () => onSignal("SIGTERM"),
};

function install(): void {
  if (installed) return;
  installed = true;
  process.on("exit", killAllSync);
  process.on("SIGINT", handlers.SIGINT);
  process.on("SIGTERM", handlers.SIGTERM);
}
