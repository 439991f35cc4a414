/**
 * End to end: one writer writes 1, 2, 3, ... to one key while a reader on
 * every node reads it. With a single writer of increasing values,
 * linearizability implies two easy-to-check rules (no checker needed):
 * - a read returns at least the last write acknowledged before the read began;
 * - a read that begins after another read ended returns at least that value.
 * `linearizable` mode must keep both through a leader pause and a leader kill
 * -9 + restart; `stale-reads` mode with delayed replication must break them.
 */
import { afterEach, describe, expect, it } from "vitest";
import { demoClient } from "../../src/client/demo.js";
import type { ClientConnection } from "../../src/client/types.js";
import type { DemoMode } from "../../src/demo/protocol.js";
import type { Op } from "../../src/history/op.js";
import { type DemoProcess, nodeOf, startDemoCluster, startDemoProcess, stopAll } from "./helpers.js";

afterEach(stopAll);

interface Timed {
  f: "read" | "write";
  startMs: number;
  endMs: number;
  type: string;
  value: number;
  error?: string;
}

/** The largest value among ops that ended before `timeMs` (0 when none): ops sorted by end, with prefix maxima. */
function maxEndedBefore(sorted: Timed[], prefixMax: number[], timeMs: number): number {
  let low = 0;
  let high = sorted.length; // first op ending at or after timeMs
  while (low < high) {
    const mid = (low + high) >> 1;
    if (sorted[mid]!.endMs < timeMs) low = mid + 1;
    else high = mid;
  }
  return low === 0 ? 0 : prefixMax[low - 1]!;
}

function byEnd(ops: Timed[]): { sorted: Timed[]; prefixMax: number[] } {
  const sorted = [...ops].sort((a, b) => a.endMs - b.endMs);
  const prefixMax: number[] = [];
  for (const op of sorted) prefixMax.push(Math.max(prefixMax.at(-1) ?? 0, op.value));
  return { sorted, prefixMax };
}

/** Violations of the two rules above, in words. */
function violations(ops: Timed[]): string[] {
  const found: string[] = [];
  const writes = byEnd(ops.filter((op) => op.f === "write" && op.type === "ok"));
  const readOps = ops.filter((op) => op.f === "read" && op.type === "ok");
  const reads = byEnd(readOps);
  for (const read of readOps) {
    const floor = maxEndedBefore(writes.sorted, writes.prefixMax, read.startMs);
    if (read.value < floor) found.push(`read ${read.value} after write ${floor} was acknowledged`);
    const seen = maxEndedBefore(reads.sorted, reads.prefixMax, read.startMs);
    if (read.value < seen) found.push(`read ${read.value} after another read had returned ${seen}`);
  }
  return found;
}

async function workload(options: {
  mode: DemoMode;
  extraArgs: string[];
  durationMs: number;
  /** The node the writer talks to (default 1: a follower, which exercises forwarding). */
  writerNode?: number;
  /** Faults to run against the cluster while the workload runs. */
  faults?: (nodes: DemoProcess[], specs: Parameters<typeof startDemoProcess>[0][]) => Promise<void>;
}): Promise<Timed[]> {
  const { nodes, specs } = await startDemoCluster({
    count: 3,
    mode: options.mode,
    extraArgs: options.extraArgs,
  });
  const client = demoClient();
  const open = (node: DemoProcess, worker: number): Promise<ClientConnection> =>
    client.open({
      cluster: undefined,
      node: nodeOf(node, worker),
      worker,
      signal: new AbortController().signal,
    });
  const writer = await open(nodes[options.writerNode ?? 1]!, 0);
  const readers = await Promise.all(nodes.map((node, i) => open(node, i + 1)));
  const ops: Timed[] = [];
  // Run for the duration and, while faults run, until 1.5 s after they end (a restart can be slow on a busy machine).
  const durationEndMs = performance.now() + options.durationMs;
  let stopAtMs = options.faults === undefined ? durationEndMs : Number.POSITIVE_INFINITY;
  const invoke = async (conn: ClientConnection, f: "read" | "write", value: number): Promise<void> => {
    const op: Op = { index: 0, time: 0, type: "invoke", process: 0, f, key: "x", value };
    const startMs = performance.now();
    const completion = await conn.invoke(op, { signal: AbortSignal.timeout(1500) });
    const read = completion.value;
    ops.push({
      f,
      startMs,
      endMs: performance.now(),
      type: completion.type,
      value: f === "read" ? (typeof read === "number" ? read : 0) : value,
      ...(completion.error === undefined ? {} : { error: completion.error }),
    });
  };
  try {
    const loops = [
      (async () => {
        // Bounded by the duration and by a cap on values.
        for (let value = 1; performance.now() < stopAtMs && value < 100_000; value++)
          await invoke(writer, "write", value);
      })(),
      ...readers.map(async (reader) => {
        while (performance.now() < stopAtMs) await invoke(reader, "read", 0);
      }),
      (async () => {
        try {
          await options.faults?.(nodes, specs);
        } finally {
          // Also when a fault fails: the loops must end, they are bounded by this.
          stopAtMs = Math.max(durationEndMs, performance.now() + 1500);
        }
      })(),
    ];
    await Promise.all(loops);
  } finally {
    await Promise.all([writer, ...readers].map((conn) => conn.close()));
  }
  return ops;
}

describe("demo server consistency", () => {
  it("linearizable mode keeps the rules through a leader pause and a leader kill -9 + restart", async () => {
    let restartedAtMs = Number.POSITIVE_INFINITY;
    const ops = await workload({
      mode: "linearizable",
      extraArgs: ["--replication-delay-ms", "100", "--forward-timeout-ms", "1000"],
      durationMs: 3000,
      faults: async (nodes, specs) => {
        const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
        await sleep(500);
        await nodes[0]!.kill("SIGSTOP");
        await sleep(300);
        await nodes[0]!.kill("SIGCONT");
        await sleep(500);
        await nodes[0]!.kill("SIGKILL");
        await startDemoProcess(specs[0]!);
        restartedAtMs = performance.now();
      },
    });
    const okReads = ops.filter((op) => op.f === "read" && op.type === "ok");
    const okWrites = ops.filter((op) => op.f === "write" && op.type === "ok");
    expect(okWrites.length).toBeGreaterThan(10);
    expect(okReads.length).toBeGreaterThan(10);
    // The faults really happened, and the cluster served again after the restart.
    expect(ops.some((op) => op.type !== "ok")).toBe(true);
    const afterRestart = ops.filter((op) => op.f === "write" && op.startMs > restartedAtMs);
    expect(
      afterRestart.some((op) => op.type === "ok"),
      `writes after the restart: ${JSON.stringify(afterRestart.slice(0, 20))}`,
    ).toBe(true);
    expect(violations(ops)).toEqual([]);
  });

  it("stale-reads mode with delayed replication breaks them", async () => {
    const ops = await workload({
      mode: "stale-reads",
      extraArgs: ["--replication-delay-ms", "300"],
      durationMs: 1500,
    });
    expect(violations(ops).length).toBeGreaterThan(0);
  });
});
