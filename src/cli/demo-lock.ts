/**
 * `crucible demo-lock`: Crucible's own small lease-guarded wrapper, the
 * calibrated truth of the lock workload (docs/locks.md, "crucible
 * demo-lock").
 *
 *   crucible demo-lock --endpoints 127.0.0.1:2379,127.0.0.1:2381 --prefix locks/job/ \
 *     --ttl 5 --max 1 --kill-after 2s -- ./child
 *
 * It grants a lease of `--ttl` seconds, keeps it alive (every TTL/6), joins
 * the queue under `--prefix` and waits for one of `--max` slots (etcd's
 * concurrency recipe: ../client/etcd-semaphore.ts), then runs the child in a
 * process group of its own with the hold in its environment, tethered to the
 * wrapper (../actors/tether.ts): when the wrapper dies, even by SIGKILL, the
 * child's whole tree is SIGKILLed within milliseconds. When the lease
 * is lost (a keepalive says it is gone, or no keepalive succeeded for a
 * whole TTL: a pause, a partition) it SIGTERMs the child's group and every
 * descendant, SIGKILLs them after `--kill-after`, and exits 70. With
 * `--unsafe` it keeps the child running and exits 70 only when the child
 * ends: the bug the lock workload must catch.
 *
 * Every etcd request fails over from member to member (../client/etcd-lease.ts),
 * so one member's death, even the leader's, does not end a session.
 *
 * Exit codes: the child's (128 + signal when a signal ended it) after a
 * clean hold; 70 lease lost; 75 every slot busy with `--nonblock`; 69 etcd
 * unreachable; 64 bad flags.
 */
import type { ChildProcess } from "node:child_process";
import { type Command, InvalidArgumentError, Option } from "commander";
import { shellExitCode } from "../actors/record-interval.js";
import { spawnTethered } from "../actors/tether.js";
import { EtcdLeaseClient, EtcdRequestError, timeoutSignal } from "../client/etcd-lease.js";
import { acquireSlot, type SlotHold } from "../client/etcd-semaphore.js";
import { signalTree } from "../cluster/process.js";
import { abortableSleep } from "../cluster/sleep.js";
import { durationOption, parsePositiveInt } from "./options.js";

/** The exit codes of `crucible demo-lock` (sysexits.h names). */
export const DEMO_LOCK_EXIT = {
  /** EX_SOFTWARE: the lease was lost while holding or waiting. */
  leaseLost: 70,
  /** EX_TEMPFAIL: `--nonblock` and every slot is held. */
  busy: 75,
  /** EX_UNAVAILABLE: no etcd endpoint answered the lease grant. */
  unavailable: 69,
} as const;

/** The environment the child gets (and `ETCD_LOCK_KEY` / `ETCD_LOCK_REV`, as `etcdctl lock` sets them). */
export const DEMO_LOCK_ENV = {
  key: "CRUCIBLE_LOCK_KEY",
  token: "CRUCIBLE_LOCK_REV",
  slot: "CRUCIBLE_LOCK_SLOT",
  lease: "CRUCIBLE_LOCK_LEASE",
} as const;

interface DemoLockFlags {
  endpoints: string[];
  prefix: string;
  ttl: number;
  max: number;
  killAfter: number;
  unsafe: boolean;
  nonblock: boolean;
  name?: string;
}

const parseEndpoints = (text: string): string[] => {
  const list = text
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
  if (list.length === 0) throw new InvalidArgumentError(`expected host:port[,host:port...]; got "${text}"`);
  for (const item of list)
    if (!/^(?:http:\/\/)?[^:/]+:\d{1,5}\/?$/.test(item))
      throw new InvalidArgumentError(`expected host:port or http://host:port; got "${item}"`);
  return list;
};

const parsePrefix = (text: string): string => {
  if (text === "")
    throw new InvalidArgumentError("expected a key prefix such as locks/job/; got an empty string");
  return text;
};

/** Pause before a keepalive is sent again after one failed on every member it tried. */
const KEEPALIVE_RETRY_MS = 100;

const log = (line: string): void => {
  process.stderr.write(`crucible demo-lock[${process.pid}]: ${line}\n`);
};

export function registerDemoLockCommand(program: Command): Command {
  return program
    .command("demo-lock")
    .description(
      "hold one of N lease-guarded slots in etcd while a command runs (the lock workload's demo wrapper)",
    )
    .requiredOption("--endpoints <list>", "every etcd member's host:port, comma-separated", parseEndpoints)
    .requiredOption("--prefix <prefix>", "the lock's key prefix (this test's keys only)", parsePrefix)
    .option("--ttl <seconds>", "the lease's TTL in whole seconds", parsePositiveInt, 5)
    .option("--max <n>", "how many may hold at once (1: a lock; N: a semaphore)", parsePositiveInt, 1)
    .addOption(durationOption("--kill-after <duration>", "SIGKILL the child this long after SIGTERM", 2_000))
    .option("--unsafe", "keep the child running after the lease is lost (a deliberate bug)", false)
    .option("--nonblock", "exit 75 at once when every slot is held", false)
    .addOption(new Option("--name <name>", "the value stored in the queue key (default the pid)"))
    .argument("<command...>", "the command to run while holding (after --)")
    .action(async (argv: string[], flags: DemoLockFlags) => {
      process.exitCode = await demoLock(argv, flags);
    });
}

async function demoLock(argv: string[], flags: DemoLockFlags): Promise<number> {
  const ttlMs = flags.ttl * 1000;
  // Every TTL/6, not the recipe's TTL/3: a leader's death stalls every keepalive until a new leader
  // answers (1.0-2.0 s after the kill, measured with etcd's defaults), and the wrapper may wait for that
  // only as long as its last renewal leaves of the TTL: the fresher the renewal, the more of it.
  const periodMs = Math.max(100, Math.floor(ttlMs / 6));
  // Every request fails over from member to member (a member slow for a third of a keepalive period is
  // joined by the next, the first answer wins; the whole request at most a TTL or 2 s): a dead, paused or
  // leaderless member costs an attempt, not the session. A healthy member answers in a few ms.
  const client = new EtcdLeaseClient({
    endpoints: flags.endpoints,
    requestTimeoutMs: Math.max(50, Math.min(1_000, Math.floor(periodMs / 3))),
    failoverMs: Math.max(2_000, ttlMs),
  });
  const lost = new AbortController();
  const stopping = new AbortController();
  const released = new AbortController();
  let stopSignal: NodeJS.Signals | undefined;
  const onStop = (signal: NodeJS.Signals) => () => {
    stopSignal ??= signal;
    stopping.abort(new Error(`got ${signal}`));
  };
  const stopHandlers = (["SIGTERM", "SIGINT", "SIGHUP"] as const).map(
    (signal) => [signal, onStop(signal)] as const,
  );
  for (const [signal, handler] of stopHandlers) process.on(signal, handler);

  let lease: string;
  // The lease expires no sooner than a TTL after the grant was sent: the first bound.
  let lastOkMs = performance.now();
  try {
    lease = await client.grant(flags.ttl);
  } catch (error) {
    log(`cannot grant a lease: ${(error as Error).message}`);
    client.close();
    return DEMO_LOCK_EXIT.unavailable;
  }
  // Keepalive every TTL/6, retried on the next member at once when one fails. Lost when etcd says the lease
  // is gone, or when no keepalive has succeeded for a whole TTL (a pause, a partition, no quorum): then etcd
  // may have expired it, and safety means assuming it did. A member's death is neither: the next member
  // answers within the TTL (a leader's death: once a new leader is elected, which keeps every lease).
  let lastError: string | undefined;
  let failingSinceMs: number | undefined;
  const declareLost = (why: string) => {
    if (lost.signal.aborted) return;
    log(`lease ${lease} lost: ${why}`);
    lost.abort(new Error(why));
    clearInterval(watchdog);
  };
  const overdue = () => {
    const sinceOkMs = performance.now() - lastOkMs;
    if (sinceOkMs > ttlMs)
      declareLost(
        `no keepalive succeeded for ${Math.round(sinceOkMs)} ms (TTL ${ttlMs} ms)${lastError ? `; last error: ${lastError}` : ""}`,
      );
  };
  // Checks the bound on its own, so a wrapper resumed after a pause sees it at once, even while a
  // keepalive sent before the pause is still waiting for its answer.
  const watchdog = setInterval(overdue, Math.min(100, periodMs));
  const keepalive = async () => {
    const quit = AbortSignal.any([lost.signal, released.signal]);
    while (!quit.aborted) {
      const sentMs = performance.now();
      const leftMs = lastOkMs + ttlMs - sentMs;
      if (leftMs <= 0) return overdue();
      let ttl: number | undefined;
      try {
        ttl = await client.keepAliveOnce(lease, AbortSignal.any([quit, timeoutSignal(leftMs)]));
      } catch (error) {
        lastError = (error as Error).message;
        if (failingSinceMs === undefined && !quit.aborted) {
          failingSinceMs = sentMs;
          log(`keepalive failed, retrying on the other members: ${lastError}`);
        }
      }
      if (quit.aborted) return;
      if (ttl !== undefined && ttl <= 0)
        return declareLost("etcd says the lease is gone (expired or revoked)");
      if (ttl !== undefined) {
        lastOkMs = Math.max(lastOkMs, sentMs);
        if (failingSinceMs !== undefined)
          log(`keepalive succeeded again after ${Math.round(performance.now() - failingSinceMs)} ms`);
        failingSinceMs = undefined;
        lastError = undefined;
      }
      await abortableSleep(ttl !== undefined ? periodMs : KEEPALIVE_RETRY_MS, quit);
    }
  };
  const keepaliveDone = keepalive();

  const either = AbortSignal.any([lost.signal, stopping.signal]);
  const release = async () => {
    released.abort();
    clearInterval(watchdog);
    await keepaliveDone;
    await client.revoke(lease, AbortSignal.timeout(2_000)).catch(() => false);
    client.close();
    for (const [signal, handler] of stopHandlers) process.removeListener(signal, handler);
  };

  let hold: SlotHold | "busy" | "aborted";
  try {
    hold = await acquireSlot({
      client,
      prefix: flags.prefix,
      max: flags.max,
      lease,
      value: flags.name ?? String(process.pid),
      nonblock: flags.nonblock,
      signal: either,
    });
  } catch (error) {
    if (!(error instanceof EtcdRequestError) && !either.aborted) throw error;
    hold = "aborted";
    if (!either.aborted) declareLost((error as Error).message);
  }
  if (hold === "busy") {
    await release();
    return DEMO_LOCK_EXIT.busy;
  }
  if (hold === "aborted") {
    await release();
    return stopSignal ? shellExitCode(null, stopSignal) : DEMO_LOCK_EXIT.leaseLost;
  }
  // Lost (or told to stop) between the claim and here: a pause of the wrapper right after its claim is the
  // common way. The lease may be gone already, so the child must not start; and an abort listener added
  // after the abort never fires, so a child started now would hold with no lease for its whole run.
  if (!lost.signal.aborted && performance.now() - lastOkMs > ttlMs)
    declareLost(
      `no keepalive succeeded for ${Math.round(performance.now() - lastOkMs)} ms before the child started`,
    );
  if (stopping.signal.aborted || (lost.signal.aborted && !flags.unsafe)) {
    await release();
    return stopSignal ? shellExitCode(null, stopSignal) : DEMO_LOCK_EXIT.leaseLost;
  }

  // Tethered: the child's tree dies with this wrapper even when it is SIGKILLed (../actors/tether.ts),
  // so a killed wrapper's child never holds on without a lease.
  const child: ChildProcess = spawnTethered(argv, {
    env: {
      ...process.env,
      [DEMO_LOCK_ENV.key]: hold.queueKey,
      [DEMO_LOCK_ENV.token]: hold.token,
      [DEMO_LOCK_ENV.slot]: String(hold.slot),
      [DEMO_LOCK_ENV.lease]: lease,
      ETCD_LOCK_KEY: hold.slotKey,
      ETCD_LOCK_REV: hold.token,
    },
  });
  const childExit = new Promise<number>((resolve) => {
    child.once("error", (error: NodeJS.ErrnoException) => resolve(error.code === "ENOENT" ? 127 : 126));
    child.once("exit", (code, signal) => resolve(shellExitCode(code, signal)));
  });
  let killTimer: NodeJS.Timeout | undefined;
  const terminateChild = (why: string) => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    log(`SIGTERM to the child's group ${child.pid} (${why}); SIGKILL in ${flags.killAfter} ms`);
    signalTree(child.pid, "SIGCONT");
    signalTree(child.pid, "SIGTERM");
    killTimer ??= setTimeout(() => {
      if (child.pid !== undefined) signalTree(child.pid, "SIGKILL");
    }, flags.killAfter);
  };
  lost.signal.addEventListener("abort", () => {
    if (flags.unsafe) log("--unsafe: the child keeps running without the lease");
    else terminateChild("lease lost");
  });
  stopping.signal.addEventListener("abort", () => terminateChild(`wrapper got ${stopSignal}`));
  const code = await childExit;
  clearTimeout(killTimer);
  // Whatever the child left in its group (a grandchild) ends with it.
  if (child.pid !== undefined) signalTree(child.pid, "SIGKILL");
  const wasLost = lost.signal.aborted;
  await release();
  if (stopSignal) return shellExitCode(null, stopSignal);
  return wasLost ? DEMO_LOCK_EXIT.leaseLost : code;
}
