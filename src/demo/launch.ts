/**
 * How to start a demo server process, for the cluster fixtures and tests.
 *
 *   const { command, args } = demoServerCommand();
 *   spawn(command, [...args, "--name", "n1", "--port", "0", "--data-dir", dir], ...)
 *
 * Prefers the compiled `dist/demo/main.js` (fast start, what an installed
 * package has); falls back to running `src/demo/main.ts` through tsx in a
 * checkout that was not built. In a checkout that has both, the source wins
 * when any `src/demo` file is newer than the build, so a test never runs a
 * stale server by accident (`from` overrides the choice).
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export interface DemoServerCommand {
  /** The Node.js executable running this process. */
  command: string;
  /** Arguments before the server's own flags. */
  args: string[];
}

export interface DemoServerCommandOptions {
  /** `auto` (default): dist unless the source is newer; `dist` or `source` force one. */
  from?: "auto" | "dist" | "source";
}

/** The package root: this file is `<root>/src/demo/launch.ts` or `<root>/dist/demo/launch.js`. */
export function packageRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
}

/** The command that starts one demo server; append the server's flags to `args`. */
export function demoServerCommand(options: DemoServerCommandOptions = {}): DemoServerCommand {
  const from = options.from ?? "auto";
  const root = packageRoot();
  const built = join(root, "dist", "demo", "main.js");
  const source = join(root, "src", "demo", "main.ts");
  const haveBuilt = existsSync(built);
  const haveSource = existsSync(source);
  let useBuilt: boolean;
  if (from === "dist") {
    if (!haveBuilt) throw new Error(`${built} does not exist: run \`npm run build\` first`);
    useBuilt = true;
  } else if (from === "source") {
    if (!haveSource) throw new Error(`${source} does not exist (an installed package ships dist/ only)`);
    useBuilt = false;
  } else {
    useBuilt =
      haveBuilt && (!haveSource || !sourceNewerThan(join(root, "src", "demo"), statSync(built).mtimeMs));
    if (!useBuilt && !haveSource) throw new Error(`neither ${built} nor ${source} exists`);
  }
  if (useBuilt) return { command: process.execPath, args: [built] };
  // Resolve tsx from this package, not from the child's working directory (which is a temp dir).
  const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
  return { command: process.execPath, args: ["--import", tsxLoader, source] };
}

function sourceNewerThan(dir: string, mtimeMs: number): boolean {
  for (const name of readdirSync(dir)) {
    if (name.endsWith(".ts") && statSync(join(dir, name)).mtimeMs > mtimeMs) return true;
  }
  return false;
}

/**
 * The command that runs the `crucible` CLI in a child process (`crucible
 * demo-lock`, `crucible interval` as a lock workload's wrapper and child):
 * `dist/cli/bin.js` when built and not older than `src/cli` and
 * `src/actors`, else `src/cli/bin.ts` through tsx. Append the CLI's
 * arguments to `args`.
 */
export function crucibleCliCommand(options: DemoServerCommandOptions = {}): DemoServerCommand {
  const from = options.from ?? "auto";
  const root = packageRoot();
  const built = join(root, "dist", "cli", "bin.js");
  const source = join(root, "src", "cli", "bin.ts");
  const haveBuilt = existsSync(built);
  const haveSource = existsSync(source);
  const stale = (): boolean =>
    ["cli", "actors", "client", "history"].some((dir) =>
      sourceNewerThan(join(root, "src", dir), statSync(built).mtimeMs),
    );
  const useBuilt = from === "dist" || (from === "auto" && haveBuilt && (!haveSource || !stale()));
  if (useBuilt) {
    if (!haveBuilt) throw new Error(`${built} does not exist: run \`npm run build\` first`);
    return { command: process.execPath, args: [built] };
  }
  if (!haveSource) throw new Error(`neither ${built} nor ${source} exists`);
  const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
  return { command: process.execPath, args: ["--import", tsxLoader, source] };
}
