/**
 * What telling a connection's dialer apart costs (the proxy mesh's etcd
 * peer dispatch): `dialerOf` on connections from real child processes, each
 * holding `--conns` open sockets like a busy member, among `--members`
 * candidates.
 *
 *   npx tsx bench/dialer-identify.ts [--members 3] [--conns 50] [--rounds 5]
 *
 * Prints the /proc/net/tcp size of this machine, then p50/p99/max of one
 * identification in ms over every connection of every round. Most of it is
 * the kernel printing /proc/net/tcp (read off the event loop). Target: p99
 * far below the dispatcher's 2 s identification deadline and etcd's 1 s peer
 * dial timeout (one identification per accepted peer connection; etcd keeps
 * its peer connections open).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { dialerOf } from "../src/faults/proxy/_internals/socket-owner.js";

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!(value > 0)) throw new Error(`--${name} must be a positive number`);
  return value;
}

const members = arg("members", 3);
const conns = arg("conns", 50);
const rounds = arg("rounds", 5);

const accepted: Socket[] = [];
const server = createServer((socket) => accepted.push(socket));
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const { port } = server.address() as { port: number };

const children: ChildProcess[] = [];
const candidates = new Map<number, string>();
for (let i = 0; i < members; i++) {
  const script = `const net = require("node:net"); for (let i = 0; i < ${conns}; i++) net.connect(${port}, "127.0.0.1"); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ["-e", script], { detached: true, stdio: "ignore" });
  children.push(child);
  candidates.set(child.pid!, `n${i + 1}`);
}
const deadline = Date.now() + 20_000;
while (accepted.length < members * conns && Date.now() < deadline)
  await new Promise((r) => setTimeout(r, 20));

const timesMs: number[] = [];
let wrong = 0;
try {
  for (let round = 0; round < rounds; round++) {
    for (const socket of accepted) {
      const start = performance.now();
      const name = await dialerOf({
        dialer: { host: socket.remoteAddress!, port: socket.remotePort! },
        accepted: { host: socket.localAddress!, port: socket.localPort! },
        candidates,
      });
      timesMs.push(performance.now() - start);
      if (name === undefined) wrong++;
    }
  }
} finally {
  for (const child of children) process.kill(-child.pid!, "SIGKILL");
  for (const socket of accepted) socket.destroy();
  server.close();
}
timesMs.sort((a, b) => a - b);
const at = (q: number) => timesMs[Math.min(timesMs.length - 1, Math.floor(q * timesMs.length))]!.toFixed(3);
const tcpLines = readFileSync("/proc/net/tcp", "utf8").split("\n").length - 2;
console.log(
  `/proc/net/tcp: ${tcpLines} sockets; ${members} members x ${conns} connections, ${rounds} rounds`,
);
console.log(
  `dialerOf: ${timesMs.length} identifications, unidentified ${wrong}; p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${timesMs.at(-1)!.toFixed(3)} ms`,
);
