// A user-written contract test of a lock wrapper: npx vitest run examples/lock-contract.test.ts
// The wrapper here is Crucible's own `crucible demo-lock`; point `wrapper()` at yours (it must run a
// child while it holds the lock, and set the lock's revision in the child's environment).
// Real etcd, real processes: N+1 contenders => N children running; releasing one promotes the next
// waiter by revision in well under a TTL; a revoked lease => child SIGTERM, then SIGKILL, wrapper
// exit 70, the child's grandchild gone too; a --nonblock contender exits 75 at once.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type Actor,
  type Actors,
  crucibleCliCommand,
  EtcdLeaseClient,
  etcd,
  type LocalCluster,
  startActors,
  startCluster,
} from "crucible";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

const TTL_S = 2;
const KILL_AFTER_MS = 500;
const cli = crucibleCliCommand();
let cluster: LocalCluster;
let etcdClient: EtcdLeaseClient;
let endpoints: string;
const open: Actors[] = [];
let prefixes = 0;

beforeAll(async () => {
  cluster = await startCluster(etcd(), 1, { log: () => {} });
  endpoints = cluster.nodes.map((node) => node.address).join(",");
  etcdClient = new EtcdLeaseClient({ endpoints: cluster.nodes.map((node) => node.address) });
});
afterEach(async () => {
  for (const actors of open.splice(0)) await actors.close();
});
afterAll(async () => {
  etcdClient?.close();
  await cluster?.stop();
});

/** The child: says it holds (with its token), holds until told to release, then says it stopped. */
const CHILD = [
  "sh",
  "-c",
  'echo "$CRUCIBLE_LOCK_REV" > "$CRUCIBLE_ACTOR_DATA/holding"; ' +
    '[ -n "$IGNORE_TERM" ] && trap "echo term >> \\"$CRUCIBLE_ACTOR_DATA/signals\\"" TERM; ' +
    'sleep 300 & echo $! > "$CRUCIBLE_ACTOR_DATA/grandchild"; ' +
    'while [ ! -e "$CRUCIBLE_ACTOR_DATA/release" ]; do sleep 0.02; done; rm -f "$CRUCIBLE_ACTOR_DATA/holding"',
];

function wrapper(prefix: string, flags: readonly string[] = []): string[] {
  return [
    ...cli.args,
    "demo-lock",
    "--endpoints",
    endpoints,
    "--prefix",
    prefix,
    "--ttl",
    String(TTL_S),
    "--kill-after",
    `${KILL_AFTER_MS}ms`,
    ...flags,
    "--",
    ...CHILD,
  ];
}

async function contenders(count: number, flags: readonly string[] = [], env: Record<string, string> = {}) {
  const prefix = `contract/${process.pid}/${++prefixes}/`;
  const actors = await startActors({
    count,
    command: cli.command,
    args: wrapper(prefix, flags),
    env,
    autoStart: false,
  });
  open.push(actors);
  return { actors, prefix };
}

const holding = (actor: Actor): boolean => existsSync(join(actor.dataDir, "holding"));
const holders = (actors: Actors): string[] => actors.list.filter(holding).map((actor) => actor.name);
const release = (actor: Actor): void => writeFileSync(join(actor.dataDir, "release"), "");

async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not ${what} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Start the actors one by one, each queued (its key under the prefix) before the next starts. */
async function startInOrder(actors: Actors, prefix: string): Promise<void> {
  for (const [index, actor] of actors.list.entries()) {
    await actor.start();
    await until(
      `${actor.name} queued`,
      async () => (await etcdClient.rangePrefix(`${prefix}q/`)).kvs.length > index,
    );
  }
}

function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

describe("a lock wrapper's contract", () => {
  it("lock: 2 contenders => exactly 1 child runs; a release promotes the next by revision in < 1 s", async () => {
    const { actors, prefix } = await contenders(3);
    await startInOrder(actors, prefix);
    await until("a1 holds", () => holding(actors.get("a1")));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(holders(actors)).toEqual(["a1"]);
    const began = Date.now();
    release(actors.get("a1"));
    await until("a2 holds", () => holding(actors.get("a2")), 5_000);
    const handoverMs = Date.now() - began;
    expect(handoverMs, "a clean exit hands over in well under a TTL").toBeLessThan(1_000);
    expect(holders(actors)).toEqual(["a2"]);
    expect((await actors.get("a1").exited).code).toBe(0);
    // Tokens increase across the succession.
    const token = (actor: Actor) => Number(readFileSync(join(actor.dataDir, "holding"), "utf8"));
    const a2Token = token(actors.get("a2"));
    release(actors.get("a2"));
    await until("a3 holds", () => holding(actors.get("a3")), 5_000);
    expect(token(actors.get("a3"))).toBeGreaterThan(a2Token);
  });

  it("semaphore: 3 contenders with --max 2 => exactly 2 children run; a release promotes the third", async () => {
    const { actors, prefix } = await contenders(3, ["--max", "2"]);
    await startInOrder(actors, prefix);
    await until("two hold", () => holders(actors).length === 2);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(holders(actors)).toEqual(["a1", "a2"]);
    release(actors.get("a2"));
    await until("a3 holds", () => holding(actors.get("a3")), 5_000);
    expect(holders(actors)).toEqual(["a1", "a3"]);
  });

  it("revoke => the child gets SIGTERM, then SIGKILL after --kill-after; the wrapper exits 70; the grandchild dies", async () => {
    const { actors, prefix } = await contenders(1, [], { IGNORE_TERM: "1" });
    const actor = actors.get("a1");
    await actor.start();
    await until("a1 holds", () => holding(actor) && existsSync(join(actor.dataDir, "grandchild")));
    const grandchild = Number(readFileSync(join(actor.dataDir, "grandchild"), "utf8"));
    expect(isAlive(grandchild)).toBe(true);
    const leases = await etcdClient.leasesUnder(prefix);
    expect(leases).toHaveLength(1);
    const began = Date.now();
    await etcdClient.revoke(leases[0]!);
    const exit = await actor.exited;
    const tookMs = Date.now() - began;
    expect(exit.code, "lease lost").toBe(70);
    // It ignored SIGTERM, so only the SIGKILL after --kill-after ended it: the wrapper waited that long.
    expect(readFileSync(join(actor.dataDir, "signals"), "utf8")).toContain("term");
    expect(tookMs).toBeGreaterThanOrEqual(KILL_AFTER_MS);
    expect(tookMs).toBeLessThan(TTL_S * 1000 + KILL_AFTER_MS + 2_000);
    await until("grandchild gone", () => !isAlive(grandchild), 2_000);
  });

  it("--nonblock: a contender for a held lock exits 75 at once", async () => {
    const { actors, prefix } = await contenders(1);
    const holder = actors.get("a1");
    await holder.start();
    await until("a1 holds", () => holding(holder));
    const contender = await holder.exec([cli.command, ...wrapper(prefix, ["--nonblock"])], {
      timeoutMs: 10_000,
    });
    expect(contender.code, contender.stderr).toBe(75);
    // Most of it is starting Node; the wrapper itself answers after one grant and one range.
    expect(contender.durationMs).toBeLessThan(3_000);
    expect(holders(actors)).toEqual(["a1"]);
  });
});
