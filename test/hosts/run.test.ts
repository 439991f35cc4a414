/**
 * `crucible run --hosts` against real SSH hosts: network namespaces of this
 * machine, each running Debian's sshd with a throwaway host key and a key
 * authorized for this run (test/helpers/ssh-hosts.ts). The same built-in
 * tests that run locally give the same verdicts there:
 *
 * - etcd on 3 hosts under kill, pause and partition (iptables on the hosts) → valid, exit 0;
 * - the demo in stale-reads mode under partitions → invalid, exit 1;
 * - a user's test file (its own `binary` recipe) runs unchanged on the hosts;
 * - clock faults through libfaketime on the hosts reach the nodes (verified), and are refused naming a host
 *   without libfaketime;
 * - an unreachable host, a wrong key, a binary missing on one host → exit 3 naming the host and the cause;
 * - after a normal end, an error, SIGINT and SIGKILL of the runner: no node, keeper, iptables chain or node dir
 *   on any host, and no ssh client of ours on the runner's side.
 *
 * Skipped (saying why) when not root or without sshd.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { whichExecutable } from "../../src/cluster/system.js";
import { findLibfaketime } from "../../src/faults/clock.js";
import { startTestHosts, type TestHosts, testHostsSkipReason } from "../helpers/ssh-hosts.js";

const CLI = resolve("test/cli/fixtures/crucible.ts");
const skipReason = testHostsSkipReason() ?? (whichExecutable("etcd") ? undefined : "no etcd (etcd-server)");
const title = (text: string) => (skipReason ? `${text} (skipped: ${skipReason})` : text);

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface Running {
  child: ChildProcess;
  output: { stdout: string; stderr: string };
  finished: Promise<Finished>;
}

const started = new Set<ChildProcess>();
let hosts: TestHosts;
let scratch: string;

function startCrucible(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Running {
  const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, CI: "1", NO_COLOR: "1", ...options.env },
  });
  started.add(child);
  const output = { stdout: "", stderr: "" };
  child.stdout!.on("data", (chunk: Buffer) => {
    output.stdout += chunk.toString();
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    output.stderr += chunk.toString();
  });
  const finished = new Promise<Finished>((resolvePromise) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 150_000);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, ...output });
    });
  });
  return { child, output, finished };
}

/** A fresh remote dir and store for one run, so leftovers are told apart from other runs'. */
function runPlaces(label: string): { remoteDir: string; store: string } {
  const remoteDir = mkdtempSync(join(scratch, `${label}-remote-`));
  const store = mkdtempSync(join(scratch, `${label}-store-`));
  return { remoteDir, store };
}

function hostArgs(remoteDir: string, store: string, of: TestHosts = hosts): string[] {
  return ["--hosts", of.hostsFlag, ...of.sshFlags, "--remote-dir", remoteDir, "--store", store];
}

/** ssh clients on the runner's side talking to these hosts (masters, sessions), by /proc cmdline. */
function sshClientsTo(of: TestHosts): number[] {
  const addresses = of.hosts.map((host) => host.address);
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
    } catch {
      continue;
    }
    if (!argv[0]?.endsWith("ssh")) continue;
    if (argv.some((arg) => addresses.includes(arg))) found.push(Number(entry));
  }
  return found;
}

/** The iptables rules of each host that mention a chain of ours. */
function crucibleChains(of: TestHosts): string[] {
  return of.hosts.flatMap((host) =>
    execFileSync("ip", ["netns", "exec", host.namespace, "iptables", "-S"], { encoding: "utf8" })
      .split("\n")
      .filter((line) => line.includes("CRUCIBLE")),
  );
}

/**
 * Nothing of a run is left: no process on a host but its sshd, no chain, no
 * node dir under the run's remote dir, no ssh client of ours. Polled (bounded):
 * a host's keeper cleans up a second after the runner is gone.
 */
async function expectNothingLeft(remoteDir: string, of: TestHosts = hosts): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const left = {
      processes: of.leftovers().map((pid) => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").slice(0, 120);
        } catch {
          return String(pid);
        }
      }),
      chains: crucibleChains(of),
      dirs: readdirSync(remoteDir),
      sshClients: sshClientsTo(of),
    };
    const clean = Object.values(left).every((list) => list.length === 0);
    if (clean || Date.now() > deadline) {
      expect(left).toEqual({ processes: [], chains: [], dirs: [], sshClients: [] });
      return;
    }
    await new Promise((resolvePromise) => setTimeout(resolvePromise, 250));
  }
}

function historyOf(store: string, testName: string): Record<string, unknown>[] {
  const dir = join(store, testName);
  const run = readdirSync(dir).find((entry) => entry !== "latest")!;
  return readFileSync(join(dir, run, "history.jsonl"), "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function nodeLogsOf(store: string, testName: string): Record<string, string> {
  const dir = join(store, testName);
  const run = readdirSync(dir).find((entry) => entry !== "latest")!;
  const nodes = join(dir, run, "nodes");
  return Object.fromEntries(
    readdirSync(nodes).map((file) => [file, readFileSync(join(nodes, file), "utf8")]),
  );
}

/** Wait until the run prints `text` (its cluster is up), bounded. */
async function waitForOutput(running: Running, text: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(running.output.stdout + running.output.stderr).includes(text)) {
    if (Date.now() > deadline || running.child.exitCode !== null)
      throw new Error(`no "${text}" in:\n${running.output.stdout}${running.output.stderr}`);
    await new Promise((resolvePromise) => setTimeout(resolvePromise, 100));
  }
}

describe.skipIf(skipReason !== undefined)(title("crucible run --hosts on SSH hosts"), () => {
  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), "crucible-hosts-test-"));
    hosts = await startTestHosts(3);
  }, 60_000);

  afterAll(async () => {
    for (const child of started)
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await hosts?.close();
    expect(hosts === undefined || hosts.gone()).toBe(true);
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it("etcd on 3 hosts under kill, pause and partition is valid (exit 0); logs fetched; nothing left", async () => {
    const { remoteDir, store } = runPlaces("etcd");
    const run = await startCrucible([
      "run",
      "--target",
      "etcd",
      ...hostArgs(remoteDir, store),
      "--nemesis",
      "kill,pause,partition",
      "--nemesis-interval",
      "2s",
      "--time-limit",
      "20",
      // Its schedule has a kill, a pause and a partition in the first 12 s.
      "--seed",
      "13",
    ]).finished;
    expect(run.stdout + run.stderr).toContain("nodes on hosts over SSH");
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const history = historyOf(store, "etcd-register");
    const partitions = history.filter(
      (op) => op.process === "nemesis" && op.f === "start-partition" && op.type === "ok",
    );
    expect(partitions.length).toBeGreaterThan(0);
    for (const op of partitions) {
      const value = op.value as { via: string; dropped: string[] };
      expect(value.via).toBe("hosts/iptables");
      expect(value.dropped.length).toBeGreaterThan(0);
    }
    for (const f of ["kill", "pause"])
      expect(history.some((op) => op.process === "nemesis" && op.f === f && op.type === "ok")).toBe(true);
    // Each node's log came back from its host into the store.
    const logs = nodeLogsOf(store, "etcd-register");
    expect(Object.keys(logs).sort()).toEqual(["n1.log", "n2.log", "n3.log"]);
    for (const text of Object.values(logs)) expect(text).toContain("--- crucible: exec");
    await expectNothingLeft(remoteDir);
  }, 180_000);

  it("the demo in stale-reads mode under partitions on hosts is invalid (exit 1)", async () => {
    const { remoteDir, store } = runPlaces("demo");
    const run = await startCrucible([
      "run",
      "--target",
      "demo",
      "--demo-mode",
      "stale-reads",
      ...hostArgs(remoteDir, store),
      "--nemesis",
      "partition",
      "--nemesis-interval",
      "3s",
      "--time-limit",
      "15",
      "--seed",
      "5",
    ]).finished;
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toContain("INVALID");
    await expectNothingLeft(remoteDir);
  }, 180_000);

  it("a user's test file runs unchanged on hosts: its own recipe, kill and pause faults, valid (exit 0)", async () => {
    const { remoteDir, store } = runPlaces("file");
    const run = await startCrucible([
      "run",
      resolve("test/hosts/fixtures/kv-test.ts"),
      ...hostArgs(remoteDir, store),
      "--nemesis",
      "kill,pause",
      "--nemesis-interval",
      "2s",
      "--time-limit",
      "10",
      "--seed",
      "3",
    ]).finished;
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout + run.stderr).toContain("nodes on hosts over SSH");
    const history = historyOf(store, "my-kv-register");
    expect(history.filter((op) => op.process !== "nemesis" && op.type === "ok").length).toBeGreaterThan(100);
    await expectNothingLeft(remoteDir);
  }, 150_000);

  it("clock faults on hosts: libfaketime's control files written over SSH, verified through each node's clock", async () => {
    const { remoteDir, store } = runPlaces("clock");
    const run = await startCrucible([
      "run",
      "--target",
      "demo",
      ...hostArgs(remoteDir, store),
      "--nemesis",
      "clock",
      "--nemesis-interval",
      "2s",
      "--time-limit",
      "8",
      "--seed",
      "2",
    ]).finished;
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const skews = historyOf(store, "demo-register-linearizable").filter(
      (op) =>
        op.process === "nemesis" && (op.f === "bump-clock" || op.f === "strobe-clock") && op.type === "ok",
    );
    expect(skews.length).toBeGreaterThan(0);
    // The demo server answers GET /clock: a skewed node read the offset from the file its host got over SSH.
    const reached = skews.flatMap((op) =>
      (op.value as { reach: { reached: string; expectedOffsetMs: number }[] }).reach.filter(
        (entry) => entry.reached === "yes" && entry.expectedOffsetMs !== 0,
      ),
    );
    expect(reached.length).toBeGreaterThan(0);
    await expectNothingLeft(remoteDir);
  }, 150_000);

  it("clock faults with libfaketime missing on a host: refused (exit 64) naming that host", async () => {
    const library = findLibfaketime();
    expect(library, "libfaketime on this machine (Debian faketime)").toBeDefined();
    const partial = await startTestHosts(3, { hide: { 2: [dirname(library!)] } });
    try {
      const { remoteDir, store } = runPlaces("no-faketime");
      const run = await startCrucible([
        "run",
        "--target",
        "demo",
        ...hostArgs(remoteDir, store, partial),
        "--nemesis",
        "clock",
        "--time-limit",
        "5",
      ]).finished;
      const output = run.stdout + run.stderr;
      expect(run.code, output).toBe(64);
      expect(output).toContain(
        `clock faults need libfaketime on every host; n3 (root@${partial.hosts[2]!.address}) has none`,
      );
      await expectNothingLeft(remoteDir, partial);
    } finally {
      await partial.close();
    }
  }, 120_000);

  it("a wrong key: exit 3 naming the host and ssh's words; nothing left", async () => {
    const { remoteDir, store } = runPlaces("wrong-key");
    const wrongKey = join(scratch, "wrong-key");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", wrongKey]);
    const args = hostArgs(remoteDir, store);
    args[args.indexOf("--ssh-private-key") + 1] = wrongKey;
    const run = await startCrucible(["run", "--target", "etcd", ...args, "--time-limit", "5"]).finished;
    const output = run.stdout + run.stderr;
    expect(run.code, output).toBe(3);
    expect(output).toMatch(/host n\d \(root@10\.98\.\d+\.\d+\): cannot connect/);
    expect(output).toContain("Permission denied (publickey)");
    await expectNothingLeft(remoteDir);
  }, 120_000);

  it("an unreachable host: exit 3 naming it; the hosts that did connect are cleaned", async () => {
    const { remoteDir, store } = runPlaces("unreachable");
    const subnet = hosts.hosts[0]!.address.replace(/\.\d+$/, "");
    const list = `${hosts.hosts[0]!.name}=root@${hosts.hosts[0]!.address},${hosts.hosts[1]!.name}=root@${hosts.hosts[1]!.address},n3=root@${subnet}.250`;
    const args = hostArgs(remoteDir, store);
    args[args.indexOf("--hosts") + 1] = list;
    const run = await startCrucible(["run", "--target", "etcd", ...args, "--time-limit", "5"]).finished;
    const output = run.stdout + run.stderr;
    expect(run.code, output).toBe(3);
    expect(output).toContain(`host n3 (root@${subnet}.250)`);
    await expectNothingLeft(remoteDir);
  }, 120_000);

  it("a binary missing on one host: exit 3 naming that host and the binary", async () => {
    // The runner finds etcd in a dir of its own; host n2 sees that dir empty (a tmpfs over it).
    const binDir = mkdtempSync(join(scratch, "bin-"));
    symlinkSync(whichExecutable("etcd")!, join(binDir, "etcd"));
    const partial = await startTestHosts(3, { hide: { 1: [binDir] } });
    try {
      const { remoteDir, store } = runPlaces("missing");
      const run = await startCrucible(
        ["run", "--target", "etcd", ...hostArgs(remoteDir, store, partial), "--time-limit", "5"],
        {
          env: { PATH: `${binDir}:${process.env.PATH}` },
        },
      ).finished;
      const output = run.stdout + run.stderr;
      expect(run.code, output).toBe(3);
      expect(output).toContain(`host n2 (root@${partial.hosts[1]!.address})`);
      expect(output).toContain(`${binDir}/etcd: not found (or not executable) on this host`);
      await expectNothingLeft(remoteDir, partial);
    } finally {
      await partial.close();
    }
    expect(partial.gone()).toBe(true);
  }, 120_000);

  it("a bad nodes file: exit 64 naming file:line, before anything connects", async () => {
    const file = join(scratch, "nodes.txt");
    writeFileSync(file, `# the cluster\nn1=root@${hosts.hosts[0]!.address}\nn2=root@@nowhere\n`);
    const run = await startCrucible(["run", "--target", "etcd", "--nodes-file", file]).finished;
    expect(run.code).toBe(64);
    expect(run.stderr).toContain(`${file}:3: bad host "root@@nowhere"`);
    expect(sshClientsTo(hosts)).toEqual([]);
  }, 60_000);

  for (const signal of ["SIGINT", "SIGKILL"] as const) {
    it(`${signal} of the runner mid-run leaves no node, chain, dir or ssh client`, async () => {
      const { remoteDir, store } = runPlaces(signal.toLowerCase());
      const running = startCrucible([
        "run",
        "--target",
        "etcd",
        ...hostArgs(remoteDir, store),
        "--nemesis",
        "partition",
        "--nemesis-interval",
        "2s",
        "--time-limit",
        "60",
      ]);
      await waitForOutput(running, "fault: start-partition");
      // The run is mid-partition: nodes, keepers, chains and dirs exist on the hosts right now.
      expect(hosts.leftovers().length).toBeGreaterThan(0);
      expect(crucibleChains(hosts).length).toBeGreaterThan(0);
      expect(readdirSync(remoteDir).length).toBe(3);
      running.child.kill(signal);
      const finished = await running.finished;
      if (signal === "SIGINT") expect(finished.code, finished.stdout + finished.stderr).toBe(3);
      else expect(finished.signal).toBe("SIGKILL");
      await expectNothingLeft(remoteDir);
    }, 150_000);
  }
});
