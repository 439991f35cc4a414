/**
 * How to start yjs-sync's processes, for the sync harness and tests:
 *
 *   const { command, args } = yjsSyncCommand("server");
 *   spawn(command, [...args, "--data-dir", dir, "--port", "0"], ...)
 *
 * `dist/yjs-sync/<part>.js` when built and not older than its sources, else
 * `src/yjs-sync/<part>.ts` through tsx (../programs/launch.ts).
 */
import { type ProgramCommand, programCommand } from "../programs/launch.js";

export type YjsSyncCommand = ProgramCommand;

/** `server` is the sync server, `client` the per-actor command-line app. */
export type YjsSyncPart = "server" | "client";

export function yjsSyncCommand(part: YjsSyncPart): YjsSyncCommand {
  return programCommand({
    built: `dist/yjs-sync/${part}.js`,
    source: `src/yjs-sync/${part}.ts`,
    watch: ["yjs-sync"],
  });
}
