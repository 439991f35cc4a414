/**
 * Real SSH hosts for the tests, on this machine: each host is a network
 * namespace of its own (its own address on a bridge, `10.98.x.0/24`) running
 * Debian's sshd, bound to that address, with a throwaway host key and an
 * authorized key generated for this run. Crucible reaches them exactly as it
 * reaches machines elsewhere: `ssh` with a key, host key checking on.
 *
 * The hosts share this machine's file system (so etcd and node are at the
 * same paths), its processes (so a test can see what a run left behind) and
 * nothing else: each has its own network stack and iptables.
 *
 * ```ts
 * const hosts = await startTestHosts(3);
 * hosts.hostsFlag;    // "n1=root@10.98.7.2,n2=root@10.98.7.3,n3=root@10.98.7.4"
 * hosts.sshFlags;     // --ssh-private-key ... --ssh-known-hosts ... --strict-host-key-checking yes
 * hosts.leftovers();  // processes in the namespaces other than sshd: what a run must not leave
 * await hosts.close();
 * ```
 *
 * Everything is removed by `close()`, and by a watchdog shell when the test
 * process dies without it (its pipe closes).
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { Socket } from "node:net";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManagedProcess } from "../../src/cluster/process.js";
import { whichExecutable } from "../../src/cluster/system.js";

const SBIN = ["/usr/sbin", "/sbin"];
const COMMAND_TIMEOUT_MS = 10_000;

/** Why the SSH host tests cannot run here, or undefined when they can. */
export function testHostsSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return "not root: SSH test hosts need network namespaces";
  if (!whichExecutable("sshd", SBIN)) return "no sshd: install the Debian package openssh-server";
  if (!whichExecutable("ssh")) return "no ssh: install the Debian package openssh-client";
  if (!whichExecutable("ssh-keygen")) return "no ssh-keygen: install the Debian package openssh-client";
  if (!whichExecutable("ip", SBIN)) return "no ip: install the Debian package iproute2";
  if (!whichExecutable("iptables", SBIN)) return "no iptables: install the Debian package iptables";
  return undefined;
}

export interface TestHost {
  readonly name: string;
  readonly address: string;
  readonly namespace: string;
  /** The sshd listener's pid. */
  readonly sshdPid: number;
}

export interface TestHosts {
  readonly hosts: readonly TestHost[];
  /** `--hosts` value: `n1=root@10.98.x.2,...`. */
  readonly hostsFlag: string;
  /** The key, known hosts and strict checking flags. */
  readonly sshFlags: readonly string[];
  readonly privateKey: string;
  readonly knownHosts: string;
  /** The helper's temp dir (keys, configs); removed by close(). */
  readonly dir: string;
  /** Pids in the hosts' namespaces that are not their sshd listeners: nodes, keepers, sessions. */
  leftovers(): number[];
  /** Whether every namespace, link and sshd of these hosts is gone. */
  gone(): boolean;
  close(): Promise<void>;
}

export interface StartTestHostsOptions {
  /** Per host index: directories hidden on that host (an empty tmpfs over each), e.g. where a binary is. */
  readonly hide?: Readonly<Record<number, readonly string[]>>;
}

let counter = 0;

function run(command: string, args: readonly string[]): string {
  return execFileSync(command, args, { encoding: "utf8", timeout: COMMAND_TIMEOUT_MS, stdio: "pipe" });
}

function freeThirdOctet(ip: string): number {
  const text = run(ip, ["-o", "-4", "addr", "show"]);
  const used = new Set([...text.matchAll(/inet 10\.98\.(\d+)\./g)].map((match) => Number(match[1])));
  for (let k = 0; k < 256; k++) {
    const candidate = (process.pid + 17 * k + counter) % 256;
    if (!used.has(candidate)) return candidate;
  }
  throw new Error("test hosts: no free 10.98.x.0/24");
}

async function waitForPort(address: string, port: number, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket: Socket = connect({ host: address, port });
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`test hosts: sshd on ${address}:${port} not listening`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Pids inside a namespace (`ip netns pids`). */
function namespacePids(ip: string, namespace: string): number[] {
  try {
    return run(ip, ["netns", "pids", namespace])
      .split("\n")
      .filter((line) => /^\d+$/.test(line.trim()))
      .map(Number);
  } catch {
    return [];
  }
}

/** Start `count` SSH hosts; see the module doc. */
export async function startTestHosts(count: number, options: StartTestHostsOptions = {}): Promise<TestHosts> {
  const reason = testHostsSkipReason();
  if (reason) throw new Error(`test hosts unavailable: ${reason}`);
  const ip = whichExecutable("ip", SBIN)!;
  const sshd = whichExecutable("sshd", SBIN)!;
  const keygen = whichExecutable("ssh-keygen")!;
  const prefix = `cs${process.pid}x${counter++}`;
  const third = freeThirdOctet(ip);
  const dir = mkdtempSync(join(tmpdir(), "crucible-test-hosts-"));
  const bridge = `${prefix}b`;
  const names = Array.from({ length: count }, (_, i) => `n${i + 1}`);
  const namespaces = names.map((name) => `${prefix}-${name}`);
  const veths = names.map((_, i) => `${prefix}h${i}`);
  const addresses = names.map((_, i) => `10.98.${third}.${i + 2}`);

  // Deletes for every way the test process ends: close(), exit, or the watchdog shell after a SIGKILL.
  const killInNamespaces = namespaces
    .map((ns) => `${ip} netns pids ${ns} 2>/dev/null | xargs -r kill -9`)
    .join("; ");
  const deletes = [
    ...veths.map((veth) => `${ip} link del ${veth} 2>/dev/null`),
    ...namespaces.map((ns) => `${ip} netns del ${ns} 2>/dev/null`),
    `${ip} link del ${bridge} 2>/dev/null`,
    `rm -rf '${dir}'`,
  ].join("; ");
  const script = `cat >/dev/null; ${killInNamespaces}; sleep 0.5; ${killInNamespaces}; ${deletes}; exit 0`;
  const watchdog = spawn("/bin/sh", ["-c", script], { detached: true, stdio: ["pipe", "ignore", "ignore"] });
  watchdog.on("error", () => {});
  watchdog.stdin?.on("error", () => {});
  watchdog.unref();
  (watchdog.stdin as Socket | null)?.unref();

  const sshds: ManagedProcess[] = [];
  const removeAll = (): void => {
    for (const ns of namespaces) for (const pid of namespacePids(ip, ns)) safeKill(pid);
    for (const proc of sshds) proc.signal("SIGKILL");
    for (const args of [
      ...veths.map((veth) => ["link", "del", veth]),
      ...namespaces.map((ns) => ["netns", "del", ns]),
      ["link", "del", bridge],
    ]) {
      try {
        run(ip, args);
      } catch {
        // Already gone.
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", removeAll);

  try {
    // sshd's privilege separation dir, as Debian's service unit makes it at boot.
    mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
    run(keygen, ["-q", "-t", "ed25519", "-N", "", "-C", "crucible-test", "-f", join(dir, "id")]);
    writeFileSync(join(dir, "authorized_keys"), readFileSync(join(dir, "id.pub")));
    run(ip, ["link", "add", bridge, "type", "bridge"]);
    run(ip, ["addr", "add", `10.98.${third}.1/24`, "dev", bridge]);
    run(ip, ["link", "set", bridge, "up"]);
    const knownHosts: string[] = [];
    for (let i = 0; i < count; i++) {
      const ns = namespaces[i]!;
      const inner = `${prefix}n${i}`;
      run(ip, ["netns", "add", ns]);
      run(ip, ["link", "add", veths[i]!, "type", "veth", "peer", "name", inner, "netns", ns]);
      run(ip, ["link", "set", veths[i]!, "master", bridge, "up"]);
      run(ip, ["-n", ns, "addr", "add", `${addresses[i]}/24`, "dev", inner]);
      run(ip, ["-n", ns, "link", "set", inner, "up"]);
      run(ip, ["-n", ns, "link", "set", "lo", "up"]);
      const hostKey = join(dir, `host-${names[i]}`);
      run(keygen, ["-q", "-t", "ed25519", "-N", "", "-C", names[i]!, "-f", hostKey]);
      knownHosts.push(
        `${addresses[i]} ${readFileSync(`${hostKey}.pub`, "utf8").trim().split(" ").slice(0, 2).join(" ")}`,
      );
      const config = join(dir, `sshd-${names[i]}.conf`);
      writeFileSync(
        config,
        [
          `ListenAddress ${addresses[i]}`,
          "Port 22",
          `HostKey ${hostKey}`,
          `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
          `PidFile ${join(dir, `sshd-${names[i]}.pid`)}`,
          "PasswordAuthentication no",
          "KbdInteractiveAuthentication no",
          "PermitRootLogin prohibit-password",
          "UsePAM no",
          "StrictModes no",
          "MaxSessions 50",
          "MaxStartups 100",
          "LogLevel ERROR",
          "",
        ].join("\n"),
      );
      const hidden = options.hide?.[i] ?? [];
      const sshdArgv = [sshd, "-D", "-e", "-f", config];
      // A host without some files: sshd (and all it starts) in a mount namespace with empty tmpfs over them.
      const command =
        hidden.length === 0
          ? sshdArgv
          : [
              "unshare",
              "--mount",
              "--propagation",
              "private",
              "/bin/sh",
              "-c",
              `${hidden.map((path) => `mount -t tmpfs crucible-hidden '${path}'`).join(" && ")} && exec "$0" "$@"`,
              ...sshdArgv,
            ];
      sshds.push(
        await ManagedProcess.spawn({
          command: ip,
          args: ["netns", "exec", ns, ...command],
          env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
          logPath: join(dir, `sshd-${names[i]}.log`),
        }),
      );
      sshds[i]!.unref();
    }
    writeFileSync(join(dir, "known_hosts"), `${knownHosts.join("\n")}\n`);
    await Promise.all(addresses.map((address) => waitForPort(address, 22, 10_000)));
  } catch (error) {
    removeAll();
    process.removeListener("exit", removeAll);
    watchdog.stdin?.end();
    throw error;
  }

  const sshdPidIn = (i: number): number => {
    // The listener is the pid sshd wrote (under unshare it is a child of the ManagedProcess).
    try {
      return Number(readFileSync(join(dir, `sshd-${names[i]}.pid`), "utf8").trim());
    } catch {
      return sshds[i]!.pid;
    }
  };
  const hosts: TestHost[] = names.map((name, i) => ({
    name,
    address: addresses[i]!,
    namespace: namespaces[i]!,
    get sshdPid() {
      return sshdPidIn(i);
    },
  }));
  const privateKey = join(dir, "id");
  const knownHostsFile = join(dir, "known_hosts");
  let closed = false;
  return {
    hosts,
    hostsFlag: hosts.map((host) => `${host.name}=root@${host.address}`).join(","),
    sshFlags: [
      "--ssh-private-key",
      privateKey,
      "--ssh-known-hosts",
      knownHostsFile,
      "--strict-host-key-checking",
      "yes",
    ],
    privateKey,
    knownHosts: knownHostsFile,
    dir,
    leftovers() {
      const listeners = new Set(hosts.flatMap((host, i) => [host.sshdPid, sshds[i]!.pid]));
      return namespaces
        .flatMap((ns) => namespacePids(ip, ns))
        .filter((pid) => !listeners.has(pid) && isLive(pid));
    },
    gone() {
      const left = readdirSafe("/var/run/netns").filter((name) => name.startsWith(`${prefix}-`));
      const links = run(ip, ["-o", "link", "show"]);
      return left.length === 0 && !links.includes(`${prefix}`) && sshds.every((proc) => !proc.isRunning());
    },
    async close() {
      if (closed) return;
      closed = true;
      removeAll();
      await Promise.all(sshds.map((proc) => proc.waitForExit(5_000)));
      process.removeListener("exit", removeAll);
      watchdog.stdin?.end();
    },
  };
}

function safeKill(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // Gone.
  }
}

function isLive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
