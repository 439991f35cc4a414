/**
 * The store: `store/<test-name>/<timestamp>/` holds `test.json`,
 * `history.jsonl`, `results.json`, `report.html`, `junit.xml` and
 * `nodes/<n>.log` (one log per node); `store/<test-name>/latest` links to the
 * newest run. docs/architecture.md shows the layout.
 */
import {
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { join, resolve, sep } from "node:path";
import { describeError, OutputError, UsageError } from "../errors/index.js";

/** `20261123T104512.345Z`: sorts by time, safe in file names (Jepsen's format). */
export function runTimestamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, "");
}

/** A test name made safe as one folder name. */
export function safeTestName(name: string): string {
  // Leading dots go too: a test named `..` or `.` must never write into the store's parent or itself.
  return name.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^[-.]+|-+$/g, "") || "test";
}

/**
 * `mkdir -p`, one level at a time. Not `mkdirSync(path, { recursive: true })`:
 * on a path under a file system that refuses new entries (`/proc/store`),
 * Node's recursive mkdir retries forever at full CPU instead of failing.
 * Throws a `UsageError` naming the path and the cause.
 */
export function makeDirectories(path: string): void {
  const absolute = resolve(path);
  const parts = absolute.split(sep).filter(Boolean);
  let current: string = sep;
  for (const part of parts) {
    current = join(current, part);
    try {
      mkdirSync(current);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EEXIST") {
        if (statSync(current).isDirectory()) continue;
        throw new UsageError(
          `cannot create the store folder: ${current} exists and is not a folder`,
          absolute,
        );
      }
      throw new UsageError(`cannot create the store folder: ${describeError(error)}`, absolute);
    }
  }
}

/** Create a fresh run folder (unique even when two runs start in the same millisecond). */
export function createRunDir(storeDir: string, testName: string, startedAt: Date): string {
  const testDir = resolve(storeDir, safeTestName(testName));
  makeDirectories(testDir);
  const base = runTimestamp(startedAt);
  for (let attempt = 0; attempt < 1000; attempt++) {
    const dir = join(testDir, attempt === 0 ? base : `${base}-${attempt}`);
    try {
      mkdirSync(dir);
      mkdirSync(join(dir, "nodes"));
      return dir;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  throw new Error(`could not create a run folder under ${testDir}`);
}

/** Point `<store>/<test>/latest` at a run folder (atomically: link aside, then rename over). */
export function updateLatestLink(runDir: string): void {
  const testDir = resolve(runDir, "..");
  const link = join(testDir, "latest");
  const temporary = join(testDir, `.latest-${process.pid}`);
  try {
    unlinkSync(temporary);
  } catch {}
  symlinkSync(runDir.slice(testDir.length + 1), temporary);
  renameSync(temporary, link);
}

/** Write JSON atomically (temp file + rename), so a reader never sees half a file. */
export function writeJsonFile(path: string, value: unknown): void {
  const temporary = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(temporary, `${JSON.stringify(value, null, 2)}\n`);
    renameSync(temporary, path);
  } catch (error) {
    // A full or read-only store: leave no half-written temp file behind, and say which file.
    rmSync(temporary, { force: true });
    throw new OutputError(path, error);
  }
}

export interface StoredRun {
  testName: string;
  dir: string;
  timestamp: string;
}

/** Every run folder in a store, newest first. */
export function listRuns(storeDir: string): StoredRun[] {
  const runs: StoredRun[] = [];
  let testNames: string[] = [];
  try {
    testNames = readdirSync(storeDir);
  } catch {
    return runs;
  }
  for (const testName of testNames) {
    const testDir = join(storeDir, testName);
    if (!statSync(testDir).isDirectory()) continue;
    for (const timestamp of readdirSync(testDir)) {
      if (timestamp === "latest" || timestamp.startsWith(".")) continue;
      const dir = join(testDir, timestamp);
      if (statSync(dir).isDirectory()) runs.push({ testName, dir, timestamp });
    }
  }
  return runs.sort((a, b) => b.timestamp.localeCompare(a.timestamp));
}
