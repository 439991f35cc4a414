/**
 * The sync verifiers: checkers over snapshots of actors' or replicas' state
 * (see `snapshot.ts`), each returning a named result.
 *
 *   const snapshots = await Promise.all(actors.map((a) => adapter.snapshot(a)));
 *   const results = [verifyConvergence(snapshots), verifyMonotonicSequence(snapshots)];
 */
export { diffEntities, verifyConvergence, verifyIdempotency } from "./convergence.js";
export {
  type EventCountsOptions,
  verifyActionLogConvergence,
  verifyCausalOrder,
  verifyEventCounts,
  verifyMonotonicSequence,
} from "./event-log.js";
export {
  canonicalJson,
  notApplicable,
  type ReportVerification,
  type SnapshotEvent,
  type SyncSnapshot,
  snapshotHash,
  toReportVerification,
  type VerificationResult,
  type VerificationStatus,
  verificationStatus,
} from "./snapshot.js";
export {
  type CreatedEntity,
  type FieldLevelMergeOptions,
  verifyFieldLevelMerge,
  verifyReadYourWrites,
} from "./writes.js";
