/**
 * Snapshots: what the sync verifiers judge.
 *
 * A snapshot is a canonical JSON value of one actor's (or one replica's)
 * state, taken through the system's adapter after the run (and between the
 * steps of a scenario): the entities it holds, field by field, and, when the
 * system has one, the event log it has seen, with the server's sequence
 * numbers. Verifiers are pure functions of snapshots (and, for some, of what
 * the chaos engine's model says was written), returning a check result:
 * `valid: true` only when they compared something, `"unknown"` with the
 * reason when there was nothing to compare.
 */
import { createHash } from "node:crypto";
import type { CheckResult } from "../types.js";

/** One event of an actor's log, as its snapshot shows it. */
export interface SnapshotEvent {
  /** The server's sequence number; `null` for an event the server has not acknowledged. */
  readonly seq: number | null;
  /** Unique per mutation: the same event on two actors has the same id. */
  readonly eventId: string;
  /** Who made the event. */
  readonly actor?: string;
  readonly entity: string;
  /** `create`, `update`, `delete`, ...: `causalOrder` wants an entity's `create` first. */
  readonly action: string;
  /** The fields the event meant to set (for `fieldLevelMerge`). */
  readonly fields?: Readonly<Record<string, unknown>>;
  /**
   * The event's causal clock as a string whose order is the merge order (a
   * zero-padded hybrid logical clock, say). `fieldLevelMerge` judges by it.
   */
  readonly clock?: string;
}

export interface SyncSnapshot {
  /** The actor or replica the snapshot is of. */
  readonly owner: string;
  /** Entity id → its fields. */
  readonly entities: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** The event log, when the system keeps one; verifiers of the log say `unknown` without it. */
  readonly events?: readonly SnapshotEvent[];
}

/** A verifier's result: a check result under the verifier's name, with the findings as lines. */
export interface VerificationResult extends CheckResult {
  readonly name: string;
  /** What was compared and what differed, one finding per line (empty when there is nothing to say). */
  readonly details: readonly string[];
  /**
   * The verifier does not apply to this system (it needs evidence the
   * system does not keep, such as a server event log with sequence
   * numbers): `valid` is then `"unknown"` and `explanation` says why. Not a
   * pass and not a failure; see {@link notApplicable}.
   */
  readonly notApplicable?: true;
}

/** How a verification ended, for the report: `notApplicable` is neither a pass nor a failure. */
export type VerificationStatus = "passed" | "failed" | "unknown" | "notApplicable";

/** The report's shape of a verification (`results.json` `verifications`). */
export interface ReportVerification {
  readonly name: string;
  /** True only for `valid: true`: unknown and not applicable are not a pass. */
  readonly passed: boolean;
  readonly status: VerificationStatus;
  readonly details: string;
}

export function verificationStatus(result: VerificationResult): VerificationStatus {
  if (result.notApplicable === true) return "notApplicable";
  return result.valid === true ? "passed" : result.valid === false ? "failed" : "unknown";
}

export function toReportVerification(result: VerificationResult): ReportVerification {
  const head = result.valid === true ? "" : (result.explanation ?? "");
  return {
    name: result.name,
    passed: result.valid === true,
    status: verificationStatus(result),
    details: [head, ...result.details].filter((line) => line !== "").join("\n"),
  };
}

/** JSON with object keys sorted at every level: equal states give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value === "object" && value !== null) {
    const record = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(record)
        .sort()
        .map((key) => [key, sortKeys(record[key])]),
    );
  }
  return value;
}

/** SHA-256 of the canonical JSON (hex): what `idempotency` compares. */
export function snapshotHash(snapshot: SyncSnapshot): string {
  return createHash("sha256").update(canonicalJson(snapshot)).digest("hex");
}

/** Build a result: invalid when there are failures, else valid, with the notes and failures as details. */
export function verdict(
  name: string,
  failures: readonly string[],
  notes: readonly string[],
  summary: { ok: string; failed: string },
): VerificationResult {
  if (failures.length === 0) return { name, valid: true, explanation: summary.ok, details: [...notes] };
  return { name, valid: false, explanation: summary.failed, details: [...failures, ...notes] };
}

export function unknown(name: string, reason: string): VerificationResult {
  return { name, valid: "unknown", explanation: reason, details: [] };
}

/**
 * A verifier that does not apply to the system under test, with the reason
 * in words ("a Yjs server keeps no event log with sequence numbers"). It is
 * reported as N/A, never as a pass: a run passes on it only when some other
 * verifier passed.
 */
export function notApplicable(name: string, reason: string): VerificationResult {
  return {
    name,
    valid: "unknown",
    explanation: `not applicable: ${reason}`,
    details: [],
    notApplicable: true,
  };
}

/** A value as words: strings quoted, absent as "nothing". */
export function shown(value: unknown): string {
  return value === undefined ? "nothing" : JSON.stringify(value);
}

/** Cap on the findings a verifier lists (the count says how many were left off): a bound on a report. */
export const MAX_FINDINGS = 50;

export function capped(findings: string[]): string[] {
  if (findings.length <= MAX_FINDINGS) return findings;
  return [...findings.slice(0, MAX_FINDINGS), `... and ${findings.length - MAX_FINDINGS} more`];
}
