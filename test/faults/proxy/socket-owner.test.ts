/**
 * Telling who dialed a loopback connection by the owner of its source
 * socket (/proc/net/tcp → inode → /proc/<pid>/fd), as the proxy mesh does
 * for etcd's shared peer address: a child process that dials is found by its
 * pid (and a grandchild by its process group), and a dialer that is not a
 * candidate is not mistaken for one.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { dialerOf, socketOwnersReadable } from "../../../src/faults/proxy/_internals/socket-owner.js";

const children: ChildProcess[] = [];
let server: Server | undefined;
afterEach(async () => {
  // Each child leads its own process group (detached): kill the group, grandchildren included.
  for (const child of children.splice(0)) {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A server on loopback; resolves with it and a promise of the next accepted socket. */
async function listen(): Promise<{ port: number; next: () => Promise<Socket> }> {
  const waiting: ((socket: Socket) => void)[] = [];
  server = createServer((socket) => waiting.shift()?.(socket));
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no address");
  return { port: address.port, next: () => new Promise((resolve) => waiting.push(resolve)) };
}

/** A node process (its own process group) that dials `port` and stays connected; with `viaChild`, a grandchild dials. */
function dialFromChild(port: number, viaChild: boolean): ChildProcess {
  const dial = `require("node:net").connect(${port}, "127.0.0.1"); setInterval(() => {}, 1000);`;
  const script = viaChild
    ? `require("node:child_process").spawn(process.execPath, ["-e", ${JSON.stringify(dial)}], { stdio: "ignore" }); setInterval(() => {}, 1000);`
    : dial;
  const child = spawn(process.execPath, ["-e", script], { detached: true, stdio: "ignore" });
  children.push(child);
  return child;
}

const ends = (socket: Socket) => ({
  dialer: { host: socket.remoteAddress!, port: socket.remotePort! },
  accepted: { host: socket.localAddress!, port: socket.localPort! },
});

describe.skipIf(!socketOwnersReadable())("dialerOf", () => {
  it("names the candidate process that dialed, and only it", async () => {
    const { port, next } = await listen();
    const accepted = next();
    const child = dialFromChild(port, false);
    const socket = await accepted;
    const other = dialFromChild(port, false);
    const candidates = new Map([
      [process.pid, "runner"],
      [other.pid!, "n2"],
      [child.pid!, "n1"],
    ]);
    expect(await dialerOf({ ...ends(socket), candidates })).toBe("n1");
    // Without the dialer among the candidates, no one is named.
    expect(await dialerOf({ ...ends(socket), candidates: new Map([[other.pid!, "n2"]]) })).toBeUndefined();
    socket.destroy();
  });

  it("finds a dialer that is a child of a candidate, by its process group", async () => {
    const { port, next } = await listen();
    const accepted = next();
    const parent = dialFromChild(port, true);
    const socket = await accepted;
    expect(await dialerOf({ ...ends(socket), candidates: new Map([[parent.pid!, "n3"]]) })).toBe("n3");
    socket.destroy();
  });

  it("the runner's own connection is not a node's", async () => {
    const { port, next } = await listen();
    const accepted = next();
    const { connect } = await import("node:net");
    const own = connect(port, "127.0.0.1");
    const socket = await accepted;
    const child = dialFromChild(port, false);
    expect(await dialerOf({ ...ends(socket), candidates: new Map([[child.pid!, "n1"]]) })).toBeUndefined();
    expect(await dialerOf({ ...ends(socket), candidates: new Map([[process.pid, "runner"]]) })).toBe(
      "runner",
    );
    own.destroy();
    socket.destroy();
  });
});
