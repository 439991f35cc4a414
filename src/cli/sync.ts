/**
 * `crucible run --workload sync`: the flags of `run` turned into a sync test
 * (`src/tests/sync.ts`), its report printed, its exit code returned.
 *
 *   crucible run --workload sync --target demo-sync --actors 3 [--demo-mode row-lww] [--scenario NAME]
 *   crucible run --workload sync --target yjs --actors 3 [--demo-mode drop-offline-edits]
 */
import { UsageError } from "../errors/index.js";
import type { ScenarioName } from "../sync/scenarios.js";
import { runSyncTest, SYNC_TARGET_MODES, SYNC_TARGETS, type SyncTarget } from "../tests/sync.js";

export interface SyncRunFlags {
  readonly seed: number;
  readonly target: string;
  readonly demoMode: string;
  readonly actors?: number;
  readonly scenario?: string;
  readonly timeLimit: number;
  readonly nemesis: readonly string[];
  readonly store: string;
  readonly json: boolean;
}

/** Default number of actors of a sync run. */
export const SYNC_ACTORS_DEFAULT = 3;

export async function executeSyncRun(
  flags: SyncRunFlags,
  reproduce: string,
  argv: readonly string[],
): Promise<number> {
  // `demo` is `--target`'s default (the register demo); under the sync workload it means the sync demo.
  const target = flags.target === "demo" ? "demo-sync" : flags.target;
  if (!(SYNC_TARGETS as readonly string[]).includes(target)) {
    throw new UsageError(
      `--workload sync runs against ${SYNC_TARGETS.join(", ")}, not --target ${flags.target}`,
    );
  }
  // `linearizable` is the register demo's default mode; for a sync target the default is `correct`.
  const mode = flags.demoMode === "linearizable" ? "correct" : flags.demoMode;
  const modes = SYNC_TARGET_MODES[target as SyncTarget];
  if (!modes.includes(mode)) {
    throw new UsageError(
      `--demo-mode for ${target} must be one of ${modes.join(", ")}, not ${flags.demoMode}`,
    );
  }
  const actors = flags.actors ?? SYNC_ACTORS_DEFAULT;
  if (actors < 2)
    throw new UsageError(`--actors must be at least 2 for a sync run (got ${actors}): sync needs two sides`);
  const err = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  err(`seed: ${flags.seed}    (replay: ${reproduce})`);
  const stop = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) process.exit(3);
    err(`${signal}: stopping the sync run cleanly (again to abort at once)`);
    stop.abort(new Error(signal));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const outcome = await runSyncTest({
      target: target as SyncTarget,
      mode,
      seed: flags.seed,
      actors,
      timeLimitMs: flags.timeLimit,
      faults: !(flags.nemesis.length === 0 || flags.nemesis.includes("none")),
      ...(flags.scenario === undefined ? {} : { scenario: flags.scenario as ScenarioName }),
      storeDir: flags.store,
      reproduce,
      argv,
      signal: stop.signal,
      log: err,
    });
    if (flags.json) process.stdout.write(`${JSON.stringify(outcome.results, null, 2)}\n`);
    else process.stdout.write(`${outcome.summary}\n`);
    return outcome.exitCode;
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
  }
}
