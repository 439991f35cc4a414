/**
 * The multi-actor sync harness: actors of a client binary with their own
 * homes and local stores, a sync server restarted on its data dir, the chaos
 * engine over a state model, the named scenarios and the CI report. The
 * verifiers it runs are in `checker/sync/`. See docs/sync.md.
 */
export {
  createdEntities,
  type DemoSyncModel,
  type DemoSyncSystemOptions,
  demoSyncActions,
  demoSyncModel,
  demoSyncSystem,
  faultActions,
  healDemoSync,
  type ModelEntity,
} from "./demo-sync.js";
export {
  type ActionDef,
  type ActionOutcome,
  type ActionRecord,
  type ActionStats,
  ChaosEngine,
  type ChaosEngineOptions,
  emptyStats,
  type OpSink,
  type OutcomeClass,
  statsFromHistory,
} from "./engine.js";
export {
  ACTOR_NAMES,
  actorName,
  type StartSyncHarnessOptions,
  SYNC_ROUNDS_DEFAULT,
  type SyncActor,
  type SyncHarness,
  type SyncServerHandle,
  type SyncSystem,
  type SyncVerbs,
  type SyncVerifierName,
  startSyncHarness,
} from "./harness.js";
export { buildSyncReport, formatSyncReport, type SyncReport } from "./report.js";
export { journalSink, type RunSyncOptions, type RunSyncResult, runSync } from "./run.js";
export { SCENARIO_NAMES, SCENARIOS, type Scenario, type ScenarioName } from "./scenarios.js";
export { syncAndVerify, type VerifyAllOptions, type VerifyAllResult, verifySnapshots } from "./verify.js";
export { YJS_NOT_APPLICABLE, type YjsSyncSystemOptions, yjsSyncSystem } from "./yjs.js";
