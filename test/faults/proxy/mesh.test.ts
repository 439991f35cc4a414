import { afterEach, describe, expect, it } from "vitest";
import { grudgeFrom, isolate } from "../../../src/faults/partition.js";
import { type ProxyMesh, startProxyMesh } from "../../../src/faults/proxy/mesh.js";
import type { ProxyTarget } from "../../../src/faults/proxy/types.js";
import { Random } from "../../../src/random/random.js";
import { quietWindow, startTestServer, TestClient, type TestServer } from "./helpers.js";

const QUIET_MS = 150;
const ARRIVE_MS = 3000;
const names = ["n1", "n2", "n3"];

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  const pending = cleanups.reverse();
  cleanups = [];
  for (const cleanup of pending) await cleanup();
});

/** Three stand-in nodes: each an echo server for clients and a recording server for peers. */
async function startNodes(): Promise<{ peers: Map<string, TestServer>; clients: Map<string, TestServer> }> {
  const peers = new Map<string, TestServer>();
  const clients = new Map<string, TestServer>();
  for (const name of names) {
    const client = await startTestServer({ echo: true });
    const peer = await startTestServer({ echo: true });
    cleanups.push(
      () => client.close(),
      () => peer.close(),
    );
    clients.set(name, client);
    peers.set(name, peer);
  }
  return { peers, clients };
}

async function mesh(
  peerAddressing: "per-peer" | "per-node" | "none",
  dials?: { from: string; to: string }[],
): Promise<{ mesh: ProxyMesh; peers: Map<string, TestServer> }> {
  const { peers, clients } = await startNodes();
  const started = await startProxyMesh({
    nodes: names.map((name) => ({
      name,
      client: { host: "127.0.0.1", port: clients.get(name)!.port },
      peer: { host: "127.0.0.1", port: peers.get(name)!.port },
    })),
    peerAddressing,
    random: new Random(9).fork("mesh"),
    ...(dials ? { dials } : {}),
  });
  cleanups.push(() => started.close());
  return { mesh: started, peers };
}

async function dial(target: ProxyTarget): Promise<TestClient> {
  const client = await TestClient.connect(target.port);
  cleanups.push(() => client.destroy());
  return client;
}

describe("startProxyMesh", () => {
  it("per-peer: isolating a node cuts exactly its links, and the traffic really stops", async () => {
    const { mesh: m, peers } = await mesh("per-peer");
    expect(m.proxies()).toHaveLength(3 + 6);
    const n2ToN1 = await dial(m.peerAddress({ from: "n2", to: "n1" }));
    const n2ToN3 = await dial(m.peerAddress({ from: "n2", to: "n3" }));
    const n1ToN2 = await dial(m.peerAddress({ from: "n1", to: "n2" }));

    const report = m.applyGrudge(isolate(names, { node: "n1" }));
    expect(report.complete).toBe(true);
    expect(report.cut).toHaveLength(4);
    expect(report.partial).toEqual([]);

    n2ToN1.socket.write("to-n1");
    n2ToN3.socket.write("to-n3");
    n1ToN2.socket.write("from-n1");
    await peers.get("n3")!.waitForReceived("to-n3", ARRIVE_MS);
    expect(await n2ToN3.waitForText("to-n3", ARRIVE_MS)).toBe(true);
    await quietWindow(QUIET_MS);
    expect(peers.get("n1")!.received()).toBe("");
    expect(peers.get("n2")!.received()).toBe("");

    m.healPartition();
    await peers.get("n1")!.waitForReceived("to-n1", ARRIVE_MS);
    await peers.get("n2")!.waitForReceived("from-n1", ARRIVE_MS);
  });

  it("per-peer: a one-way grudge drops one direction only", async () => {
    const { mesh: m, peers } = await mesh("per-peer");
    const n2ToN1 = await dial(m.peerAddress({ from: "n2", to: "n1" }));
    const n1ToN2 = await dial(m.peerAddress({ from: "n1", to: "n2" }));
    // n1 drops traffic from n2; n2 still hears n1.
    const report = m.applyGrudge(grudgeFrom(names, { n1: ["n2"] }));
    expect(report.complete).toBe(true);
    expect(report.cut).toEqual([{ from: "n2", to: "n1" }]);
    expect(report.dropped.sort()).toEqual(["peer n1->n2 down", "peer n2->n1 up"]);

    n2ToN1.socket.write("a");
    n1ToN2.socket.write("b");
    await peers.get("n2")!.waitForReceived("b", ARRIVE_MS); // n1 → n2 flows
    await quietWindow(QUIET_MS);
    expect(peers.get("n1")!.received()).toBe(""); // n2 → n1 on n2's connection: dropped
    expect(n1ToN2.peek()).toBe(""); // n2's echo back to n1 on n1's connection: dropped too
  });

  it("per-node: shared inbound proxies cut only part of an isolation, and say so", async () => {
    const { mesh: m, peers } = await mesh("per-node");
    expect(m.peerAddress({ from: "n2", to: "n1" })).toEqual(m.peerAddress({ from: "n3", to: "n1" }));
    const report = m.applyGrudge(isolate(names, { node: "n1" }));
    expect(report.complete).toBe(false);
    expect(report.cut).toEqual([]);
    expect(report.partial).toHaveLength(4);
    expect(report.dropped.sort()).toEqual(["peer *->n1 down", "peer *->n1 up"]);
    const n2ToN1 = await dial(m.peerAddress({ from: "n2", to: "n1" }));
    n2ToN1.socket.write("x");
    await quietWindow(QUIET_MS);
    expect(peers.get("n1")!.received()).toBe("");

    // Cutting the single link n1 <-> n2 needs per-link proxies: nothing is dropped, nothing claimed.
    const linkReport = m.applyGrudge(grudgeFrom(names, { n1: ["n2"], n2: ["n1"] }));
    expect(linkReport.cut).toEqual([]);
    expect(linkReport.partial).toEqual([]);
    expect(linkReport.uncut).toHaveLength(2);
    expect(linkReport.dropped).toEqual([]);
    await peers.get("n1")!.waitForReceived("x", ARRIVE_MS); // the previous partition was lifted
  });

  it("per-node with one-way dialing (replicas dial the primary): isolating the primary is complete", async () => {
    const { mesh: m } = await mesh("per-node", [
      { from: "n2", to: "n1" },
      { from: "n3", to: "n1" },
    ]);
    const report = m.applyGrudge(isolate(names, { node: "n1" }));
    expect(report.complete).toBe(true);
    expect(report.cut).toHaveLength(4);
  });

  it("none: no grudge can be applied, every link is reported uncut", async () => {
    const { mesh: m, peers } = await mesh("none");
    expect(m.proxies()).toHaveLength(3);
    expect(m.peerAddress({ from: "n1", to: "n2" }).port).toBe(peers.get("n2")!.port);
    const report = m.applyGrudge(isolate(names, { node: "n2" }));
    expect(report.complete).toBe(false);
    expect(report.uncut).toHaveLength(4);
  });

  it("client proxies forward to each node and take faults", async () => {
    const { mesh: m } = await mesh("none");
    const client = await dial(m.clientAddress("n2"));
    client.socket.write("ping");
    expect(await client.waitForText("ping", ARRIVE_MS)).toBe(true);
    m.clientProxy("n2").partition();
    client.socket.write("lost?");
    await quietWindow(QUIET_MS);
    expect(client.peek()).toBe("ping");
    m.heal();
    expect(await client.waitForText("lost?", ARRIVE_MS)).toBe(true);
    expect(() => m.clientProxy("n9")).toThrow(/unknown node/);
  });

  it("per-node with dialerPids: the one inbound address routes each dialer to its own link's proxy", async () => {
    const { peers, clients } = await startNodes();
    // This process plays n1: the dispatcher finds it as the owner of the dialing socket.
    const m = await startProxyMesh({
      nodes: names.map((name) => ({
        name,
        client: { host: "127.0.0.1", port: clients.get(name)!.port },
        peer: { host: "127.0.0.1", port: peers.get(name)!.port },
      })),
      peerAddressing: "per-node",
      random: new Random(9).fork("mesh"),
      dialerPids: () => new Map([[process.pid, "n1"]]),
    });
    cleanups.push(() => m.close());
    expect(m.exactLinks).toBe(true);
    // Every dialer of n2 is given the same address...
    expect(m.peerAddress({ from: "n1", to: "n2" })).toEqual(m.peerAddress({ from: "n3", to: "n2" }));
    const n1ToN2 = await dial(m.peerAddress({ from: "n1", to: "n2" }));
    n1ToN2.socket.write("hello n2");
    await peers.get("n2")!.waitForReceived("hello n2", ARRIVE_MS);
    // ...and this connection went through n1->n2's proxy, not n3->n2's.
    expect(m.dialProxy({ from: "n1", to: "n2" })!.stats().connectionsAccepted).toBe(1);
    expect(m.dialProxy({ from: "n3", to: "n2" })!.stats().connectionsAccepted).toBe(0);
    expect(m.dialerStats()).toEqual({ routed: 1, unidentified: 0 });

    // Cutting n1 -> n2 alone is exact; n3 -> n2 is untouched.
    const report = m.applyGrudge(grudgeFrom(names, { n2: ["n1"] }));
    expect(report).toMatchObject({ complete: true, partial: [], uncut: [] });
    expect(report.dropped).toEqual(["peer n1->n2 up", "peer n2->n1 down"]);
    n1ToN2.socket.write("lost?");
    await quietWindow(QUIET_MS);
    expect(peers.get("n2")!.received()).toBe("hello n2");

    // A connection from a process that is no node cannot be told, and is reset, never misrouted.
    const untold = await startProxyMesh({
      nodes: names.map((name) => ({
        name,
        client: { host: "127.0.0.1", port: clients.get(name)!.port },
        peer: { host: "127.0.0.1", port: peers.get(name)!.port },
      })),
      peerAddressing: "per-node",
      random: new Random(9).fork("mesh2"),
      dialerPids: () => new Map(),
      identifyTimeoutMs: 200,
    });
    cleanups.push(() => untold.close());
    const stranger = await dial(untold.peerAddress({ from: "n1", to: "n3" }));
    expect(await stranger.waitFor((client) => client.closed, ARRIVE_MS)).toBe(true);
    expect(untold.dialerStats()).toEqual({ routed: 0, unidentified: 1 });

    // Closing the mesh does not wait for the dialer to hang up (its routed connection is stalled).
    const closed = await Promise.race([
      m.close().then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 10_000)),
    ]);
    expect(closed).toBe(true);
  });
});
