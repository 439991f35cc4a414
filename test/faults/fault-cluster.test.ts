/**
 * Every fault kind on a real 3-node demo cluster started through proxies and
 * under libfaketime: each runs, reports what it really did, and heals.
 */
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkLinearizable } from "../../src/checker/linearizable/index.js";
import { kvModel } from "../../src/checker/models/index.js";
import { demoClient } from "../../src/client/demo.js";
import type { ClientConnection } from "../../src/client/types.js";
import { demo } from "../../src/cluster/recipes/demo.js";
import type { Node } from "../../src/cluster/types.js";
import { findLibfaketime } from "../../src/faults/clock.js";
import {
  type FaultCluster,
  type StartFaultClusterOptions,
  startFaultCluster,
} from "../../src/faults/fault-cluster.js";

import { nemesisForKinds } from "../../src/faults/schedule.js";
import type { NemesisContext } from "../../src/faults/types.js";
import { FAULT_KINDS, FAULTS } from "../../src/faults/vocabulary.js";
import type { Completion, Invocation, Op } from "../../src/history/op.js";
import { Random } from "../../src/random/random.js";

const haveFaketime = findLibfaketime() !== undefined;

type FaultRecipe = StartFaultClusterOptions["recipe"];

/** A hand-driven history: journal invoke and completion of client and nemesis ops. */
class Recorder {
  readonly history: Op[] = [];
  private readonly t0 = process.hrtime.bigint();
  private now = () => Number(process.hrtime.bigint() - this.t0);
  async run(process: number | "nemesis", invocation: Invocation, call: (op: Op) => Promise<Completion>) {
    const invoke: Op = {
      index: this.history.length,
      time: this.now(),
      type: "invoke",
      process,
      ...invocation,
    };
    this.history.push(invoke);
    const completion = await call(invoke).catch(
      (error: unknown): Completion => ({ type: "info", error: String(error) }),
    );
    const { type, value, ...extra } = completion;
    const op: Op = {
      ...invoke,
      ...extra,
      index: this.history.length,
      time: this.now(),
      type,
      value: value === undefined ? invoke.value : value,
    };
    this.history.push(op);
    return op;
  }
}

describe.skipIf(!haveFaketime)("fault cluster: demo through proxies, under libfaketime", () => {
  let cluster: FaultCluster;
  // Every kind but stop (a graceful kill: the kill test covers its heal).
  // Every kind of the cluster (actor kinds need a test's actors: test/faults/actor-nemesis.test.ts).
  const nemesis = nemesisForKinds(
    FAULT_KINDS.filter((kind) => kind !== "stop" && FAULTS[kind].needs !== "actors"),
  );
  const abort = new AbortController();
  const ctx = (): NemesisContext => ({
    cluster,
    random: new Random(1).fork("nemesis-exec"),
    signal: abort.signal,
    log: () => {},
  });
  const connections: ClientConnection[] = [];
  const open = async (node: Node, worker: number) => {
    const connection = await demoClient().open({ cluster, node, worker, signal: abort.signal });
    connections.push(connection);
    return connection;
  };

  beforeAll(async () => {
    cluster = await startFaultCluster({
      recipe: (hooks) => demo({ mode: "stale-reads", peerUrl: hooks.peerUrl }),
      size: 3,
      network: "proxy",
      clock: true,
      random: new Random(42).fork("cluster"),
      log: () => {},
      cluster: { log: () => {} },
    });
  }, 30_000);

  afterAll(async () => {
    await Promise.allSettled(connections.map((connection) => connection.close()));
    await nemesis.teardown?.(ctx());
    await cluster?.stop();
  }, 30_000);

  it("puts clients behind proxies and peers behind per-peer proxies", () => {
    const mesh = cluster.faults.mesh!;
    expect(mesh.peerAddressing).toBe("per-peer");
    for (const node of cluster.nodes) {
      expect(node.port).toBe(mesh.clientAddress(node.name).port);
      expect(node.port).not.toBe((node.meta.direct as { port: number }).port);
    }
    expect(mesh.proxies().filter(({ label }) => label.startsWith("peer "))).toHaveLength(6);
  });

  it("isolating a follower through proxies makes a stale read happen, and the checker finds it", async () => {
    const recorder = new Recorder();
    const leader = await open(cluster.node(0), 0);
    const follower = await open(cluster.node(2), 1);
    const write = (value: number) =>
      recorder.run(0, { f: "write", key: "k", value }, (op) =>
        leader.invoke(op, { signal: AbortSignal.timeout(3_000) }),
      );
    expect((await write(1)).type).toBe("ok");
    // Let n3 catch up with the first write, so its stale copy is 1.
    for (let attempt = 0; attempt < 50; attempt++) {
      const read = await follower.invoke(
        { index: -1, time: 0, type: "invoke", process: 1, f: "read", key: "k", value: null },
        { signal: AbortSignal.timeout(2_000) },
      );
      if (read.value === 1) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const partition = await recorder.run(
      "nemesis",
      {
        f: "start-partition",
        value: { shape: "isolate", grudge: { n1: ["n3"], n2: ["n3"], n3: ["n1", "n2"] } },
      },
      (op) => nemesis.invoke(op, ctx()),
    );
    expect(partition.type).toBe("ok");
    const report = partition.value as { complete: boolean; cut: unknown[]; uncut: unknown[] };
    expect(report.complete).toBe(true);
    expect(report.cut).toHaveLength(4);
    expect((await write(2)).type).toBe("ok");
    const read = await recorder.run(1, { f: "read", key: "k", value: null }, (op) =>
      follower.invoke(op, { signal: AbortSignal.timeout(3_000) }),
    );
    expect(read).toMatchObject({ type: "ok", value: 1 });
    const heal = await recorder.run("nemesis", { f: "stop-partition", value: null }, (op) =>
      nemesis.invoke(op, ctx()),
    );
    expect(heal.type).toBe("ok");
    const verdict = checkLinearizable(recorder.history, kvModel, { timeLimitMs: 10_000 });
    expect(verdict.valid).toBe(false);
    // Healed: n3 catches up with the write it missed.
    let caughtUp: unknown;
    for (let attempt = 0; attempt < 100 && caughtUp !== 2; attempt++) {
      caughtUp = (
        await follower.invoke(
          { index: -1, time: 0, type: "invoke", process: 1, f: "read", key: "k", value: null },
          { signal: AbortSignal.timeout(2_000) },
        )
      ).value;
      if (caughtUp !== 2) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(caughtUp).toBe(2);
  }, 30_000);

  it("adds latency to a node's links and removes it on stop-latency", async () => {
    const timed = async (node: Node) => {
      const started = performance.now();
      const response = await fetch(`${node.url}/health`, { signal: AbortSignal.timeout(5_000) });
      expect(response.ok).toBe(true);
      await response.text();
      return performance.now() - started;
    };
    const op = await nemesis.invoke(
      {
        index: 0,
        time: 0,
        type: "invoke",
        process: "nemesis",
        f: "start-latency",
        value: { nodes: ["n2"], delayMs: 150, jitterMs: 0 },
      },
      ctx(),
    );
    expect(op.type).toBe("ok");
    expect((op.value as { applied: string[] }).applied).toContain("client n2");
    // One request crosses the client proxy twice (request, response): at least 2 × 150 ms.
    expect(await timed(cluster.node(1))).toBeGreaterThanOrEqual(290);
    await nemesis.invoke(
      { index: 0, time: 0, type: "invoke", process: "nemesis", f: "stop-latency", value: null },
      ctx(),
    );
    expect(await timed(cluster.node(1))).toBeLessThan(290);
  }, 20_000);

  it("runs loss, bandwidth and reset, then heals the network", async () => {
    for (const [f, value] of [
      ["start-loss", { nodes: ["n3"], probability: 0.5 }],
      ["start-bandwidth", { nodes: ["n3"], bytesPerSec: 10_000 }],
      ["reset-connections", { nodes: ["n3"] }],
    ] as const) {
      const completion = await nemesis.invoke(
        { index: 0, time: 0, type: "invoke", process: "nemesis", f, value },
        ctx(),
      );
      expect(completion.type, f).toBe("ok");
      expect((completion.value as { nodes: string[] }).nodes).toEqual(["n3"]);
    }
    const faults = cluster.faults.mesh!.clientProxy("n3").faults();
    expect(faults.up.lossProbability).toBe(0.5);
    expect(faults.down.bytesPerSec).toBe(10_000);
    await nemesis.invoke(
      { index: 0, time: 0, type: "invoke", process: "nemesis", f: "heal-network", value: null },
      ctx(),
    );
    const healed = cluster.faults.mesh!.clientProxy("n3").faults();
    expect(healed.up.lossProbability).toBe(0);
    expect(healed.down.bytesPerSec).toBe(Number.POSITIVE_INFINITY);
    const response = await fetch(`${cluster.node(2).url}/health`, { signal: AbortSignal.timeout(5_000) });
    expect(response.ok).toBe(true);
  }, 20_000);

  it("bumps a node's clock, verified by asking the node, and resets it", async () => {
    const bump = await nemesis.invoke(
      {
        index: 0,
        time: 0,
        type: "invoke",
        process: "nemesis",
        f: "bump-clock",
        value: { nodes: ["n2"], deltaMs: 5_000 },
      },
      ctx(),
    );
    expect(bump.type).toBe("ok");
    const report = bump.value as { reached: string[]; reach: { node: string; observedOffsetMs: number }[] };
    expect(report.reached).toEqual(["n2"]);
    expect(Math.abs(report.reach[0]!.observedOffsetMs - 5_000)).toBeLessThan(1_000);
    const strobe = await nemesis.invoke(
      {
        index: 0,
        time: 0,
        type: "invoke",
        process: "nemesis",
        f: "strobe-clock",
        value: { nodes: ["n3"], deltaMs: -3_000, periodMs: 50, durationMs: 300 },
      },
      ctx(),
    );
    expect(strobe.type).toBe("ok");
    expect((strobe.value as { reached: string[] }).reached).toEqual(["n3"]);
    const reset = await nemesis.invoke(
      { index: 0, time: 0, type: "invoke", process: "nemesis", f: "reset-clock", value: null },
      ctx(),
    );
    expect(reset.type).toBe("ok");
    const reach = await cluster.faults.clock!.verify(["n1", "n2", "n3"]);
    for (const entry of reach) {
      expect(entry.reached).toBe("yes");
      expect(Math.abs(entry.observedOffsetMs!)).toBeLessThan(1_000);
    }
  }, 20_000);

  it("pauses and kills the primary, resolved when the op runs, and heals", async () => {
    const pause = await nemesis.invoke(
      { index: 0, time: 0, type: "invoke", process: "nemesis", f: "pause", value: "primary" },
      ctx(),
    );
    expect(pause).toEqual({ type: "ok", value: ["n1"] });
    await nemesis.invoke(
      { index: 0, time: 0, type: "invoke", process: "nemesis", f: "resume", value: "all" },
      ctx(),
    );
    const kill = await nemesis.invoke(
      { index: 0, time: 0, type: "invoke", process: "nemesis", f: "kill", value: ["n2"] },
      ctx(),
    );
    expect(kill).toEqual({ type: "ok", value: ["n2"] });
    expect(cluster.node(1).isRunning()).toBe(false);
    const start = await nemesis.invoke(
      { index: 0, time: 0, type: "invoke", process: "nemesis", f: "start", value: "all" },
      ctx(),
    );
    expect(start).toEqual({ type: "ok", value: ["n2"] });
    expect(cluster.node(1).isRunning()).toBe(true);
    // Clock faults survive a restart: n2 reads its control file again.
    const response = await fetch(`${cluster.node(1).url}/health`, { signal: AbortSignal.timeout(5_000) });
    expect(response.ok).toBe(true);
  }, 30_000);

  it("waits for recovery: every node running, leader known", async () => {
    const completion = await nemesis.invoke(
      {
        index: 0,
        time: 0,
        type: "invoke",
        process: "nemesis",
        f: "wait-for-recovery",
        value: { timeoutMs: 10_000, settleMs: 0 },
      },
      ctx(),
    );
    expect(completion.type).toBe("ok");
    expect((completion.value as { leader: string }).leader).toBe("n1");
  }, 20_000);
});

describe.skipIf(!haveFaketime)("fault cluster teardown", () => {
  it("leaves no proxy listening and no process running", async () => {
    const cluster = await startFaultCluster({
      recipe: (hooks) => demo({ peerUrl: hooks.peerUrl }),
      size: 2,
      network: "proxy",
      clock: true,
      random: new Random(5),
      log: () => {},
      cluster: { log: () => {} },
    });
    const proxies = cluster.faults.mesh!.proxies().map(({ proxy }) => proxy.port);
    const pids = cluster.nodes.map((node) => node.pid!);
    await cluster.stop();
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    for (const port of proxies) {
      const refused = await new Promise<boolean>((resolve) => {
        const socket = connect({ host: "127.0.0.1", port }, () => {
          socket.destroy();
          resolve(false);
        });
        socket.on("error", () => resolve(true));
      });
      expect(refused, `proxy port ${port}`).toBe(true);
    }
  }, 30_000);
});

describe("fault cluster: a user's recipe", () => {
  const start = (recipe: FaultRecipe) =>
    startFaultCluster({
      recipe,
      size: 2,
      network: "proxy",
      random: new Random(7).fork("cluster"),
      log: () => {},
      cluster: { log: () => {} },
    });
  const peerProxies = (cluster: FaultCluster) =>
    cluster.faults.mesh!.proxies().filter(({ label }) => label.startsWith("peer ")).length;

  it("is proxied by what its faults field says, whatever its name", async () => {
    const renamed = await start((hooks) => ({ ...demo({ peerUrl: hooks.peerUrl }), name: "my-store" }));
    try {
      expect(renamed.faults.mesh!.peerAddressing).toBe("per-peer");
      expect(peerProxies(renamed)).toBe(2);
    } finally {
      await renamed.stop();
    }
    const bare = await start((hooks) => ({ ...demo({ peerUrl: hooks.peerUrl }), faults: undefined }));
    try {
      expect(bare.faults.mesh!.peerAddressing).toBe("none");
      expect(bare.faults.notes.some((note) => note.includes("node-to-node traffic is not proxied"))).toBe(
        true,
      );
    } finally {
      await bare.stop();
    }
  }, 30_000);
});
