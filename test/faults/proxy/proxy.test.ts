import { performance } from "node:perf_hooks";
import { afterEach, describe, expect, it } from "vitest";
import { type FaultProxy, startProxy } from "../../../src/faults/proxy/proxy.js";
import type { ProxyEvent } from "../../../src/faults/proxy/types.js";
import { Random } from "../../../src/random/random.js";
import { quietWindow, startTestServer, TestClient, type TestServer } from "./helpers.js";

/** Long enough that a forwarded byte on loopback would surely have arrived. */
const QUIET_MS = 150;
const ARRIVE_MS = 3000;

let cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  const pending = cleanups.reverse();
  cleanups = [];
  for (const cleanup of pending) await cleanup();
});

async function setup(
  options: {
    echo?: boolean;
    halfOpen?: boolean;
    seed?: number;
    maxHeldBytes?: number;
    onEvent?: (event: ProxyEvent) => void;
  } = {},
): Promise<{ server: TestServer; proxy: FaultProxy; connect: () => Promise<TestClient> }> {
  const server = await startTestServer({ echo: options.echo ?? true, halfOpen: options.halfOpen ?? false });
  cleanups.push(() => server.close());
  const proxy = await startProxy({
    target: { host: "127.0.0.1", port: server.port },
    random: new Random(options.seed ?? 1).fork("proxy"),
    ...(options.maxHeldBytes !== undefined ? { maxHeldBytes: options.maxHeldBytes } : {}),
    ...(options.onEvent !== undefined ? { onEvent: options.onEvent } : {}),
  });
  cleanups.push(() => proxy.close());
  const connect = async () => {
    const client = await TestClient.connect(proxy.port);
    cleanups.push(() => client.destroy());
    return client;
  };
  return { server, proxy, connect };
}

describe("startProxy", () => {
  it("forwards both ways and counts bytes", async () => {
    const { proxy, connect } = await setup();
    const client = await connect();
    client.socket.write("hello\n");
    expect(await client.waitForText("hello\n", ARRIVE_MS)).toBe(true);
    const stats = proxy.stats();
    expect(stats.up.bytesDelivered).toBe(6);
    expect(stats.down.bytesDelivered).toBe(6);
    expect(stats.connectionsOpen).toBe(1);
    expect(proxy.address).toBe(`127.0.0.1:${proxy.port}`);
  });

  it("partition stalls both directions and new connections; heal delivers what stalled", async () => {
    const { server, proxy, connect } = await setup({ echo: false });
    const client = await connect();
    client.socket.write("before\n");
    await server.waitForReceived("before\n", ARRIVE_MS);

    proxy.partition();
    expect(proxy.faults().up.dropped && proxy.faults().down.dropped).toBe(true);
    client.socket.write("during\n");
    server.sockets[0]!.write("reply\n");
    const late = await connect(); // accepted (refusing would tell too much) but never forwarded
    late.socket.write("late\n");
    await quietWindow(QUIET_MS);
    expect(server.received()).toBe("before\n");
    expect(client.peek()).toBe("");
    expect(server.sockets).toHaveLength(1);

    proxy.heal();
    await server.waitForReceived("during\n", ARRIVE_MS);
    await server.waitForReceived("late\n", ARRIVE_MS);
    expect(await client.waitForText("reply\n", ARRIVE_MS)).toBe(true);
    expect(server.sockets).toHaveLength(2);
  });

  it("dropOneWay('up') blocks requests only; dropOneWay('down') blocks responses only", async () => {
    const { server, proxy, connect } = await setup({ echo: false });
    const client = await connect();
    client.socket.write("hi\n");
    await server.waitForReceived("hi\n", ARRIVE_MS);

    proxy.dropOneWay("up");
    client.socket.write("up-blocked\n");
    server.sockets[0]!.write("down-flows\n");
    expect(await client.waitForText("down-flows\n", ARRIVE_MS)).toBe(true);
    await quietWindow(QUIET_MS);
    expect(server.received()).toBe("hi\n");

    proxy.heal();
    await server.waitForReceived("up-blocked\n", ARRIVE_MS);

    proxy.dropOneWay("down");
    client.socket.write("up-flows\n");
    server.sockets[0]!.write("down-blocked\n");
    await server.waitForReceived("up-flows\n", ARRIVE_MS);
    await quietWindow(QUIET_MS);
    expect(client.peek()).toBe("down-flows\n");

    proxy.undrop("down");
    expect(await client.waitForText("down-blocked\n", ARRIVE_MS)).toBe(true);
  });

  it("hold buffers every message; release delivers in arrival order", async () => {
    const { server, proxy, connect } = await setup({ echo: false });
    const clients = [await connect(), await connect(), await connect()];
    proxy.hold({ direction: "up" });
    for (const [i, client] of clients.entries()) {
      client.socket.write(`m${i}`);
      await proxy.waitForHeld({ count: i + 1, timeoutMs: ARRIVE_MS });
    }
    await quietWindow(QUIET_MS);
    expect(server.received()).toBe("");
    expect(proxy.held().map((message) => message.preview.toString())).toEqual(["m0", "m1", "m2"]);
    expect(proxy.stats().heldMessages).toBe(3);

    proxy.release();
    await server.waitForReceived("m2", ARRIVE_MS);
    await server.waitForReceived("m0", ARRIVE_MS);
    await server.waitForReceived("m1", ARRIVE_MS);
    expect(server.log.map((entry) => entry.data).join(",")).toBe("m0,m1,m2");
    expect(proxy.faults().up.holding).toBe(false);
  });

  it("release({ order }) delivers in the chosen order across connections, and refuses to reorder one stream", async () => {
    const { server, proxy, connect } = await setup({ echo: false });
    const a = await connect();
    const b = await connect();
    proxy.hold();
    a.socket.write("a1");
    await proxy.waitForHeld({ count: 1, timeoutMs: ARRIVE_MS });
    b.socket.write("b1");
    await proxy.waitForHeld({ count: 2, timeoutMs: ARRIVE_MS });
    a.socket.write("a2");
    await proxy.waitForHeld({ count: 3, timeoutMs: ARRIVE_MS });
    const [a1, b1, a2] = proxy.held().map((message) => message.id) as [number, number, number];

    expect(() => proxy.release({ order: [a2, a1] })).toThrow(/cannot be reordered/);
    expect(() => proxy.release({ order: [a2] })).toThrow(/earlier message/);
    expect(() => proxy.release({ order: [999] })).toThrow(/not held/);
    expect(proxy.held()).toHaveLength(3); // a refused order delivers nothing

    proxy.release({ order: [b1, a1] });
    await server.waitForReceived("a2", ARRIVE_MS);
    await server.waitForReceived("b1", ARRIVE_MS);
    const order = server.log.map((entry) => entry.data).join("");
    expect(order.indexOf("b1")).toBeLessThan(order.indexOf("a1"));
    expect(order.indexOf("a1")).toBeLessThan(order.indexOf("a2"));
  });

  it("deliver(n) delivers exactly n held messages and keeps holding", async () => {
    const { server, proxy, connect } = await setup({ echo: false });
    const clients = [await connect(), await connect(), await connect()];
    proxy.hold();
    for (const [i, client] of clients.entries()) {
      client.socket.write(`x${i}`);
      await proxy.waitForHeld({ count: i + 1, timeoutMs: ARRIVE_MS });
    }
    expect(() => proxy.deliver(4)).toThrow(/only 3/);
    proxy.deliver(2);
    await server.waitForReceived("x1", ARRIVE_MS);
    await quietWindow(QUIET_MS);
    expect(server.received()).toBe("x0x1");
    expect(proxy.held().map((message) => message.preview.toString())).toEqual(["x2"]);

    clients[0]!.socket.write("x3"); // still holding
    await proxy.waitForHeld({ count: 2, timeoutMs: ARRIVE_MS });
    proxy.deliver(1);
    await server.waitForReceived("x2", ARRIVE_MS);
    proxy.heal(); // heal delivers the rest
    await server.waitForReceived("x3", ARRIVE_MS);
    expect(proxy.stats().heldMessages).toBe(0);
  });

  it("latency adds the configured delay (lower bound exact, upper bound generous)", async () => {
    const { proxy, connect } = await setup();
    const client = await connect();
    const roundTripMs = async (text: string) => {
      const started = performance.now();
      client.socket.write(text);
      expect(await client.waitForText(text, 5000)).toBe(true);
      client.take();
      return performance.now() - started;
    };
    await roundTripMs("warm");
    proxy.latency({ delayMs: 40 });
    const both = await roundTripMs("slow");
    expect(both).toBeGreaterThanOrEqual(80);
    expect(both).toBeLessThan(1500);
    proxy.latency({ delayMs: 60, jitterMs: 20, direction: "up" });
    proxy.latency({ delayMs: 0, direction: "down" });
    const upOnly = await roundTripMs("jitter");
    expect(upOnly).toBeGreaterThanOrEqual(40);
    expect(upOnly).toBeLessThan(1500);
    proxy.heal();
    expect(proxy.faults().up.delayMs).toBe(0);
  });

  it("latency keeps the order of chunks even with jitter larger than their spacing", async () => {
    const { server, proxy, connect } = await setup({ echo: false });
    const client = await connect();
    proxy.latency({ delayMs: 20, jitterMs: 19, direction: "up" });
    const expected: string[] = [];
    for (let i = 0; i < 20; i++) {
      expected.push(`<${i}>`);
      client.socket.write(`<${i}>`);
      await quietWindow(2);
    }
    await server.waitForReceived("<19>", ARRIVE_MS);
    expect(server.received()).toBe(expected.join(""));
  });

  it("reset() makes the client see ECONNRESET", async () => {
    const { server, proxy, connect } = await setup();
    const client = await connect();
    client.socket.write("x");
    expect(await client.waitForText("x", ARRIVE_MS)).toBe(true);
    expect(proxy.reset()).toBe(1);
    expect(await client.waitFor((c) => c.error !== undefined || c.closed, ARRIVE_MS)).toBe(true);
    expect(client.error?.code).toBe("ECONNRESET");
    expect(await client.waitFor((c) => c.closed, ARRIVE_MS)).toBe(true);
    expect(proxy.stats().manualResets).toBe(1);
    // the server side was reset too
    await expect.poll(() => server.sockets[0]!.destroyed, { timeout: ARRIVE_MS }).toBe(true);
  });

  it("loss with a seed is reproducible and shows up as resets", async () => {
    const pattern = async (seed: number): Promise<string> => {
      const { proxy, connect } = await setup({ seed });
      proxy.loss({ probability: 0.3, direction: "up" });
      let client = await connect();
      let outcome = "";
      for (let i = 0; i < 30; i++) {
        const text = `p${i};`;
        client.socket.write(text);
        const ok = await client.waitFor((c) => c.peek().includes(text) || c.error !== undefined, ARRIVE_MS);
        expect(ok).toBe(true);
        if (client.error) {
          expect(client.error.code).toBe("ECONNRESET");
          outcome += "x";
          client.destroy();
          client = await connect();
        } else {
          outcome += ".";
        }
      }
      expect(proxy.stats().lossResets).toBe([...outcome].filter((c) => c === "x").length);
      return outcome;
    };
    const first = await pattern(42);
    const second = await pattern(42);
    expect(second).toBe(first);
    expect(first).toContain("x");
    expect(first).toContain(".");
  });

  it("bandwidth limits the rate roughly", async () => {
    const { server, proxy, connect } = await setup({ echo: false });
    const client = await connect();
    const bytesPerSec = 1_000_000;
    proxy.bandwidth({ bytesPerSec, direction: "up" });
    const totalBytes = 400_000;
    const started = performance.now();
    client.socket.write(Buffer.alloc(totalBytes - 1, 97));
    client.socket.write("!");
    await server.waitForReceived("!", 10_000);
    const elapsedMs = performance.now() - started;
    // The first chunk (up to 64 KiB) may leave at once; the rest waits its turn.
    expect(elapsedMs).toBeGreaterThanOrEqual(((totalBytes - 65_536) / bytesPerSec) * 1000 * 0.9);
    expect(elapsedMs).toBeLessThan(8000);
    expect(server.received().length).toBe(totalBytes);
  });

  it("resets a connection whose held bytes pass the cap, and reports it", async () => {
    const events: ProxyEvent[] = [];
    const { server, proxy, connect } = await setup({
      echo: false,
      maxHeldBytes: 1000,
      onEvent: (event) => events.push(event),
    });
    const client = await connect();
    proxy.hold();
    client.socket.write(Buffer.alloc(600, 98));
    await proxy.waitForHeld({ count: 1, timeoutMs: ARRIVE_MS });
    client.socket.write(Buffer.alloc(600, 99));
    expect(await client.waitFor((c) => c.error !== undefined, ARRIVE_MS)).toBe(true);
    expect(proxy.stats().heldOverflowResets).toBe(1);
    expect(proxy.stats().heldBytes).toBe(0);
    expect(events.map((event) => event.type)).toEqual(["held-overflow-reset"]);
    expect(server.received()).toBe("");
  });

  it("a target that refuses makes the client's connection reset, and is counted", async () => {
    const events: ProxyEvent[] = [];
    const { server, proxy, connect } = await setup({ onEvent: (event) => events.push(event) });
    await server.close(); // nothing listens on the target port any more
    const client = await connect();
    expect(await client.waitFor((c) => c.closed, ARRIVE_MS)).toBe(true);
    expect(proxy.stats().upstreamErrors).toBe(1);
    expect(events[0]?.detail).toMatch(/ECONNREFUSED/);
  });

  it("forwards half-close: the client's FIN reaches the target and the reply still arrives", async () => {
    const { server, connect } = await setup({ echo: false, halfOpen: true });
    const client = await connect();
    client.socket.end("bye");
    await server.waitForReceived("bye", ARRIVE_MS);
    const serverSocket = server.sockets[0]!;
    await expect.poll(() => serverSocket.readableEnded, { timeout: ARRIVE_MS }).toBe(true);
    serverSocket.end("ok");
    expect(await client.waitFor((c) => c.ended && c.peek() === "ok", ARRIVE_MS)).toBe(true);
  });

  it("close() waits until every socket is closed and leaves none open", async () => {
    const { server, proxy, connect } = await setup();
    const clients = [await connect(), await connect(), await connect()];
    for (const client of clients) client.socket.write("x");
    for (const client of clients) expect(await client.waitForText("x", ARRIVE_MS)).toBe(true);
    proxy.partition(); // stalled connections must close too
    await proxy.close();
    expect(proxy.stats().connectionsOpen).toBe(0);
    for (const client of clients) expect(await client.waitFor((c) => c.closed, ARRIVE_MS)).toBe(true);
    await expect
      .poll(() => server.sockets.every((socket) => socket.destroyed), { timeout: ARRIVE_MS })
      .toBe(true);
    await proxy.close(); // idempotent
    await expect(TestClient.connect(proxy.port, 1000)).rejects.toThrow();
  });
});
