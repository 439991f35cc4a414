/**
 * How to start demo-sync's processes, for the sync harness and tests:
 *
 *   const { command, args } = syncDemoCommand("server");
 *   spawn(command, [...args, "--data-dir", dir, "--port", "0"], ...)
 *
 * `dist/demo-sync/<part>.js` when built and not older than its sources, else
 * `src/demo-sync/<part>.ts` through tsx (../programs/launch.ts).
 */
import { type ProgramCommand, programCommand } from "../programs/launch.js";

export type SyncDemoCommand = ProgramCommand;

/** `server` is the sync server, `client` the per-actor command-line app. */
export type SyncDemoPart = "server" | "client";

export function syncDemoCommand(part: SyncDemoPart): SyncDemoCommand {
  return programCommand({
    built: `dist/demo-sync/${part}.js`,
    source: `src/demo-sync/${part}.ts`,
    watch: ["demo-sync"],
  });
}
