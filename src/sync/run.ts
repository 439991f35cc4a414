/**
 * One sync run, start to end: start the harness (server and actors), run the
 * seeded chaos engine for a number of actions or a time limit (with a burst
 * without sync every so often), heal every fault, sync to quiescence, run
 * every verifier, then the named scenarios, and build the report.
 *
 * Every action is journaled to `history.jsonl` as it happens (a pair of ops,
 * see `engine.ts`); the report's counts are the engine's, which a test
 * recomputes from the journal.
 */
import type { VerificationResult } from "../checker/sync/index.js";
import { Journal } from "../history/journal.js";
import type { Op } from "../history/op.js";
import { Random } from "../random/random.js";
import { STREAMS } from "../random/streams.js";
import {
  createdEntities,
  type DemoSyncModel,
  demoSyncActions,
  demoSyncModel,
  healDemoSync,
} from "./demo-sync.js";
import { ChaosEngine, type OpSink } from "./engine.js";
import { type SyncActor, type SyncSystem, startSyncHarness } from "./harness.js";
import { buildSyncReport, type SyncReport } from "./report.js";
import { SCENARIO_NAMES, SCENARIOS, type ScenarioName } from "./scenarios.js";
import { syncAndVerify } from "./verify.js";

export interface RunSyncOptions {
  readonly system: SyncSystem;
  readonly seed: number;
  readonly actors: number;
  /** A fresh directory: the server's data, the actors' homes, the logs. */
  readonly dir: string;
  /** Where the history is journaled. */
  readonly historyPath?: string;
  /** Stop the chaos phase after this many actions. Default 200. */
  readonly actions?: number;
  /** Stop the chaos phase after this long, whichever comes first. Default: no limit. */
  readonly timeLimitMs?: number;
  /** Faults among the chaos actions. Default true. */
  readonly faults?: boolean;
  /** Every this many actions, a burst of `burstSize` actions by one actor without sync. Default 50 (0: none). */
  readonly burstEvery?: number;
  readonly burstSize?: number;
  /** Scenarios to run after the chaos phase. Default: all. */
  readonly scenarios?: readonly ScenarioName[];
  /** Skip the chaos phase (a `--scenario` run). */
  readonly chaos?: boolean;
  readonly signal?: AbortSignal;
  /** Called after each action (progress). */
  readonly onAction?: (done: number) => void;
}

export interface RunSyncResult {
  readonly report: SyncReport;
  readonly history: Op[];
  readonly verifications: VerificationResult[];
}

/** An op sink over a journal: indexes, monotonic times since the run started, flushed per op. */
export function journalSink(journal: Journal | undefined, history: Op[]): OpSink {
  const startNs = process.hrtime.bigint();
  return {
    append(partial) {
      const op = { index: history.length, time: Number(process.hrtime.bigint() - startNs), ...partial } as Op;
      history.push(op);
      journal?.append(op);
      journal?.flush();
      return op;
    },
  };
}

export async function runSync(options: RunSyncOptions): Promise<RunSyncResult> {
  const started = performance.now();
  const root = new Random(options.seed);
  const history: Op[] = [];
  const journal = options.historyPath === undefined ? undefined : new Journal(options.historyPath);
  try {
    await using harness = await startSyncHarness({
      system: options.system,
      actors: options.actors,
      dir: options.dir,
      random: root.fork(STREAMS.syncHarness.label),
    });
    const model = demoSyncModel(harness);
    const engine = new ChaosEngine<DemoSyncModel, SyncActor>({
      actions: demoSyncActions({ faults: options.faults ?? true }),
      actors: harness.actors,
      model,
      random: root.fork(STREAMS.syncChaos.label),
      ops: journalSink(journal, history),
    });
    // Every actor learns the server's mode before its first mutation.
    let syncCount = await harness.syncAll(1);
    if (options.chaos ?? true) {
      const limit = options.actions ?? 200;
      const deadline = options.timeLimitMs === undefined ? Infinity : started + options.timeLimitMs;
      const burstEvery = options.burstEvery ?? 50;
      let done = 0;
      while (done < limit && performance.now() < deadline && !options.signal?.aborted) {
        if (burstEvery > 0 && done > 0 && done % burstEvery === 0) {
          done += (await engine.burst(Math.min(options.burstSize ?? 10, limit - done))).length;
        } else {
          await engine.runAction();
          done++;
        }
        options.onAction?.(done);
      }
    }
    await healDemoSync(model);
    const verifications: VerificationResult[] = [];
    if (options.chaos ?? true) {
      const verified = await syncAndVerify(harness, {
        created: createdEntities(model),
        eventBounds: model.eventBounds,
      });
      syncCount += verified.syncs;
      verifications.push(...verified.verifications);
    }
    syncCount += model.syncs;
    const scenarioRandom = root.fork(STREAMS.syncChaos.label).fork("scenarios");
    for (const name of options.scenarios ?? SCENARIO_NAMES) {
      if (options.signal?.aborted) break;
      verifications.push(...(await SCENARIOS[name](harness, scenarioRandom.fork(name))));
    }
    const report = buildSyncReport({
      seed: options.seed,
      engine,
      verifications,
      durationMs: performance.now() - started,
      syncCount,
    });
    return { report, history, verifications };
  } finally {
    journal?.close();
  }
}
