/**
 * How to start yjs-sync's processes, for the sync harness and tests:
 *
 *   const { command, args } = yjsSyncCommand("server");
 *   spawn(command, [...args, "--data-dir", dir, "--port", "0"], ...)
 *
 * Prefers the compiled `dist/yjs-sync/<part>.js` (fast start); falls back to
 * `src/yjs-sync/<part>.ts` through tsx in a checkout that was not built, or
 * whose source is newer than the build, so a test never runs a stale binary.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export interface YjsSyncCommand {
  /** The Node.js executable running this process. */
  readonly command: string;
  /** Arguments before the program's own. */
  readonly args: readonly string[];
}

/** `server` is the sync server, `client` the per-actor command-line app. */
export type YjsSyncPart = "server" | "client";

export function yjsSyncCommand(part: YjsSyncPart): YjsSyncCommand {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
  const built = join(root, "dist", "yjs-sync", `${part}.js`);
  const sourceDir = join(root, "src", "yjs-sync");
  const source = join(sourceDir, `${part}.ts`);
  const haveSource = existsSync(source);
  if (existsSync(built) && (!haveSource || !newerThan(sourceDir, statSync(built).mtimeMs))) {
    return { command: process.execPath, args: [built] };
  }
  if (!haveSource) throw new Error(`neither ${built} nor ${source} exists`);
  const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
  return { command: process.execPath, args: ["--import", tsxLoader, source] };
}

function newerThan(dir: string, mtimeMs: number): boolean {
  return readdirSync(dir).some((name) => name.endsWith(".ts") && statSync(join(dir, name)).mtimeMs > mtimeMs);
}
