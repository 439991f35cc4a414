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
  notApplicable,
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
import type { SyncHarness, SyncVerifierName } from "./harness.js";

export interface VerifyAllOptions {
  /** Who created what, per the model (`readYourWrites`). */
  readonly created: readonly CreatedEntity[];
  /** Event-count bounds per entity, per the model (`eventCounts`). */
  readonly eventBounds?: ReadonlyMap<string, { readonly min: number; readonly max: number }>;
  /** Extra sync rounds for `idempotency`. Default 2. */
  readonly idempotencyRounds?: number;
  /** Verifiers reported as N/A with their reason instead of run (the system's `notApplicable`). */
  readonly notApplicable?: Readonly<Partial<Record<SyncVerifierName, string>>>;
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
  const verifiers: [SyncVerifierName, () => VerificationResult][] = [
    ["convergence", () => verifyConvergence(snapshots)],
    ["eventCounts", () => verifyEventCounts(snapshots, expected === undefined ? {} : { expected })],
    ["actionLogConvergence", () => verifyActionLogConvergence(snapshots)],
    ["causalOrder", () => verifyCausalOrder(snapshots)],
    ["monotonicSequence", () => verifyMonotonicSequence(snapshots)],
    ["readYourWrites", () => verifyReadYourWrites(snapshots, options.created)],
    ["fieldLevelMerge", () => verifyFieldLevelMerge(snapshots)],
  ];
  return verifiers.map(([name, verify]) => applicable(name, options, verify));
}

/** The verifier's result, or N/A with the system's reason when the system says it does not apply. */
function applicable(
  name: SyncVerifierName,
  options: Pick<VerifyAllOptions, "notApplicable">,
  verify: () => VerificationResult,
): VerificationResult {
  const reason = options.notApplicable?.[name];
  return reason === undefined ? verify() : notApplicable(name, reason);
}

export async function syncAndVerify(
  harness: SyncHarness,
  options: VerifyAllOptions,
): Promise<VerifyAllResult> {
  const rounds = options.idempotencyRounds ?? 2;
  const withSystem = { ...options, notApplicable: options.notApplicable ?? harness.system.notApplicable };
  let syncs = await harness.syncAll();
  const snapshots = await harness.snapshots();
  const verifications = verifySnapshots(snapshots, withSystem);
  syncs += await harness.syncAll(rounds, { retry: true });
  const after = await harness.snapshots();
  verifications.push(
    applicable("idempotency", withSystem, () => verifyIdempotency(snapshots, after, { rounds })),
  );
  return { verifications, snapshots, syncs };
}
