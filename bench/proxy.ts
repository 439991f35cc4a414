/**
 * What the fault proxy costs when no fault is active, on loopback.
 *
 *   npx tsx bench/proxy.ts [--mb 512] [--pings 5000] [--rounds 3]
 *
 * Throughput: one connection streams `--mb` MiB to a sink, direct and through
 * the proxy. Latency: `--pings` sequential 32-byte request/response round
 * trips to an echo server, direct and through the proxy (p50/p99).
 * The load (client and servers) runs in a worker thread and the proxy on the
 * main thread, as in a run where the proxy shares the runner process but not
 * the system under test. Each figure is the median over `--rounds` rounds,
 * direct and proxied interleaved so that machine noise hits both alike.
 * Targets: proxied throughput >= 80% of direct, added p50 < 0.2 ms.
 */
import { Worker } from "node:worker_threads";
import { startProxy } from "../src/faults/proxy/proxy.js";
import { Random } from "../src/random/random.js";

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!(value > 0)) throw new Error(`--${name} must be a positive number`);
  return value;
}

const totalMiB = arg("mb", 512);
const pings = arg("pings", 5000);
const rounds = arg("rounds", 3);

/** The load generator: a sink and an echo server, and the clients that drive them. Plain JS for `eval`. */
const loadCode = `
const { parentPort } = require("node:worker_threads");
const net = require("node:net");
const { performance } = require("node:perf_hooks");

const sink = net.createServer({ noDelay: true }, (socket) => {
  let expected = -1, seen = 0, header = Buffer.alloc(0);
  socket.on("data", (chunk) => {
    if (expected < 0) {
      header = Buffer.concat([header, chunk]);
      if (header.length < 8) return;
      expected = Number(header.readBigUInt64BE(0));
      chunk = header.subarray(8);
    }
    seen += chunk.length;
    if (seen >= expected) socket.end("k");
  });
  socket.on("error", () => {});
});
const echo = net.createServer({ noDelay: true }, (socket) => {
  socket.on("data", (chunk) => socket.write(chunk));
  socket.on("error", () => {});
});

function listen(server) {
  return new Promise((resolve) => server.listen({ host: "127.0.0.1", port: 0 }, () => resolve(server.address().port)));
}

function connect(port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port, noDelay: true });
    socket.once("connect", () => resolve(socket));
    socket.once("error", reject);
  });
}

async function throughput(port, totalBytes) {
  const socket = await connect(port);
  const block = Buffer.alloc(64 * 1024, 120);
  const header = Buffer.alloc(8);
  header.writeBigUInt64BE(BigInt(totalBytes));
  const done = new Promise((resolve) => socket.once("data", resolve));
  const started = performance.now();
  socket.write(header);
  let sent = 0;
  while (sent < totalBytes) {
    const n = Math.min(block.length, totalBytes - sent);
    const ok = socket.write(n === block.length ? block : block.subarray(0, n));
    sent += n;
    if (!ok) await new Promise((resolve) => socket.once("drain", resolve));
  }
  await done;
  const seconds = (performance.now() - started) / 1000;
  socket.destroy();
  return totalBytes / (1024 * 1024) / seconds;
}

async function ping(port, count) {
  const socket = await connect(port);
  const message = Buffer.alloc(32, 112);
  const samples = [];
  let resolveReply;
  let got = 0;
  socket.on("data", (chunk) => {
    got += chunk.length;
    if (got >= message.length) { got = 0; resolveReply(); }
  });
  const warmup = Math.min(500, count);
  for (let i = 0; i < warmup + count; i++) {
    const reply = new Promise((resolve) => { resolveReply = resolve; });
    const started = performance.now();
    socket.write(message);
    await reply;
    if (i >= warmup) samples.push(performance.now() - started);
  }
  socket.destroy();
  samples.sort((a, b) => a - b);
  const at = (q) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))];
  return { p50: at(0.5), p99: at(0.99) };
}

(async () => {
  const sinkPort = await listen(sink);
  const echoPort = await listen(echo);
  parentPort.postMessage({ kind: "ready", sinkPort, echoPort });
  parentPort.on("message", async (task) => {
    if (task.kind === "throughput") parentPort.postMessage({ kind: "result", value: await throughput(task.port, task.totalBytes) });
    else if (task.kind === "ping") parentPort.postMessage({ kind: "result", value: await ping(task.port, task.count) });
    else { sink.close(); echo.close(); parentPort.close(); }
  });
})();
`;

interface Ready {
  kind: "ready";
  sinkPort: number;
  echoPort: number;
}

function median(values: number[]): number {
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  const worker = new Worker(loadCode, { eval: true });
  const ready = await new Promise<Ready>((resolve) => worker.once("message", resolve));
  const ask = <T>(task: object): Promise<T> =>
    new Promise<T>((resolve) => {
      worker.once("message", (message: { value: T }) => resolve(message.value));
      worker.postMessage(task);
    });
  const random = new Random(1);
  const sinkProxy = await startProxy({
    target: { host: "127.0.0.1", port: ready.sinkPort },
    random: random.fork("sink"),
  });
  const echoProxy = await startProxy({
    target: { host: "127.0.0.1", port: ready.echoPort },
    random: random.fork("echo"),
  });
  try {
    const totalBytes = totalMiB * 1024 * 1024;
    const direct: number[] = [];
    const proxied: number[] = [];
    const directP50: number[] = [];
    const directP99: number[] = [];
    const proxiedP50: number[] = [];
    const proxiedP99: number[] = [];
    for (let round = 0; round < rounds; round++) {
      direct.push(await ask<number>({ kind: "throughput", port: ready.sinkPort, totalBytes }));
      proxied.push(await ask<number>({ kind: "throughput", port: sinkProxy.port, totalBytes }));
      const d = await ask<{ p50: number; p99: number }>({ kind: "ping", port: ready.echoPort, count: pings });
      const p = await ask<{ p50: number; p99: number }>({ kind: "ping", port: echoProxy.port, count: pings });
      directP50.push(d.p50);
      directP99.push(d.p99);
      proxiedP50.push(p.p50);
      proxiedP99.push(p.p99);
    }
    const ratio = median(proxied) / median(direct);
    const addedP50Ms = median(proxiedP50) - median(directP50);
    const fmt = (value: number, digits = 3) => value.toFixed(digits);
    console.log(
      `proxy bench: ${totalMiB} MiB stream, ${pings} pings, median of ${rounds} rounds (Node ${process.version})`,
    );
    console.log(
      `throughput direct   ${fmt(median(direct), 0)} MiB/s   runs: ${direct.map((v) => fmt(v, 0)).join(", ")}`,
    );
    console.log(
      `throughput proxied  ${fmt(median(proxied), 0)} MiB/s   runs: ${proxied.map((v) => fmt(v, 0)).join(", ")}`,
    );
    console.log(`throughput ratio    ${fmt(ratio * 100, 1)}%   (target >= 80%)`);
    console.log(`ping direct         p50 ${fmt(median(directP50))} ms   p99 ${fmt(median(directP99))} ms`);
    console.log(`ping proxied        p50 ${fmt(median(proxiedP50))} ms   p99 ${fmt(median(proxiedP99))} ms`);
    console.log(`added p50           ${fmt(addedP50Ms)} ms   (target < 0.2 ms)`);
  } finally {
    worker.postMessage({ kind: "stop" });
    await sinkProxy.close();
    await echoProxy.close();
    await worker.terminate();
  }
}

await main();
