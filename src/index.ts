/**
 * Crucible's public API: everything a test file imports.
 *
 * The five interfaces a user writes against (docs/architecture.md): `Cluster`/`Node`,
 * `Client`, `Generator`, `Nemesis`, `Checker`; and what Crucible ships for
 * each of them.
 */

// Actors: client-side processes of the system under test
export * from "./actors/index.js";
export { type BankError, type BankOptions, bank } from "./checker/bank.js";
export {
  type HistoryCheckerName,
  type HistoryCheckerOptions,
  historyChecker,
  historyCheckerNames,
} from "./checker/by-name.js";
export {
  compose,
  DEFAULT_CHECKER_TIMEOUT_MS,
  mergeValidity,
  only,
  runChecker,
  validateResult,
} from "./checker/compose.js";
export { type CounterRead, counterChecker } from "./checker/counter.js";
export { unhandledExceptions } from "./checker/exceptions.js";
export * from "./checker/intervals/index.js";
export * from "./checker/linearizable/index.js";
export { type LongFork, type LongForkOptions, longFork } from "./checker/long-fork.js";
export * from "./checker/models/index.js";
export { setChecker } from "./checker/set.js";
export { type ElementOutcome, type ElementReport, type SetFullOptions, setFull } from "./checker/set-full.js";
export { stats } from "./checker/stats.js";
// Sync systems: the verifiers over snapshots, the harness, the chaos engine, the scenarios, demo-sync
export * from "./checker/sync/index.js";
export * from "./checker/txn/index.js";
// Checkers
export type * from "./checker/types.js";
export { uniqueIds } from "./checker/unique-ids.js";
export { demoClient } from "./client/demo.js";
export { etcdClient } from "./client/etcd.js";
export {
  type EtcdKeyValue,
  EtcdLeaseClient,
  type EtcdLeaseClientOptions,
  EtcdRequestError,
  etcdLeaseClient,
} from "./client/etcd-lease.js";
export {
  type EtcdRwRegisterClient,
  type EtcdRwRegisterClientOptions,
  etcdRwRegisterClient,
} from "./client/etcd-txn.js";
export { postgresClient } from "./client/postgres.js";
export {
  type MicroOp,
  type PostgresBankClient,
  type PostgresBankClientOptions,
  type PostgresTxnClient,
  type PostgresTxnClientOptions,
  type PostgresTxnIsolation,
  postgresBankClient,
  postgresListAppendClient,
  postgresRwRegisterClient,
} from "./client/postgres-txn.js";
export { redisClient } from "./client/redis.js";
// Clients
export type * from "./client/types.js";
// Clusters
export * from "./cluster/index.js";
// External control
export * from "./control/index.js";
// Datadriven tests (the vitest and node:test adapters are the subpaths crucible/datadriven/vitest and /node-test)
export * from "./datadriven/index.js";
// The demo system under test
export { crucibleCliCommand, demoServerCommand } from "./demo/launch.js";
export { syncDemoCommand } from "./demo-sync/launch.js";
export { SYNC_DEMO_MODES, type SyncDemoMode } from "./demo-sync/protocol.js";
// CLI exit codes
export { ExitCode, exitCodeForValidity, UsageError } from "./errors/index.js";
export * from "./faults/index.js";
export * from "./faults/partition.js";
export * from "./faults/proxy/index.js";
// Faults
export type * from "./faults/types.js";
// Generators
export * from "./generator/index.js";
export { filterOps, latencySummary, pairOps, partnerIndex, quantile, summarize } from "./history/analysis.js";
export * from "./history/intervals.js";
export { Journal } from "./history/journal.js";
// Histories
export * from "./history/op.js";
export { readHistoryFile, streamHistory } from "./history/reader.js";
export type * from "./history/results.js";
// Randomness
export { freshSeed, parseSeed, Random } from "./random/random.js";
// Reports
export * from "./report/index.js";
export { type FaultPlan, nemesisForRun } from "./runner/nemesis-for-run.js";
export type { RunTestConfig, RunTestOutcome } from "./runner/run-test.js";
export { runTest } from "./runner/run-test.js";
export type { Progress, RunnerConfig } from "./runner/runner.js";
export { Runner } from "./runner/runner.js";
export type { ClusterContext, RunOptions, TestDefinition, TestSpec } from "./runner/spec.js";
// Tests and running them
export { defineTest, resolveTest } from "./runner/spec.js";
export * from "./sync/index.js";
export { yjsSyncCommand } from "./yjs-sync/launch.js";
export { YJS_CLIENT_MODES, type YjsClientMode } from "./yjs-sync/protocol.js";
