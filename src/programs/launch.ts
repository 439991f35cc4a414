/**
 * How the package starts its own programs (the demo server, the sync demos,
 * the `crucible` CLI as a lock wrapper) in child processes:
 *
 *   const { command, args } = programCommand({ built: "dist/demo/main.js", source: "src/demo/main.ts", watch: ["demo", "errors"] });
 *   spawn(command, [...args, "--port", "0"], ...)
 *
 * Prefers the compiled file under `dist/` (fast start, what an installed
 * package has); falls back to the TypeScript source through tsx in a checkout
 * that was not built. In a checkout that has both, the source wins when any
 * `.ts` file under the watched `src/` folders is newer than the build, so a
 * test never runs a stale program by accident (`from` overrides the choice).
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export interface ProgramCommand {
  /** The Node.js executable running this process. */
  command: string;
  /** Arguments before the program's own. */
  args: string[];
}

export interface ProgramCommandOptions {
  /** `auto` (default): dist unless the source is newer; `dist` or `source` force one. */
  from?: "auto" | "dist" | "source";
}

export interface ProgramSpec extends ProgramCommandOptions {
  /** The compiled entry point, relative to the package root (`dist/demo/main.js`). */
  readonly built: string;
  /** The source entry point, relative to the package root (`src/demo/main.ts`). */
  readonly source: string;
  /**
   * The folders of `src/` the program is made of (`["demo", "errors"]`, or
   * `["."]` for all of it), searched recursively: a newer `.ts` file in any
   * of them makes the build stale.
   */
  readonly watch: readonly string[];
  /** The package root; default {@link packageRoot}. */
  readonly root?: string;
}

/** The package root: this file is `<root>/src/programs/launch.ts` or `<root>/dist/programs/launch.js`. */
export function packageRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
}

/** The command that starts one of the package's programs; append the program's arguments to `args`. */
export function programCommand(spec: ProgramSpec): ProgramCommand {
  const from = spec.from ?? "auto";
  const root = spec.root ?? packageRoot();
  const built = join(root, spec.built);
  const source = join(root, spec.source);
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
    const builtAt = haveBuilt ? statSync(built).mtimeMs : 0;
    useBuilt =
      haveBuilt &&
      (!haveSource || !spec.watch.some((dir) => sourceNewerThan(join(root, "src", dir), builtAt)));
    if (!useBuilt && !haveSource) throw new Error(`neither ${built} nor ${source} exists`);
  }
  if (useBuilt) return { command: process.execPath, args: [built] };
  // Resolve tsx from this package, not from the child's working directory (which is often a temp dir).
  const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
  return { command: process.execPath, args: ["--import", tsxLoader, source] };
}

/** Whether any `.ts` file under `dir` (recursively) was modified after `mtimeMs`. */
function sourceNewerThan(dir: string, mtimeMs: number): boolean {
  if (!existsSync(dir)) return false;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (sourceNewerThan(path, mtimeMs)) return true;
    } else if (entry.name.endsWith(".ts") && statSync(path).mtimeMs > mtimeMs) return true;
  }
  return false;
}
