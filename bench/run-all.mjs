// Runs every bench script in turn (`npm run bench`), each in its own process
// so that one bench's heap and threads do not skew the next. Stops at the first
// that fails. Figures are printed by each script; nothing is asserted here.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const BENCHES = [
  "bench/cli-startup.ts",
  "bench/generator-throughput.ts",
  "bench/runner-throughput.ts",
  "bench/linearizability.ts",
  "bench/txn.ts",
  "bench/intervals.ts",
  "bench/history-import.ts",
  "bench/detection.ts",
  "bench/proxy.ts",
  "bench/dialer-identify.ts",
  "bench/report.ts",
  "bench/cluster-start.ts",
];

for (const bench of BENCHES) {
  process.stdout.write(`\n== ${bench}\n`);
  const result = spawnSync(process.execPath, ["--import", "tsx", bench], { cwd: root, stdio: "inherit" });
  if (result.status !== 0) {
    process.stderr.write(`${bench} failed (exit ${result.status ?? result.signal})\n`);
    process.exit(1);
  }
}
