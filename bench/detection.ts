/**
 * Detection power: how often does `crucible run` at its default flags find
 * the anomaly of a configuration known to be wrong, and how often does it
 * (rightly) call a correct configuration valid? Each configuration runs over
 * N seeds for a fixed time limit, through the real CLI, as a user types it.
 *
 * Prints, per configuration: runs with the expected verdict / N, the verdicts
 * seen, for the wrong ones the median time from the start of the run to the
 * first op of the first anomaly (the earliest op the checker names; a sync
 * verification names entities, not ops, so its rows have none), and which
 * checkers caught it, with in how many runs each (a sync run's checkers are
 * its verifications, `<scenario>/<verifier>` for a scenario's).
 * Target (issue 19): ≥ 9/10 for every known-wrong configuration, 10/10 valid
 * for every correct one, at a 20 s time limit.
 *
 *   npx tsx bench/detection.ts [seeds=10] [timeLimitS=20] [filter] [extra flags]
 *
 * `filter` keeps only configurations whose name contains it (e.g. `demo`;
 * `""` for all). `extra flags` are appended to every run, to measure what a
 * default bought by putting the old one back (e.g. `"--concurrency 5
 * --op-timeout 5s"`, the defaults before issue 19). Each run's verdict goes
 * to stderr as it ends, the table to stdout.
 *
 * A new known-wrong (or known-right) configuration is one more row of
 * {@link CONFIGURATIONS}: a name, the CLI flags a user would type, the verdict
 * a correct tester gives, and the binary it needs.
 * Configurations whose system is not installed (etcd, redis-server) are
 * skipped with a message.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

interface Configuration {
  name: string;
  /** The verdict a correct tester gives. */
  expected: "valid" | "invalid";
  args: string[];
  /** A binary the configuration needs on PATH. */
  needs?: string;
}

const CONFIGURATIONS: readonly Configuration[] = [
  {
    name: "demo stale-reads, partitions",
    expected: "invalid",
    args: ["--demo-mode", "stale-reads", "--nemesis", "partition"],
  },
  {
    name: "etcd serializable reads, partitions",
    expected: "invalid",
    args: [
      "--target",
      "etcd",
      "--nodes",
      "3",
      "--read-consistency",
      "serializable",
      "--nemesis",
      "partition",
    ],
    needs: "etcd",
  },
  {
    name: "redis replica reads, pauses",
    expected: "invalid",
    args: ["--target", "redis", "--read-from", "replica", "--nemesis", "pause"],
    needs: "redis-server",
  },
  { name: "demo linearizable, default faults", expected: "valid", args: [] },
  {
    name: "etcd linearizable reads, partitions",
    expected: "valid",
    args: [
      "--target",
      "etcd",
      "--nodes",
      "3",
      "--read-consistency",
      "linearizable",
      "--nemesis",
      "partition",
    ],
    needs: "etcd",
  },
  {
    name: "redis primary reads, pauses",
    expected: "valid",
    args: ["--target", "redis", "--read-from", "primary", "--nemesis", "pause"],
    needs: "redis-server",
  },
  // The lock workload: the loss events are the actor faults (a member kill is no loss event).
  {
    name: "unsafe demo lock, wrapper pauses and lease revokes",
    expected: "invalid",
    args: [
      "--workload",
      "lock",
      "--target",
      "etcd",
      "--demo-mode",
      "unsafe",
      "--nemesis",
      "actor-pause,lease-revoke",
    ],
    needs: "etcd",
  },
  {
    name: "safe demo lock, wrapper pauses and lease revokes",
    expected: "valid",
    args: ["--workload", "lock", "--target", "etcd", "--nemesis", "actor-pause,lease-revoke"],
    needs: "etcd",
  },
  // The lock workload at its own defaults (no --nemesis: the lock's designed schedule, docs/detection.md).
  {
    name: "demo lock unsafe, lock defaults",
    expected: "invalid",
    args: ["--workload", "lock", "--target", "etcd", "--lock-tool", "demo", "--demo-mode", "unsafe"],
    needs: "etcd",
  },
  {
    name: "demo lock safe, lock defaults",
    expected: "valid",
    args: ["--workload", "lock", "--target", "etcd", "--lock-tool", "demo"],
    needs: "etcd",
  },
  // The sync workload: each wrong mode of the demo offline-first app, and the correct one.
  ...(["row-lww", "duplicate-on-retry", "wallclock-lww"] as const).map(
    (mode): Configuration => ({
      name: `demo-sync ${mode}`,
      expected: "invalid",
      args: ["--workload", "sync", "--target", "demo-sync", "--demo-mode", mode],
    }),
  ),
  { name: "demo-sync correct", expected: "valid", args: ["--workload", "sync", "--target", "demo-sync"] },
  // PostgreSQL bank: the read-then-write transfer loses updates at read committed.
  {
    name: "postgres bank, read committed",
    expected: "invalid",
    args: ["--target", "postgres", "--workload", "bank", "--isolation", "read-committed"],
  },
  {
    name: "postgres bank, serializable",
    expected: "valid",
    args: ["--target", "postgres", "--workload", "bank", "--isolation", "serializable"],
  },
];

const seeds = Number(process.argv[2] ?? 10);
const timeLimitS = Number(process.argv[3] ?? 20);
const filter = process.argv[4] || undefined;
const extraArgs = (process.argv[5] ?? "").split(/\s+/).filter((arg) => arg !== "");
const cli = join(import.meta.dirname, "..", "bin", "crucible.js");

function installed(binary: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${binary}`]).status === 0;
}

const VERDICT_BY_EXIT: Record<number, string> = {
  0: "valid",
  1: "invalid",
  2: "unknown",
  3: "run failed",
  64: "usage",
};

interface RunOutcome {
  verdict: string;
  /** Seconds from the run's start to the first op the anomaly names. */
  anomalyAtS: number | undefined;
  /** The checkers (a sync run's verifications) that found the anomaly: results.json's invalid ones. */
  caughtBy: string[];
}

/** The names of results.json's checkers that returned invalid (a sync run's failed verifications among them). */
function invalidCheckers(results: Record<string, unknown>): string[] {
  const checkers = (results.checkers ?? {}) as Record<string, Record<string, unknown>>;
  return Object.entries(checkers)
    .filter(([, result]) => result.valid === false)
    .map(([name]) => name);
}

/**
 * Seconds from the run's start to the earliest violation an interval
 * checker names (`violations[].startMs`, boundedConcurrency's; it judges
 * holds in the interval log, not ops).
 */
function firstViolationS(results: Record<string, unknown>): number | undefined {
  const checkers = (results.checkers ?? {}) as Record<string, Record<string, unknown>>;
  let first: number | undefined;
  for (const result of Object.values(checkers)) {
    if (result.valid !== false || !Array.isArray(result.violations)) continue;
    for (const violation of result.violations as { startMs?: unknown }[])
      if (typeof violation.startMs === "number" && (first === undefined || violation.startMs < first))
        first = violation.startMs;
  }
  return first === undefined ? undefined : first / 1000;
}

/** The earliest op index an invalid checker names (a linearizability counterexample's ops, or `opIndices`). */
function firstAnomalyOp(results: Record<string, unknown>): number | undefined {
  const checkers = (results.checkers ?? {}) as Record<string, Record<string, unknown>>;
  let first: number | undefined;
  for (const result of Object.values(checkers)) {
    if (result.valid !== false) continue;
    const example = result.counterexample as { stuck?: number[]; linearizedPrefix?: number[] } | undefined;
    const named = [...(example?.stuck ?? []), ...((result.opIndices as number[] | undefined) ?? [])];
    for (const index of named) if (first === undefined || index < first) first = index;
  }
  return first;
}

function opTimeS(runDir: string, index: number): number | undefined {
  const lines = readFileSync(join(runDir, "history.jsonl"), "utf8").split("\n");
  for (const line of lines) {
    if (!line) continue;
    const op = JSON.parse(line) as { index: number; time: number };
    if (op.index === index) return op.time / 1e9;
  }
  return undefined;
}

function runOnce(configuration: Configuration, seed: number): RunOutcome {
  const store = mkdtempSync(join(tmpdir(), "crucible-detection-"));
  let keep = false;
  try {
    const args = [
      cli,
      "run",
      ...configuration.args,
      ...extraArgs,
      "--time-limit",
      String(timeLimitS),
      "--seed",
      String(seed),
    ];
    const child = spawnSync(process.execPath, [...args, "--store", store], {
      encoding: "utf8",
      timeout: 300_000,
    });
    const verdict = VERDICT_BY_EXIT[child.status ?? -1] ?? `exit ${child.status ?? child.signal}`;
    let anomalyAtS: number | undefined;
    let caughtBy: string[] = [];
    if (verdict === "invalid") {
      const [testDir] = readdirSync(store);
      const runDir = join(store, testDir!, "latest");
      const results = JSON.parse(readFileSync(join(runDir, "results.json"), "utf8")) as Record<
        string,
        unknown
      >;
      caughtBy = invalidCheckers(results);
      const index = firstAnomalyOp(results);
      if (index !== undefined) anomalyAtS = opTimeS(runDir, index);
      anomalyAtS ??= firstViolationS(results);
    }
    keep = verdict !== configuration.expected;
    return { verdict, anomalyAtS, caughtBy };
  } finally {
    // A run that surprised is kept for a post-mortem (its history, interval log and actor logs).
    if (keep)
      console.error(`  kept ${store} (${configuration.name}, seed ${seed}: not ${configuration.expected})`);
    else rmSync(store, { recursive: true, force: true });
  }
}

const median = (values: number[]): number | undefined => {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
};

execFileSync(process.execPath, [cli, "--version"]);
console.log(
  `detection: ${seeds} seeds per configuration, --time-limit ${timeLimitS}, ${
    extraArgs.length > 0 ? `with ${extraArgs.join(" ")}` : "default flags otherwise"
  }`,
);
console.log(
  "| configuration | expected | as expected | verdicts | median time to first anomalous op | caught by (runs) |",
);
console.log("|---|---|---|---|---|---|");
for (const configuration of CONFIGURATIONS) {
  if (filter && !configuration.name.includes(filter)) continue;
  if (configuration.needs && !installed(configuration.needs)) {
    console.log(
      `| ${configuration.name} | ${configuration.expected} | skipped: ${configuration.needs} not installed | | | |`,
    );
    continue;
  }
  const verdicts = new Map<string, number>();
  const times: number[] = [];
  const caughtBy = new Map<string, number>();
  let asExpected = 0;
  for (let seed = 1; seed <= seeds; seed++) {
    const outcome = runOnce(configuration, seed);
    console.error(
      `${configuration.name} · seed ${seed}: ${outcome.verdict}${
        outcome.anomalyAtS === undefined ? "" : ` (first anomalous op at ${outcome.anomalyAtS.toFixed(1)} s)`
      }${outcome.caughtBy.length === 0 ? "" : `, caught by ${outcome.caughtBy.join(", ")}`}`,
    );
    for (const name of outcome.caughtBy) caughtBy.set(name, (caughtBy.get(name) ?? 0) + 1);
    verdicts.set(outcome.verdict, (verdicts.get(outcome.verdict) ?? 0) + 1);
    if (outcome.verdict === configuration.expected) asExpected++;
    if (outcome.anomalyAtS !== undefined) times.push(outcome.anomalyAtS);
  }
  const seen = [...verdicts].map(([verdict, count]) => `${verdict} ${count}`).join(", ");
  const time = median(times);
  console.log(
    `| ${configuration.name} | ${configuration.expected} | ${asExpected}/${seeds} | ${seen} | ${
      configuration.expected === "invalid" && time !== undefined ? `${time.toFixed(1)} s` : "—"
    } | ${
      [...caughtBy]
        .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))
        .map(([name, count]) => `${name} ${count}`)
        .join(", ") || "—"
    } |`,
  );
}
