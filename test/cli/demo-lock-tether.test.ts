/**
 * A SIGKILLed demo-lock wrapper takes its child's whole tree with it.
 *
 * The bug this guards: the wrapper runs its child in a process group of its
 * own, so `actor-kill` (SIGKILL of the wrapper's group) left a safe
 * wrapper's child holding with no lease (8.2 s past a 3 s window). Now the
 * child is tethered (src/actors/tether.ts): the kernel closes the wrapper's
 * end of a pipe when it dies, and the launcher kills the tree. Each test
 * kills the wrapper's group with a bare `kill -9 -pgid`, as an outside
 * killer would (no /proc scan of ours helps), then checks by pid that the
 * launcher, the child and its grandchild are gone. Real etcd, real processes.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startActors } from "../../src/actors/fixture.js";
import { type LocalCluster, startCluster } from "../../src/cluster/fixture.js";
import { etcd } from "../../src/cluster/recipes/etcd.js";
import { crucibleCliCommand } from "../../src/demo/launch.js";
import { isAlive } from "../helpers/processes.js";

const cli = crucibleCliCommand();
let cluster: LocalCluster;
let endpoints: string;
let dir: string;
const started: ChildProcess[] = [];
let prefixes = 0;

beforeAll(async () => {
  cluster = await startCluster(etcd(), 1, { log: () => {} });
  endpoints = cluster.nodes.map((node) => node.address).join(",");
  dir = mkdtempSync(join(tmpdir(), "crucible-tether-"));
}, 60_000);
afterEach(() => {
  for (const child of started.splice(0))
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null)
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // Gone.
      }
});
afterAll(async () => {
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The child writes its pid and its grandchild's, then holds (a `sleep 300` in the background and one in front). */
function childArgv(tag: string): string[] {
  const pids = join(dir, `${tag}.pids`);
  return ["sh", "-c", `sleep 300 & echo "$$ $!" > "${pids}.tmp"; mv "${pids}.tmp" "${pids}"; sleep 300`];
}

function wrapperArgs(tag: string): string[] {
  return [
    ...cli.args,
    "demo-lock",
    "--endpoints",
    endpoints,
    "--prefix",
    `tether/${process.pid}/${++prefixes}/`,
    "--ttl",
    "2",
    "--",
    ...childArgv(tag),
  ];
}

async function until(what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not ${what} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Every pid below `root` (from /proc), the root excluded. */
function treeOf(root: number): number[] {
  const byParent = new Map<number, number[]>();
  for (const entry of readdirProc()) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      byParent.set(ppid, [...(byParent.get(ppid) ?? []), Number(entry)]);
    } catch {
      // Gone meanwhile.
    }
  }
  const found: number[] = [];
  const queue = [root];
  for (let i = 0; i < queue.length; i++)
    for (const pid of byParent.get(queue[i]!) ?? []) {
      found.push(pid);
      queue.push(pid);
    }
  return found;
}

function readdirProc(): string[] {
  return readdirSync("/proc").filter((entry) => /^\d+$/.test(entry));
}

async function holdingWrapper(
  tag: string,
): Promise<{ wrapper: ChildProcess; tree: number[]; pids: number[] }> {
  const wrapper = spawn(cli.command, wrapperArgs(tag), {
    detached: true,
    stdio: ["ignore", "ignore", "pipe"],
  });
  started.push(wrapper);
  let stderr = "";
  wrapper.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const pidsFile = join(dir, `${tag}.pids`);
  await until(`the child of ${tag} holding (stderr: ${stderr})`, () => existsSync(pidsFile), 20_000);
  const pids = readFileSync(pidsFile, "utf8").trim().split(" ").map(Number);
  const tree = treeOf(wrapper.pid!);
  return { wrapper, tree, pids };
}

describe("demo-lock's child is tethered to the wrapper", () => {
  it("SIGKILL of the wrapper's group: the launcher, the child and its grandchild are gone within 2 s", async () => {
    const { wrapper, tree, pids } = await holdingWrapper("group-kill");
    // The launcher, the child (sh), its background sleep and its foreground sleep.
    expect(tree.length).toBeGreaterThanOrEqual(4);
    expect(tree).toEqual(expect.arrayContaining(pids));
    expect(pids.every(isAlive)).toBe(true);
    process.kill(-wrapper.pid!, "SIGKILL");
    await until("the child's tree gone", () => !tree.some(isAlive), 2_000).catch(() => {});
    expect(tree.filter(isAlive), "alive 2 s after the wrapper's SIGKILL").toEqual([]);
  }, 60_000);

  it("SIGKILL of the wrapper's pid alone (its group spared): the child's tree still goes with it", async () => {
    const { wrapper, tree } = await holdingWrapper("pid-kill");
    process.kill(wrapper.pid!, "SIGKILL");
    await until("the child's tree gone", () => !tree.some(isAlive), 2_000).catch(() => {});
    expect(tree.filter(isAlive), "alive 2 s after the wrapper's SIGKILL").toEqual([]);
  }, 60_000);

  it("actor kill() (the actor-kill fault): the holding child's tree is gone when kill() returns", async () => {
    const actors = await startActors({ count: 1, command: cli.command, args: wrapperArgs("actor-kill") });
    try {
      const actor = actors.get("a1");
      const pidsFile = join(dir, "actor-kill.pids");
      await until("the actor's child holding", () => existsSync(pidsFile), 20_000);
      const tree = treeOf(actor.pid!);
      expect(tree.length).toBeGreaterThanOrEqual(4);
      await actor.kill();
      await until("the child's tree gone", () => !tree.some(isAlive), 2_000).catch(() => {});
      expect(tree.filter(isAlive), "alive 2 s after actor.kill()").toEqual([]);
    } finally {
      await actors.close();
    }
  }, 60_000);
});
