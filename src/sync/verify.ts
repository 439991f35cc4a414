/**
 * After the chaos: sync everyone to quiescence, take every actor's snapshot,
 * and run every verifier over them.
 *
 * `idempotency` syncs `idempotencyRounds` more rounds (re-sending each
 * client's last push when the system can, as after a lost acknowledgement)
 * and wants every snapshot unchanged.
 */
import {
  type CreatedEntity,
  type SyncSnapshot,
  type VerificationResult,
  verifyActionLogConvergence,
  verifyCausalOrder,
  verifyConvergence,
  verifyEventCounts,
  verifyFieldLevelMerge,
  verifyIdempotency,
  verifyMonotonicSequence,
  verifyReadYourWrites,
} from "../checker/sync/index.js";
import type { SyncHarness } from "./harness.js";

export interface VerifyAllOptions {
  /** Who created what, per the model (`readYourWrites`). */
  readonly created: readonly CreatedEntity[];
  /** Event-count bounds per entity, per the model (`eventCounts`). */
  readonly eventBounds?: ReadonlyMap<string, { readonly min: number; readonly max: number }>;
  /** Extra sync rounds for `idempotency`. Default 2. */
  readonly idempotencyRounds?: number;
}

export interface VerifyAllResult {
  readonly verifications: VerificationResult[];
  /** The snapshots after quiescence (before the idempotency rounds). */
  readonly snapshots: SyncSnapshot[];
  /** Syncs run here. */
  readonly syncs: number;
}

/** Every verifier over the actors' snapshots (the harness must be healed and the actors synced). */
export function verifySnapshots(
  snapshots: readonly SyncSnapshot[],
  options: VerifyAllOptions,
): VerificationResult[] {
  const expected = options.eventBounds === undefined ? undefined : Object.fromEntries(options.eventBounds);
  return [
    verifyConvergence(snapshots),
    verifyEventCounts(snapshots, expected === undefined ? {} : { expected }),
    verifyActionLogConvergence(snapshots),
    verifyCausalOrder(snapshots),
    verifyMonotonicSequence(snapshots),
    verifyReadYourWrites(snapshots, options.created),
    verifyFieldLevelMerge(snapshots),
  ];
}

export async function syncAndVerify(
  harness: SyncHarness,
  options: VerifyAllOptions,
): Promise<VerifyAllResult> {
  const rounds = options.idempotencyRounds ?? 2;
  let syncs = await harness.syncAll();
  const snapshots = await harness.snapshots();
  const verifications = verifySnapshots(snapshots, options);
  syncs += await harness.syncAll(rounds, { retry: true });
  const after = await harness.snapshots();
  verifications.push(verifyIdempotency(snapshots, after, { rounds }));
  return { verifications, snapshots, syncs };
}
