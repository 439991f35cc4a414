/**
 * The yjs target: how the sync harness starts the Yjs sync server and runs
 * the per-actor Yjs client (`src/yjs-sync/`). The chaos engine, its model and
 * its actions are demo-sync's (`demoSyncActions`): they speak only the
 * system's verbs, which this client shares (`create`, `update`, `delete`,
 * `restore`, `undo`, `sync`, `show`, with the same exit codes).
 *
 *   await using harness = await startSyncHarness({ system: yjsSyncSystem(), actors: 3, dir, random });
 *
 * A Yjs server merges updates into one document and keeps no event log, so
 * the verifiers of the log (`eventCounts`, `actionLogConvergence`,
 * `causalOrder`, `monotonicSequence`) and the clock-driven
 * `fieldLevelMerge` of the chaos phase are N/A with the reason; the
 * scenarios' `fieldLevelMerge` against the values they wrote still runs.
 */
import type { SyncSnapshot } from "../checker/sync/index.js";
import { findLibfaketime } from "../faults/clock.js";
import { yjsSyncCommand } from "../yjs-sync/launch.js";
import { YJS_CLIENT_EXIT, YJS_ENV, type YjsClientMode } from "../yjs-sync/protocol.js";
import { type SyncSystem, WORD_VERBS } from "./harness.js";

export interface YjsSyncSystemOptions {
  /** The client's mode: `correct`, or the deliberately wrong `drop-offline-edits`. */
  readonly clientMode?: YjsClientMode;
  /** The bound on one client sync (connect, exchange, read back). Default 2000 ms. */
  readonly syncTimeoutMs?: number;
}

const NO_EVENT_LOG = "a Yjs server merges every update into one document and keeps no event log";

/** Why each log verifier does not apply to Yjs. */
export const YJS_NOT_APPLICABLE = {
  eventCounts: `${NO_EVENT_LOG}, so there are no events to count`,
  actionLogConvergence: `${NO_EVENT_LOG}, so there are no server sequence numbers to compare`,
  causalOrder: `${NO_EVENT_LOG} to order (Yjs applies an update only after those it depends on)`,
  monotonicSequence: `${NO_EVENT_LOG}, so there are no server sequence numbers`,
  fieldLevelMerge:
    "a Yjs snapshot carries no per-write clocks to tell the winning write by; the scenarios check field-level merge against the values they wrote",
} as const;

export function yjsSyncSystem(options: YjsSyncSystemOptions = {}): SyncSystem {
  const server = yjsSyncCommand("server");
  const client = yjsSyncCommand("client");
  const libfaketime = findLibfaketime();
  return {
    name: "yjs",
    server: ({ dataDir, port }) => ({
      command: server.command,
      args: [...server.args, "--data-dir", dataDir, "--port", String(port)],
    }),
    healthPath: "/health",
    client,
    actorEnv: (actor, serverUrl) => ({
      [YJS_ENV.server]: serverUrl,
      [YJS_ENV.dataDir]: actor.dataDir,
      [YJS_ENV.actor]: actor.name,
      [YJS_ENV.timeoutMs]: String(options.syncTimeoutMs ?? 2000),
      [YJS_ENV.mode]: options.clientMode ?? "correct",
    }),
    syncArgs: ["sync"],
    retrySyncArgs: ["sync", "--retry-last"],
    verbs: WORD_VERBS,
    // Yjs merges by causality, not by time; the skew (libfaketime, the whole process's wall clock) must not matter.
    ...(libfaketime === undefined
      ? {}
      : {
          clockOffsetEnv: (offsetMs: number) => ({
            LD_PRELOAD: libfaketime,
            FAKETIME: `${offsetMs < 0 ? "-" : "+"}${Math.abs(offsetMs) / 1000}`,
            FAKETIME_DONT_FAKE_MONOTONIC: "1",
          }),
        }),
    snapshotArgs: ["show"],
    parseSnapshot(stdout, actor): SyncSnapshot {
      const value = JSON.parse(stdout) as { entities: SyncSnapshot["entities"] };
      return { owner: actor, entities: value.entities };
    },
    failureKind: (result) =>
      result.code === YJS_CLIENT_EXIT.invalidTransition
        ? "refused"
        : result.code === YJS_CLIENT_EXIT.unreachable
          ? "unreachable"
          : "other",
    notApplicable: YJS_NOT_APPLICABLE,
  };
}
