/**
 * The built-in sync test (`crucible run --workload sync`): a run of the
 * sync harness against a shipped target, stored like every run —
 * `store/sync-<target>/<timestamp>/` with `test.json`, `history.jsonl` (every
 * chaos action as an op), `results.json` (the verifications as checkers, and
 * the CI report under `sync`, with `pass`), `report.html`, `junit.xml`, and
 * `sync/` (the server's data dir and every log).
 */
import { join, resolve } from "node:path";
import type { CheckResult } from "../checker/types.js";
import { SYNC_DEMO_MODES, type SyncDemoMode } from "../demo-sync/protocol.js";
import { ExitCode, type ExitCodeValue } from "../errors/index.js";
import { crucibleVersion } from "../errors/version.js";
import { summarize } from "../history/analysis.js";
import type { Results, TestInfo } from "../history/results.js";
import { writeRunReport } from "../report/index.js";
import { createRunDir, updateLatestLink, writeJsonFile } from "../store/store.js";
import { demoSyncSystem } from "../sync/demo-sync.js";
import type { SyncSystem } from "../sync/harness.js";
import { formatSyncReport, type SyncReport } from "../sync/report.js";
import { runSync } from "../sync/run.js";
import type { ScenarioName } from "../sync/scenarios.js";
import { yjsSyncSystem } from "../sync/yjs.js";
import { YJS_CLIENT_MODES, type YjsClientMode } from "../yjs-sync/protocol.js";

/** The shipped sync targets: the demo offline-first app, and Yjs (a real CRDT sync stack from npm). */
export const SYNC_TARGETS = ["demo-sync", "yjs"] as const;
export type SyncTarget = (typeof SYNC_TARGETS)[number];

/** Each target's modes (`--demo-mode`): `correct`, then the deliberately wrong ones. */
export const SYNC_TARGET_MODES: Readonly<Record<SyncTarget, readonly string[]>> = {
  "demo-sync": SYNC_DEMO_MODES,
  yjs: YJS_CLIENT_MODES,
};

/** The target's system under test in the given mode (validated by the caller against `SYNC_TARGET_MODES`). */
export function syncSystemFor(target: SyncTarget, mode: string): SyncSystem {
  return target === "yjs"
    ? yjsSyncSystem({ clientMode: mode as YjsClientMode })
    : demoSyncSystem({ mode: mode as SyncDemoMode });
}

export interface SyncTestOptions {
  readonly target: SyncTarget;
  /** The target's mode: demo-sync's server mode, or the Yjs client's mode. */
  readonly mode: string;
  readonly seed: number;
  readonly actors: number;
  readonly timeLimitMs: number;
  readonly faults: boolean;
  /** One scenario alone (no chaos phase), or undefined: chaos, then every scenario. */
  readonly scenario?: ScenarioName;
  /** With no `scenario`: the scenarios run after the chaos phase. Default all (a test runs fewer, for time). */
  readonly scenarios?: readonly ScenarioName[];
  readonly storeDir: string;
  readonly reproduce: string;
  readonly argv: readonly string[];
  readonly signal?: AbortSignal;
  readonly log?: (line: string) => void;
}

export interface SyncTestOutcome {
  readonly runDir: string;
  readonly report: SyncReport;
  readonly results: Results;
  readonly exitCode: ExitCodeValue;
  /** The report as text for a terminal: per-action table, verification list, PASS/FAIL. */
  readonly summary: string;
}

export async function runSyncTest(options: SyncTestOptions): Promise<SyncTestOutcome> {
  const startedAt = new Date();
  const name = `sync-${options.target}`;
  const runDir = createRunDir(options.storeDir, name, startedAt);
  const test: TestInfo = {
    name,
    seed: options.seed,
    startedAt: startedAt.toISOString(),
    reproduce: options.reproduce,
    argv: options.argv,
    timeLimitMs: options.timeLimitMs,
    concurrency: options.actors,
    nodes: 1,
    cluster: { name: options.target, variant: options.mode },
    nemesis: options.faults ? ["server-kill", "server-pause", "partition", "clock-skew"] : [],
    versions: { crucible: crucibleVersion(), node: process.version },
    spec: { workload: "sync", actors: options.actors, scenario: options.scenario ?? "chaos, then all" },
  };
  writeJsonFile(join(runDir, "test.json"), test);
  updateLatestLink(runDir);
  const { report, history, verifications } = await runSync({
    system: syncSystemFor(options.target, options.mode),
    seed: options.seed,
    actors: options.actors,
    dir: join(runDir, "sync"),
    historyPath: join(runDir, "history.jsonl"),
    actions: Number.MAX_SAFE_INTEGER,
    timeLimitMs: options.timeLimitMs,
    faults: options.faults,
    ...(options.scenario === undefined
      ? options.scenarios === undefined
        ? {}
        : { scenarios: options.scenarios }
      : { scenarios: [options.scenario], chaos: false }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const checkers: Record<string, CheckResult> = {};
  // A verifier that does not apply is not a checker that could not decide (JUnit would call it an
  // error): it is a note with its reason, and N/A in the sync report.
  const notes: string[] = [];
  for (const v of verifications) {
    if (v.notApplicable) notes.push(`${v.name}: ${v.explanation ?? "not applicable"}`);
    else checkers[v.name] = { valid: v.valid, explanation: v.explanation, details: v.details };
  }
  checkers.chaosActions = {
    valid: report.results.unexpectedFail === 0,
    explanation:
      report.results.unexpectedFail === 0
        ? `${report.results.total} actions, no unexpected failure`
        : `${report.results.unexpectedFail} action(s) failed unexpectedly`,
  };
  const anyFalse = Object.values(checkers).some((c) => c.valid === false);
  const interrupted = options.signal?.aborted ?? false;
  // `sync` is an extra field: the CI report of the seed's shape, beside the fields every run has.
  const results: Results & { sync: SyncReport } = {
    valid: anyFalse ? false : report.pass ? true : "unknown",
    checkers,
    complete: !interrupted,
    ...(interrupted ? { error: "interrupted" } : {}),
    stats: summarize(history),
    notes,
    sync: report,
  };
  writeJsonFile(join(runDir, "results.json"), results);
  try {
    await writeRunReport(runDir);
  } catch (error) {
    options.log?.(`warning: could not write the report: ${(error as Error).message}`);
  }
  const exitCode = interrupted
    ? ExitCode.runFailed
    : results.valid === true
      ? ExitCode.valid
      : results.valid === false
        ? ExitCode.invalid
        : ExitCode.unknown;
  const summary = `${formatSyncReport(report)}\nrun: ${resolve(runDir)}`;
  return { runDir, report, results, exitCode, summary };
}
