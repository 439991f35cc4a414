/**
 * Overhead of the cluster fixture: time from `startCluster(etcd(), 3)` to
 * ready, against etcd started directly by a shell script with the same flags
 * and waited for with the same readiness probe (a linearizable read on every
 * member). Alternates the two, `ROUNDS` times each, and prints the medians
 * and their ratio (target: <= 1.2).
 *
 * As root with sshd installed, a third column: the same `startCluster` with
 * every member on its own SSH host (test/helpers/ssh-hosts.ts: a network
 * namespace running sshd), timed from the call to ready, so it includes
 * opening the three SSH connections, making the dirs over SSH and starting
 * each member with `setsid` on its host. The hosts themselves are up before
 * the clock starts, as real machines would be.
 *
 *   npx tsx bench/cluster-start.ts [rounds]
 *
 * The shell side gets its ports and dirs before the clock starts (a script
 * would have them hard-coded); the fixture's time includes finding ports,
 * making dirs, spawning and probing.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  etcd,
  etcdLinearizableRead,
  freePorts,
  functionProbe,
  startCluster,
  waitUntilReady,
} from "../src/cluster/index.js";
import { parseHostList } from "../src/cluster/remote.js";
import { startTestHosts, type TestHosts, testHostsSkipReason } from "../test/helpers/ssh-hosts.js";

const ROUNDS = Number(process.argv[2] ?? 5);
const NODES = 3;

interface Sample {
  /** Wall time from the start call to every member ready. */
  elapsedMs: number;
  /** From n1's first log line to its "elected leader" line: etcd's own, randomized, election time. */
  electionMs: number;
}

/** etcd's zap logs carry `"ts":"<ISO>"`; the election ends at the first "elected leader" line. */
function electionMsFromLog(text: string): number {
  const lines = text.split("\n").filter((line) => line.startsWith("{"));
  const ts = (line: string | undefined) => Date.parse(/"ts":"([^"]+)"/.exec(line ?? "")?.[1] ?? "");
  const elected = lines.find((line) => line.includes("elected leader"));
  return ts(elected) - ts(lines[0]);
}

async function viaFixture(): Promise<Sample> {
  const started = performance.now();
  const cluster = await startCluster(etcd({ variants: [] }), NODES, { log: () => {} });
  const elapsedMs = performance.now() - started;
  const electionMs = electionMsFromLog(await cluster.node(0).logs());
  await cluster.stop();
  return { elapsedMs, electionMs };
}

async function viaHosts(hosts: TestHosts): Promise<Sample> {
  const started = performance.now();
  const cluster = await startCluster(etcd({ variants: [] }), NODES, {
    log: () => {},
    hosts: {
      targets: parseHostList(hosts.hostsFlag),
      ssh: { privateKey: hosts.privateKey, knownHostsFile: hosts.knownHosts },
    },
  });
  const elapsedMs = performance.now() - started;
  const electionMs = electionMsFromLog(await cluster.node(0).logs());
  await cluster.stop();
  return { elapsedMs, electionMs };
}

async function viaShell(): Promise<Sample> {
  const dir = mkdtempSync("/dev/shm/crucible-bench-shell-");
  const ports = await freePorts(NODES * 2);
  const names = Array.from({ length: NODES }, (_, i) => `n${i + 1}`);
  const peer = (i: number) => `http://127.0.0.1:${ports[i * 2 + 1]}`;
  const client = (i: number) => `http://127.0.0.1:${ports[i * 2]}`;
  const initial = names.map((name, i) => `${name}=${peer(i)}`).join(",");
  const lines = ["#!/bin/sh", "set -e"];
  names.forEach((name, i) => {
    lines.push(
      `etcd --name ${name} --data-dir ${dir}/${name} --listen-client-urls ${client(i)} ` +
        `--advertise-client-urls ${client(i)} --listen-peer-urls ${peer(i)} --initial-advertise-peer-urls ${peer(i)} ` +
        `--initial-cluster ${initial} --initial-cluster-state new --initial-cluster-token bench-${ports[0]} ` +
        `--logger zap --log-outputs stderr > ${dir}/${name}.log 2>&1 &`,
      `echo $! >> ${dir}/pids`,
    );
  });
  const script = join(dir, "start.sh");
  writeFileSync(script, `${lines.join("\n")}\n`, { mode: 0o700 });
  const started = performance.now();
  // The script's own group: one kill takes every etcd it started.
  const shell = spawn("sh", [script], { detached: true, stdio: "ignore" });
  try {
    const outcomes = await Promise.all(
      names.map((_, i) =>
        waitUntilReady({
          probe: functionProbe((signal) => etcdLinearizableRead(client(i), signal)),
          timeoutMs: 30_000,
        }),
      ),
    );
    const elapsedMs = performance.now() - started;
    if (!outcomes.every((outcome) => outcome.ready)) throw new Error("shell-started etcd never became ready");
    return { elapsedMs, electionMs: electionMsFromLog(readFileSync(join(dir, "n1.log"), "utf8")) };
  } finally {
    try {
      process.kill(-shell.pid!, "SIGKILL");
    } catch {
      // The shell exited; its background etcds stay in its group.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    rmSync(dir, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const skipHosts = testHostsSkipReason();
const hosts = skipHosts === undefined ? await startTestHosts(NODES) : undefined;
const fixture: Sample[] = [];
const shell: Sample[] = [];
const overSsh: Sample[] = [];
try {
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate which goes first, so none always follows another's teardown.
    const order = [
      async () => shell.push(await viaShell()),
      async () => fixture.push(await viaFixture()),
      ...(hosts ? [async () => overSsh.push(await viaHosts(hosts))] : []),
    ];
    for (let k = 0; k < order.length; k++) await order[(round + k) % order.length]!();
  }
} finally {
  await hosts?.close();
}
const report = (label: string, samples: Sample[]) => {
  const elapsed = samples.map((sample) => sample.elapsedMs);
  const outside = samples.map((sample) => sample.elapsedMs - sample.electionMs);
  console.log(
    `  ${label}  median ${median(elapsed).toFixed(0)} ms  (outside etcd's election: median ${median(outside).toFixed(0)} ms)` +
      `  [${elapsed.map((value) => value.toFixed(0)).join(", ")}]`,
  );
  return { total: median(elapsed), outside: median(outside) };
};
console.log(
  `etcd x${NODES}, ${ROUNDS} rounds each, rotating the order; the machine is shared, so figures are noisy`,
);
const shellMedian = report("shell script      ", shell);
const fixtureMedian = report("startCluster local", fixture);
console.log(`  ratio fixture/shell: ${(fixtureMedian.total / shellMedian.total).toFixed(2)} (target <= 1.2)`);
console.log(
  `  ratio outside the election: ${(fixtureMedian.outside / shellMedian.outside).toFixed(2)}` +
    " (etcd's randomized election time dominates and varies run to run)",
);
if (hosts) {
  const sshMedian = report("startCluster SSH  ", overSsh);
  console.log(
    `  SSH hosts vs local: +${(sshMedian.total - fixtureMedian.total).toFixed(0)} ms median` +
      ` (x${(sshMedian.total / fixtureMedian.total).toFixed(2)}); outside the election +${(sshMedian.outside - fixtureMedian.outside).toFixed(0)} ms`,
  );
} else {
  console.log(`  startCluster SSH: not measured (${skipHosts})`);
}
