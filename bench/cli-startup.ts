/**
 * How long the `crucible` command takes to start, and how much memory it holds.
 *
 *   npx tsx bench/cli-startup.ts [--runs 11]
 *
 * Runs `node bin/crucible.js --version`, `node bin/crucible.js check` on a
 * small history (Porcupine's kv c01-ok, 58 ops, checked in ~5 ms, so the row
 * is startup, not search) and, for reference, `node -e 0` (Node's own start),
 * `--runs` times each, interleaved so that machine noise hits all alike, and
 * prints the median wall time (spawn to exit), CPU time (user + system; less
 * sensitive than wall time to a busy machine) and peak RSS.
 * The peak RSS and CPU time are read inside the child at exit by a tiny preloaded module
 * (`process.resourceUsage().maxRSS`), so the bench needs no `/usr/bin/time`;
 * the preload costs the same in every row. bin/crucible.js runs dist/, so
 * build first (`npm run build`). Target: ≤ 80 ms for `--version` and `check`.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const runsAt = process.argv.indexOf("--runs");
const runs = runsAt >= 0 ? Number(process.argv[runsAt + 1]) : 11;
if (!(Number.isInteger(runs) && runs > 0)) throw new Error("--runs must be a positive integer");

const fixture = join(root, "test/fixtures/porcupine/kv/c01-ok.txt");
const cases: readonly { name: string; args: readonly string[]; exitCode: number }[] = [
  { name: "node -e 0", args: ["-e", "0"], exitCode: 0 },
  { name: "crucible --version", args: ["bin/crucible.js", "--version"], exitCode: 0 },
  { name: "crucible check kv/c01-ok.txt", args: ["bin/crucible.js", "check", fixture], exitCode: 0 },
];

const scratch = mkdtempSync(join(tmpdir(), "crucible-cli-startup-"));
const rssFile = join(scratch, "rss");
/** Preloaded in every child: writes its peak RSS (KiB) and CPU time (µs) where the bench reads them. */
const preload =
  "data:text/javascript," +
  encodeURIComponent(
    `import { writeFileSync } from "node:fs";` +
      `process.on("exit", () => { const u = process.resourceUsage();` +
      ` writeFileSync(process.env.CRUCIBLE_BENCH_RSS_FILE, JSON.stringify([u.maxRSS, u.userCPUTime + u.systemCPUTime])); });`,
  );

function runOnce(
  args: readonly string[],
  exitCode: number,
): { wallMs: number; rssKiB: number; cpuMs: number } {
  const start = performance.now();
  const child = spawnSync(process.execPath, ["--import", preload, ...args], {
    cwd: root,
    env: { ...process.env, CRUCIBLE_BENCH_RSS_FILE: rssFile },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const wallMs = performance.now() - start;
  if (child.status !== exitCode)
    throw new Error(`node ${args.join(" ")} exited ${child.status}: ${child.stderr.toString()}`);
  const [rssKiB, cpuMicros] = JSON.parse(readFileSync(rssFile, "utf8")) as [number, number];
  return { wallMs, rssKiB, cpuMs: cpuMicros / 1000 };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

try {
  const samples = cases.map(() => ({
    wallMs: [] as number[],
    rssKiB: [] as number[],
    cpuMs: [] as number[],
  }));
  for (const { args, exitCode } of cases) runOnce(args, exitCode); // warm the file cache
  for (let run = 0; run < runs; run++) {
    for (const [index, { args, exitCode }] of cases.entries()) {
      const { wallMs, rssKiB, cpuMs } = runOnce(args, exitCode);
      samples[index]!.cpuMs.push(cpuMs);
      samples[index]!.wallMs.push(wallMs);
      samples[index]!.rssKiB.push(rssKiB);
    }
  }
  console.log(`CLI startup, median of ${runs} runs (target ≤ 80 ms for crucible)`);
  console.log(
    `${"command".padEnd(32)}${"wall ms".padStart(10)}${"CPU ms".padStart(10)}${"peak RSS MB".padStart(14)}`,
  );
  for (const [index, { name }] of cases.entries()) {
    const wall = median(samples[index]!.wallMs).toFixed(1);
    const cpu = median(samples[index]!.cpuMs).toFixed(1);
    const rss = (median(samples[index]!.rssKiB) / 1024).toFixed(1);
    console.log(`${name.padEnd(32)}${wall.padStart(10)}${cpu.padStart(10)}${rss.padStart(14)}`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
