/**
 * The sync run's report for CI: the shape `results.json` carries under
 * `sync`, with `pass` true only when no action failed unexpectedly, every
 * verification passed or does not apply to the system (N/A, with its
 * reason), and at least one passed (an `unknown` verification is not a pass,
 * and a run of nothing but N/A proves nothing).
 */
import {
  type ReportVerification,
  toReportVerification,
  type VerificationResult,
} from "../checker/sync/index.js";
import type { ActionStats, ChaosEngine } from "./engine.js";

export interface SyncReport {
  readonly seed: number;
  /** Actions the chaos engine ran (skips included). */
  readonly actions: number;
  readonly durationMs: number;
  readonly actors: number;
  readonly results: {
    total: number;
    ok: number;
    expectedFail: number;
    unexpectedFail: number;
    skipped: number;
  };
  readonly perAction: Record<string, ActionStats>;
  readonly verifications: readonly ReportVerification[];
  readonly syncStats: { readonly count: number };
  readonly pass: boolean;
}

export function buildSyncReport(options: {
  seed: number;
  // biome-ignore lint/suspicious/noExplicitAny: the report reads only the engine's counts, whatever its model.
  engine: ChaosEngine<any, { readonly name: string }>;
  verifications: readonly VerificationResult[];
  durationMs: number;
  syncCount: number;
}): SyncReport {
  const results = options.engine.totals();
  const verifications = options.verifications.map(toReportVerification);
  const perAction = Object.fromEntries(
    [...options.engine.perAction.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => [k, { ...v }]),
  );
  return {
    seed: options.seed,
    actions: results.total,
    durationMs: Math.round(options.durationMs),
    actors: options.engine.actors.length,
    results,
    perAction,
    verifications,
    syncStats: { count: options.syncCount },
    pass:
      results.unexpectedFail === 0 &&
      verifications.some((v) => v.passed) &&
      verifications.every((v) => v.passed || v.status === "notApplicable"),
  };
}

const STATUS_WORD = { passed: "PASS", failed: "FAIL", unknown: "UNKNOWN", notApplicable: "N/A " } as const;

/** The report as lines for a terminal: the per-action table, then the verification list. */
export function formatSyncReport(report: SyncReport): string {
  const rows = Object.entries(report.perAction).filter(
    ([, s]) => s.ok + s.expectedFail + s.unexpectedFail + s.skipped > 0,
  );
  const width = Math.max(6, ...rows.map(([name]) => name.length));
  const lines = [
    `sync run: seed ${report.seed}, ${report.actors} actors, ${report.actions} actions in ${(report.durationMs / 1000).toFixed(1)} s, ${report.syncStats.count} syncs`,
    `${"action".padEnd(width)}  ${"ok".padStart(5)}  ${"expFail".padStart(7)}  ${"unexpFail".padStart(9)}  ${"skipped".padStart(7)}`,
    ...(rows.length === 0 ? ["(no chaos phase)"] : []),
    ...rows.map(
      ([name, s]) =>
        `${name.padEnd(width)}  ${String(s.ok).padStart(5)}  ${String(s.expectedFail).padStart(7)}  ${String(s.unexpectedFail).padStart(9)}  ${String(s.skipped).padStart(7)}`,
    ),
    "verifications:",
    ...report.verifications.map((v) => {
      const [first, ...rest] = v.details.split("\n");
      // "N/A name: reason", not "N/A name: not applicable: reason".
      const head = v.status === "notApplicable" ? first?.replace(/^not applicable: /, "") : first;
      return [
        `  ${STATUS_WORD[v.status]} ${v.name}${head ? `: ${head}` : ""}`,
        ...rest.slice(0, 10).map((l) => `       ${l}`),
      ].join("\n");
    }),
    report.pass ? "PASS" : "FAIL",
  ];
  return lines.join("\n");
}
