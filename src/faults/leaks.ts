/**
 * A leak check a test can call (CockroachDB's `leaktest.AfterTest`): after a
 * test, nothing it started may be left: no process group of a node or actor,
 * no temp dir, no open cluster, no fault proxy, no network namespace or
 * bridge of this process's. `findLeaks()` lists what is left; `expectNoLeaks()`
 * waits briefly for stragglers (a process that is exiting) and throws an
 * error naming each one.
 *
 * ```ts
 * afterEach(() => expectNoLeaks());
 * ```
 *
 * It sees what this process started through Crucible (the cleanup registry,
 * the proxy registry, the namespace prefix `cr<pid>x`), not processes a test
 * spawned by itself.
 */
import { existsSync, readdirSync } from "node:fs";
import { trackedResources } from "../cluster/cleanup.js";
import { namespacesWithPrefix } from "./netns.js";
import { openDispatcherAddresses } from "./proxy/_internals/dispatcher.js";
import { openProxyAddresses } from "./proxy/proxy.js";

export interface Leak {
  readonly kind: "process" | "dir" | "cluster" | "proxy" | "namespace" | "interface";
  /** What is left, in words: `process group 4711`, `/dev/shm/crucible-demo-abc`. */
  readonly what: string;
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but is not ours to signal; still a leak.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Network interfaces on the host named with this process's prefix (the netns bridge and host-side veths). */
function interfacesWithPrefix(prefix: string): string[] {
  try {
    return readdirSync("/sys/class/net").filter((name) => name.startsWith(prefix));
  } catch {
    return [];
  }
}

/** Everything Crucible started in this process and did not clean up. */
export function findLeaks(): Leak[] {
  const tracked = trackedResources();
  const prefix = `cr${process.pid}x`;
  return [
    ...tracked.groups
      .filter(groupAlive)
      .map((pgid) => ({ kind: "process" as const, what: `process group ${pgid}` })),
    ...tracked.dirs.filter((dir) => existsSync(dir)).map((dir) => ({ kind: "dir" as const, what: dir })),
    ...(tracked.openClusters > 0
      ? [{ kind: "cluster" as const, what: `${tracked.openClusters} cluster(s) not stopped` }]
      : []),
    ...openProxyAddresses().map((address) => ({ kind: "proxy" as const, what: `fault proxy on ${address}` })),
    ...openDispatcherAddresses().map((address) => ({
      kind: "proxy" as const,
      what: `fault mesh inbound address on ${address}`,
    })),
    ...namespacesWithPrefix(prefix).map((ns) => ({
      kind: "namespace" as const,
      what: `network namespace ${ns}`,
    })),
    ...interfacesWithPrefix(prefix).map((name) => ({
      kind: "interface" as const,
      what: `network interface ${name}`,
    })),
  ];
}

export interface ExpectNoLeaksOptions {
  /** How long to wait for stragglers before calling them leaks; default 2,000 ms. */
  readonly timeoutMs?: number;
}

/** Throw, naming each one, when something is left (after waiting up to `timeoutMs` for it to go). */
export async function expectNoLeaks(options: ExpectNoLeaksOptions = {}): Promise<void> {
  const deadline = performance.now() + (options.timeoutMs ?? 2_000);
  let leaks = findLeaks();
  while (leaks.length > 0 && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    leaks = findLeaks();
  }
  if (leaks.length > 0)
    throw new Error(`leaked after the test: ${leaks.map((leak) => leak.what).join("; ")}`);
}
