/**
 * Network faults as root, as Jepsen causes them on real machines: each node
 * runs in its own Linux network namespace with its own address on a
 * host-only bridge, and faults are kernel rules inside those namespaces.
 *
 * - Addresses: a free `10.99.x.0/24` (the bridge is `.1`, node i is `.i+2`);
 *   nothing outside the machine is routed to it, and every rule lives inside
 *   a namespace the run created, so traffic never leaves the namespaces and
 *   the host's own rules are never touched.
 * - Partition: `iptables -A CRUCIBLE-PART -s <peer> -j DROP` in the
 *   receiver's namespace (Jepsen's grudge, link by link: every grudge is cut
 *   exactly, one-way links included).
 * - Loss: `iptables ... -m statistic --mode random --probability p -j DROP`
 *   (the kernel's randomness, not the seed's: which packets are lost does not
 *   replay).
 * - Bandwidth: `tc qdisc replace ... root tbf` on the node's interface (its
 *   outgoing traffic).
 * - Latency: `tc netem` where the kernel has it. These machines' kernels do
 *   not ("Specified qdisc kind is unknown"): then latency falls back to the
 *   client proxies, and the report's note says node-to-node links were not
 *   delayed.
 *
 * Names carry a run-unique prefix `cr<pid>x<k>` (namespaces
 * `cr<pid>x<k>-n1`, bridge `cr<pid>x<k>b`, veth `cr<pid>x<k>h<i>`), so a run
 * only ever touches what it created. Everything is removed by `close()`; on
 * process exit by a synchronous handler; after a SIGKILL of the runner by a
 * tiny watchdog shell that waits for the runner's pipe to close; and the next
 * run sweeps whatever is left of runs whose pid is dead ({@link sweepLeftovers}).
 */
import { execFile, execFileSync, spawn } from "node:child_process";
import { accessSync, constants, readdirSync } from "node:fs";
import type { Socket } from "node:net";
import type { Launch } from "../cluster/recipe.js";
import { whichExecutable } from "../cluster/system.js";
import type { LatencyFault, LinkFaultReport, NetworkFaults, PartitionReport } from "./network.js";
import { type Grudge, grudgeToJson, linksToCut } from "./partition.js";

/** Bound on every `ip` / `iptables` / `tc` call. */
const COMMAND_TIMEOUT_MS = 10_000;
const NAME_PATTERN = /^cr(\d+)x\d+/;
const PART_CHAIN = "CRUCIBLE-PART";
const LOSS_CHAIN = "CRUCIBLE-LOSS";

export interface NetnsAvailability {
  readonly available: boolean;
  /** Why not, in words (for the results' notes). */
  readonly reason?: string;
  readonly ip?: string;
  readonly iptables?: string;
  readonly tc?: string;
}

/** Root, `ip`, `iptables` and `tc` present, and `/var/run/netns` usable: what the netns network needs. */
export function netnsAvailability(): NetnsAvailability {
  if (process.getuid?.() !== 0)
    return { available: false, reason: "not root (network namespaces need root)" };
  const extra = ["/usr/sbin", "/sbin"];
  const ip = whichExecutable("ip", extra);
  const iptables = whichExecutable("iptables", extra);
  const tc = whichExecutable("tc", extra);
  if (!ip) return { available: false, reason: "no `ip` (Debian iproute2)" };
  if (!iptables) return { available: false, reason: "no `iptables` (Debian iptables)" };
  if (!tc) return { available: false, reason: "no `tc` (Debian iproute2)" };
  return { available: true, ip, iptables, tc };
}

function run(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: COMMAND_TIMEOUT_MS, encoding: "utf8" }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(" ")}: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
  });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Remove namespaces and links left by runs that died (their pid is gone):
 * names matching `cr<pid>x<k>...` only. Returns what was removed, for the
 * run to say so. A leftover whose pid was reused by a live process is left
 * alone (it cannot be told apart from a live run's).
 */
export async function sweepLeftovers(options: { ip?: string } = {}): Promise<string[]> {
  const ip = options.ip ?? whichExecutable("ip", ["/usr/sbin", "/sbin"]) ?? "ip";
  const removed: string[] = [];
  const dead = (name: string): boolean => {
    const match = NAME_PATTERN.exec(name);
    return match !== null && Number(match[1]) !== process.pid && !pidAlive(Number(match[1]));
  };
  let namespaces: string[] = [];
  try {
    namespaces = readdirSync("/var/run/netns");
  } catch {
    // No namespace was ever created on this machine.
  }
  for (const name of namespaces.filter(dead)) {
    await run(ip, ["netns", "del", name]).then(
      () => removed.push(`netns ${name}`),
      () => {},
    );
  }
  const links = await run(ip, ["-o", "link", "show"]).catch(() => "");
  for (const line of links.split("\n")) {
    const name = /^\d+:\s+([^:@\s]+)/.exec(line)?.[1];
    if (!name || !dead(name)) continue;
    await run(ip, ["link", "del", name]).then(
      () => removed.push(`link ${name}`),
      () => {},
    );
  }
  return removed;
}

let clusterCounter = 0;

/** A cluster's namespaces, bridge and rules. */
export interface NetnsNetwork extends NetworkFaults {
  readonly prefix: string;
  /** The /24 in use, e.g. `10.99.37.0/24`. */
  readonly subnet: string;
  /** Node i's address. */
  host(index: number): string;
  /** Node i's namespace name. */
  namespace(index: number): string;
  /** Run a launch inside node i's namespace (`ip netns exec <ns> ...`). */
  wrap(index: number, launch: Launch): Launch;
  /** What the sweep found before creating this network, in words (empty when nothing). */
  readonly sweptLeftovers: readonly string[];
  /** The client proxies: latency when the kernel has no netem, and connection resets. */
  setProxyFallback(fallback: NetworkFaults | undefined): void;
  /** Remove everything this network created. Idempotent. */
  close(): Promise<void>;
}

export interface CreateNetnsOptions {
  /** Node names, in order ("n1", ...). */
  readonly nodeNames: readonly string[];
  readonly log?: (line: string) => void;
}

function usedSubnets(ip: string): Set<number> {
  const used = new Set<number>();
  let text = "";
  try {
    text = execFileSync(ip, ["-o", "-4", "addr", "show"], { encoding: "utf8", timeout: COMMAND_TIMEOUT_MS });
  } catch {
    return used;
  }
  for (const match of text.matchAll(/inet 10\.99\.(\d+)\./g)) used.add(Number(match[1]));
  return used;
}

/** The third octet of a `10.99.x.0/24` no interface of this machine uses, tried from the pid on. */
function freeSubnet(ip: string): number {
  const used = usedSubnets(ip);
  for (let k = 0; k < 256; k++) {
    const candidate = (process.pid + k) % 256;
    if (!used.has(candidate)) return candidate;
  }
  throw new Error("netns network: no free 10.99.x.0/24");
}

/** The run's commands: `ip`, `iptables` and `tc`, as found by {@link netnsAvailability}. */
interface NetnsTools {
  readonly ip: string;
  readonly iptables: string;
  readonly tc: string;
}

/** Every name and address of one netns network; see the module doc. */
interface NetnsLayout {
  readonly prefix: string;
  /** The third octet of the /24. */
  readonly third: number;
  readonly bridgeName: string;
  readonly namespaces: readonly string[];
  /** The host (bridge) ends of the veth pairs. */
  readonly hostVeth: readonly string[];
  /** The node ends of the veth pairs, inside the namespaces. */
  readonly nodeVeth: readonly string[];
  readonly addresses: readonly string[];
  readonly indexOf: ReadonlyMap<string, number>;
}

function netnsLayout(prefix: string, third: number, nodeNames: readonly string[]): NetnsLayout {
  return {
    prefix,
    third,
    bridgeName: `${prefix}b`,
    namespaces: nodeNames.map((name) => `${prefix}-${name}`),
    hostVeth: nodeNames.map((_, i) => `${prefix}h${i}`),
    nodeVeth: nodeNames.map((_, i) => `${prefix}n${i}`),
    addresses: nodeNames.map((_, i) => `10.99.${third}.${i + 2}`),
    indexOf: new Map(nodeNames.map((name, i) => [name, i])),
  };
}

/** Removes a layout's links and namespaces, whichever way the runner ends. */
interface NetnsCleanup {
  /** Remove everything now (synchronously; idempotent) and stand the watchdog down. */
  close(): void;
}

/**
 * Arm the cleanup for every way the runner can end (see the module doc): a
 * synchronous handler on exit, and a watchdog shell that runs the same
 * deletes once the runner's end of its pipe closes (a SIGKILL included). The
 * host ends of the veth pairs are deleted explicitly: a namespace whose name
 * is gone can live on a while (sockets still retransmitting inside it), and
 * with it its veth pair.
 */
function armCleanup(ip: string, layout: NetnsLayout): NetnsCleanup {
  const deleteArgs: string[][] = [
    ...layout.hostVeth.map((veth) => ["link", "del", veth]),
    ...layout.namespaces.map((ns) => ["netns", "del", ns]),
    ["link", "del", layout.bridgeName],
  ];
  // Twice, a second apart: an `ip ... add` the runner had in flight when it was killed may finish after the
  // first pass (nothing new can start once the runner is dead).
  const deletes = deleteArgs.map((args) => `${ip} ${args.join(" ")} 2>/dev/null`).join("; ");
  const script = `cat >/dev/null; ${deletes}; sleep 1; ${deletes}; exit 0`;
  const watchdog = spawn("/bin/sh", ["-c", script], { detached: true, stdio: ["pipe", "ignore", "ignore"] });
  watchdog.on("error", () => {});
  watchdog.stdin?.on("error", () => {});
  watchdog.unref();
  (watchdog.stdin as Socket | null)?.unref();
  let removed = false;
  const removeSync = (): void => {
    if (removed) return;
    removed = true;
    for (const args of deleteArgs) {
      try {
        execFileSync(ip, args, { stdio: "ignore", timeout: COMMAND_TIMEOUT_MS });
      } catch {
        // Already gone.
      }
    }
  };
  process.once("exit", removeSync);
  return {
    close() {
      removeSync();
      process.removeListener("exit", removeSync);
      // The watchdog now runs its (idempotent) deletes over nothing and exits.
      watchdog.stdin?.end();
    },
  };
}

/** Run a command inside node i's namespace. */
function inNamespace(
  tools: NetnsTools,
  layout: NetnsLayout,
  i: number,
  command: string,
  args: readonly string[],
) {
  return run(tools.ip, ["netns", "exec", layout.namespaces[i]!, command, ...args]);
}

/** The bridge, then per node its namespace, veth pair, address, and the two rule chains on INPUT. */
async function buildTopology(tools: NetnsTools, layout: NetnsLayout): Promise<void> {
  const { ip } = tools;
  const { bridgeName, namespaces, hostVeth, nodeVeth, addresses } = layout;
  await run(ip, ["link", "add", bridgeName, "type", "bridge"]);
  await run(ip, ["addr", "add", `10.99.${layout.third}.1/24`, "dev", bridgeName]);
  await run(ip, ["link", "set", bridgeName, "up"]);
  for (let i = 0; i < namespaces.length; i++) {
    const ns = namespaces[i]!;
    await run(ip, ["netns", "add", ns]);
    await run(ip, ["link", "add", hostVeth[i]!, "type", "veth", "peer", "name", nodeVeth[i]!, "netns", ns]);
    await run(ip, ["link", "set", hostVeth[i]!, "master", bridgeName, "up"]);
    await run(ip, ["-n", ns, "addr", "add", `${addresses[i]}/24`, "dev", nodeVeth[i]!]);
    await run(ip, ["-n", ns, "link", "set", nodeVeth[i]!, "up"]);
    await run(ip, ["-n", ns, "link", "set", "lo", "up"]);
    for (const chain of [PART_CHAIN, LOSS_CHAIN]) {
      await inNamespace(tools, layout, i, tools.iptables, ["-w", "-N", chain]);
      await inNamespace(tools, layout, i, tools.iptables, ["-w", "-A", "INPUT", "-j", chain]);
    }
  }
}

/** Create one namespace per node on a fresh bridge. Sweeps dead runs' leftovers first. */
export async function createNetnsNetwork(options: CreateNetnsOptions): Promise<NetnsNetwork> {
  const availability = netnsAvailability();
  if (!availability.available) throw new Error(`network namespaces unavailable: ${availability.reason}`);
  const tools: NetnsTools = { ip: availability.ip!, iptables: availability.iptables!, tc: availability.tc! };
  const log = options.log ?? (() => {});
  const swept = await sweepLeftovers({ ip: tools.ip });
  if (swept.length > 0) log(`crucible: removed leftovers of a dead run: ${swept.join(", ")}`);
  if (options.nodeNames.length > 250) throw new Error("netns network: at most 250 nodes");

  const prefix = `cr${process.pid}x${clusterCounter++}`;
  const layout = netnsLayout(prefix, freeSubnet(tools.ip), options.nodeNames);
  const cleanup = armCleanup(tools.ip, layout);
  try {
    await buildTopology(tools, layout);
  } catch (error) {
    cleanup.close();
    throw error;
  }
  log(
    `crucible: network namespaces ${layout.namespaces.join(", ")} on bridge ${layout.bridgeName} (10.99.${layout.third}.0/24)`,
  );
  return new NetnsFaults(tools, layout, cleanup, swept);
}

/** The faults of a built netns network: iptables chains and tc qdiscs inside its namespaces. */
class NetnsFaults implements NetnsNetwork {
  readonly kind = "netns";
  readonly prefix: string;
  readonly subnet: string;
  /** Whether the kernel has netem; unknown until the first latency fault. */
  private netem: boolean | undefined;
  private proxyFallback: NetworkFaults | undefined;
  /** Nodes whose root qdisc was replaced (netem or tbf), to delete on heal. */
  private qdiscNodes = new Set<number>();

  constructor(
    private readonly tools: NetnsTools,
    private readonly layout: NetnsLayout,
    private readonly cleanup: NetnsCleanup,
    readonly sweptLeftovers: readonly string[],
  ) {
    this.prefix = layout.prefix;
    this.subnet = `10.99.${layout.third}.0/24`;
  }

  host(i: number): string {
    return this.layout.addresses[i]!;
  }

  namespace(i: number): string {
    return this.layout.namespaces[i]!;
  }

  wrap(i: number, launch: Launch): Launch {
    return {
      ...launch,
      command: this.tools.ip,
      args: ["netns", "exec", this.layout.namespaces[i]!, launch.command, ...launch.args],
    };
  }

  setProxyFallback(fallback: NetworkFaults | undefined): void {
    this.proxyFallback = fallback;
  }

  private index(name: string): number {
    const i = this.layout.indexOf.get(name);
    if (i === undefined) throw new Error(`netns network: unknown node ${name}`);
    return i;
  }

  private iptables(i: number, args: readonly string[]): Promise<string> {
    return inNamespace(this.tools, this.layout, i, this.tools.iptables, args);
  }

  private async flush(chain: string): Promise<void> {
    await Promise.all(this.layout.namespaces.map((_, i) => this.iptables(i, ["-w", "-F", chain])));
  }

  /** Replace node i's egress qdisc (one at a time: netem and tbf each replace the other). */
  private async setRootQdisc(i: number, qdisc: readonly string[]): Promise<void> {
    await inNamespace(this.tools, this.layout, i, this.tools.tc, [
      "qdisc",
      "replace",
      "dev",
      this.layout.nodeVeth[i]!,
      "root",
      ...qdisc,
    ]);
    this.qdiscNodes.add(i);
  }

  private async clearQdiscs(): Promise<void> {
    const nodes = [...this.qdiscNodes];
    this.qdiscNodes = new Set();
    await Promise.all(
      nodes.map((i) =>
        inNamespace(this.tools, this.layout, i, this.tools.tc, [
          "qdisc",
          "del",
          "dev",
          this.layout.nodeVeth[i]!,
          "root",
        ]).catch(() => {}),
      ),
    );
  }

  async partition(grudge: Grudge): Promise<PartitionReport> {
    await this.flush(PART_CHAIN);
    const { addresses, namespaces } = this.layout;
    const dropped: string[] = [];
    for (const [to, froms] of grudge) {
      const i = this.index(to);
      for (const from of froms) {
        const source = addresses[this.index(from)]!;
        await this.iptables(i, ["-w", "-A", PART_CHAIN, "-s", source, "-j", "DROP"]);
        dropped.push(`${namespaces[i]} INPUT from ${from} (${source})`);
      }
    }
    return {
      grudge: grudgeToJson(grudge),
      cut: linksToCut(grudge),
      partial: [],
      uncut: [],
      complete: true,
      dropped,
      via: "netns",
    };
  }

  async healPartition(): Promise<void> {
    await this.flush(PART_CHAIN);
  }

  /** Apply a fault to each named node in turn; what was applied where, in words. */
  private async onEachNode(
    nodes: readonly string[],
    apply: (i: number) => Promise<string>,
  ): Promise<string[]> {
    const applied: string[] = [];
    for (const name of nodes) applied.push(await apply(this.index(name)));
    return applied;
  }

  async loss(nodes: readonly string[], probability: number): Promise<LinkFaultReport> {
    const p = String(Math.min(1, Math.max(0, probability)));
    const statistic = ["-m", "statistic", "--mode", "random", "--probability", p, "-j", "DROP"];
    const applied = await this.onEachNode(nodes, async (i) => {
      // Replace, not add: two rules at p each would drop 1 - (1 - p)^2 of the packets.
      await this.iptables(i, ["-w", "-F", LOSS_CHAIN]);
      await this.iptables(i, ["-w", "-A", LOSS_CHAIN, ...statistic]);
      return `${this.layout.namespaces[i]} INPUT`;
    });
    const note = "packets are dropped by the kernel's randomness: which ones does not replay from the seed";
    return { nodes: nodes.slice(), via: "netns/iptables-statistic", applied, note };
  }

  async healLoss(): Promise<void> {
    await this.flush(LOSS_CHAIN);
  }

  async bandwidth(nodes: readonly string[], bytesPerSec: number): Promise<LinkFaultReport> {
    const bits = Math.max(8_000, Math.round(bytesPerSec * 8));
    const applied = await this.onEachNode(nodes, async (i) => {
      await this.setRootQdisc(i, ["tbf", "rate", `${bits}bit`, "burst", "32kbit", "latency", "400ms"]);
      return `${this.layout.namespaces[i]} ${this.layout.nodeVeth[i]} egress tbf ${bits}bit`;
    });
    return {
      nodes: nodes.slice(),
      via: "netns/tc-tbf",
      applied,
      note: "tbf shapes each node's outgoing traffic",
    };
  }

  async healBandwidth(): Promise<void> {
    await this.clearQdiscs();
  }

  /** netem on each node's egress; undefined when the kernel has no netem (then it is never tried again). */
  private async netemLatency(
    nodes: readonly string[],
    fault: LatencyFault,
  ): Promise<LinkFaultReport | undefined> {
    const delay = ["netem", "delay", `${fault.delayMs}ms`, `${fault.jitterMs ?? 0}ms`];
    let applied: string[];
    try {
      applied = await this.onEachNode(nodes, async (i) => {
        await this.setRootQdisc(i, delay);
        return `${this.layout.namespaces[i]} ${this.layout.nodeVeth[i]} egress netem`;
      });
    } catch (error) {
      if (!/qdisc kind is unknown/i.test(String(error))) throw error;
      this.netem = false;
      return undefined;
    }
    this.netem = true;
    const note = "netem replaces a tbf bandwidth limit on the same node";
    return { nodes: nodes.slice(), via: "netns/tc-netem", applied, note };
  }

  async latency(nodes: readonly string[], fault: LatencyFault): Promise<LinkFaultReport> {
    const viaNetem = this.netem === false ? undefined : await this.netemLatency(nodes, fault);
    if (viaNetem) return viaNetem;
    if (!this.proxyFallback) {
      return {
        nodes: nodes.slice(),
        via: "none",
        applied: [],
        note: "the kernel has no tc netem and no proxy is in front of the nodes: latency not applied",
      };
    }
    const report = await this.proxyFallback.latency(nodes, fault);
    return {
      ...report,
      note: 'the kernel has no tc netem ("Specified qdisc kind is unknown"): latency added by the client proxies only; node-to-node links were not delayed',
    };
  }

  async healLatency(): Promise<void> {
    if (this.netem) await this.clearQdiscs();
    await this.proxyFallback?.healLatency();
  }

  async reset(nodes: readonly string[]): Promise<LinkFaultReport> {
    if (this.proxyFallback) return this.proxyFallback.reset(nodes);
    return {
      nodes: nodes.slice(),
      via: "none",
      applied: [],
      note: "no proxy in front of the nodes: connections not reset",
    };
  }

  async healAll(): Promise<void> {
    await this.flush(PART_CHAIN);
    await this.flush(LOSS_CHAIN);
    await this.clearQdiscs();
    await this.proxyFallback?.healLatency();
  }

  async close(): Promise<void> {
    this.cleanup.close();
  }
}

/** True when `/var/run/netns` holds a namespace of this prefix (tests check for leftovers). */
export function namespacesWithPrefix(prefix: string): string[] {
  try {
    accessSync("/var/run/netns", constants.R_OK);
    return readdirSync("/var/run/netns").filter((name) => name.startsWith(prefix));
  } catch {
    return [];
  }
}
