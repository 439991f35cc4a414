/**
 * Test helpers: start real demo server processes (via `demoServerCommand`) on
 * free loopback ports with temp data dirs, and always stop them.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Node } from "../../src/cluster/types.js";
import { demoServerCommand } from "../../src/demo/launch.js";
import type { DemoMode } from "../../src/demo/protocol.js";

/** How long a server may take to print READY (tsx compiles on the fly; the machine is shared). */
const READY_TIMEOUT_MS = 30_000;

export interface DemoProcessSpec {
  name: string;
  dataDir: string;
  port: number;
  /** Peer name → port (URLs are built on 127.0.0.1). */
  peers: Record<string, number>;
  leader: string;
  mode: DemoMode;
  extraArgs?: string[];
}

export interface DemoProcess {
  readonly spec: DemoProcessSpec;
  readonly child: ChildProcess;
  readonly port: number;
  readonly url: string;
  /** Everything printed on stderr so far. */
  stderr(): string;
  /** Resolves with the exit code (or signal) when the process exits. */
  readonly exited: Promise<number | NodeJS.Signals | null>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Every process started by these helpers and not yet reaped: `stopAll` kills them. */
const running = new Set<DemoProcess>();
const tempDirs = new Set<string>();

export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "crucible-demo-"));
  tempDirs.add(dir);
  return dir;
}

/** A port that was free a moment ago (the tiny race is acceptable in tests). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

export function startDemoProcess(spec: DemoProcessSpec): Promise<DemoProcess> {
  const { command, args } = demoServerCommand();
  const peers = Object.entries(spec.peers)
    .map(([name, port]) => `${name}=http://127.0.0.1:${port}`)
    .join(",");
  const child = spawn(
    command,
    [
      ...args,
      "--name",
      spec.name,
      "--port",
      String(spec.port),
      "--data-dir",
      spec.dataDir,
      "--peers",
      peers,
      "--leader",
      spec.leader,
      "--mode",
      spec.mode,
      // Our end of its stdin pipe closes when this test process dies, however it dies: no orphans.
      "--exit-on-stdin-close",
      ...(spec.extraArgs ?? []),
    ],
    { stdio: ["pipe", "pipe", "pipe"], detached: true },
  );
  let stderr = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    // Bounded: keep the last 256 KiB.
    stderr = (stderr + chunk).slice(-256 * 1024);
  });
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) => {
    child.once("exit", (code, signal) => resolve(code ?? signal));
  });
  return new Promise((resolve, reject) => {
    let stdout = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${spec.name} not READY within ${READY_TIMEOUT_MS} ms; stderr:\n${stderr}`));
    }, READY_TIMEOUT_MS);
    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", (chunk: string) => {
      stdout += chunk;
      const match = /^READY (\d+)$/m.exec(stdout);
      if (match === null) return;
      clearTimeout(timer);
      const port = Number(match[1]);
      const handle: DemoProcess = {
        spec,
        child,
        port,
        url: `http://127.0.0.1:${port}`,
        stderr: () => stderr,
        exited,
        async kill(signal: NodeJS.Signals = "SIGKILL") {
          if (child.exitCode !== null || child.signalCode !== null) return;
          try {
            process.kill(-child.pid!, signal);
          } catch {
            return; // Already gone.
          }
          if (signal === "SIGKILL" || signal === "SIGTERM") {
            await exited;
            running.delete(handle);
          }
        },
      };
      running.add(handle);
      resolve(handle);
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${spec.name} exited (${String(code)}) before READY; stderr:\n${stderr}`));
    });
  });
}

export interface DemoTestCluster {
  nodes: DemoProcess[];
  specs: DemoProcessSpec[];
}

/** Start `count` nodes (n1 is the leader) on pre-chosen free ports, so each knows its peers' URLs. */
export async function startDemoCluster(options: {
  count: number;
  mode: DemoMode;
  extraArgs?: string[];
}): Promise<DemoTestCluster> {
  const names = Array.from({ length: options.count }, (_, i) => `n${i + 1}`);
  const ports: number[] = [];
  for (const _ of names) ports.push(await freePort());
  const specs: DemoProcessSpec[] = [];
  for (const [i, name] of names.entries()) {
    const peers: Record<string, number> = {};
    for (const [j, peer] of names.entries()) if (j !== i) peers[peer] = ports[j]!;
    specs.push({
      name,
      dataDir: await tempDir(),
      port: ports[i]!,
      peers,
      leader: "n1",
      mode: options.mode,
      extraArgs: options.extraArgs ?? [],
    });
  }
  const nodes = await Promise.all(specs.map((spec) => startDemoProcess(spec)));
  return { nodes, specs };
}

/** Kill every process still running and remove temp dirs: call from afterEach/afterAll. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((proc) => proc.kill("SIGKILL")));
  running.clear();
  await Promise.all([...tempDirs].map((dir) => rm(dir, { recursive: true, force: true })));
  tempDirs.clear();
}

/** A `Node` descriptor for a started process, enough for a client's `open`. */
export function nodeOf(proc: DemoProcess, index = 0): Node {
  return {
    name: proc.spec.name,
    index,
    host: "127.0.0.1",
    port: proc.port,
    address: `127.0.0.1:${proc.port}`,
    url: proc.url,
    pid: proc.child.pid,
    dataDir: proc.spec.dataDir,
    logPath: "",
    meta: {},
    logs: async () => proc.stderr(),
    isRunning: () => proc.child.exitCode === null && proc.child.signalCode === null,
    kill: (signal) => proc.kill(signal),
    pause: () => proc.kill("SIGSTOP"),
    resume: () => proc.kill("SIGCONT"),
    start: () => Promise.reject(new Error("not supported by the test helper")),
    restart: () => Promise.reject(new Error("not supported by the test helper")),
    stop: () => proc.kill("SIGTERM"),
  };
}

/** Poll `check` until it returns true, at most `timeoutMs`; throws with `what` on timeout. */
export async function eventually(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** POST /op with fetch (a second, independent way to talk to the server than the client under test). */
export async function op(
  url: string,
  body: unknown,
): Promise<{ status: number; body: { type: string; value?: unknown; error?: string; node?: string } }> {
  const response = await fetch(`${url}/op`, {
    method: "POST",
    body: JSON.stringify(body),
    headers: { "content-type": "application/json" },
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, body: (await response.json()) as { type: string; value?: unknown } };
}

/** A `Node` descriptor for an address with no demo process behind it (a bare port, a misbehaving listener). */
export function addressNode(name: string, port: number): Node {
  const notRunning = (): Promise<void> => Promise.reject(new Error(`${name} is not a process`));
  return {
    name,
    index: 0,
    host: "127.0.0.1",
    port,
    address: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    pid: undefined,
    dataDir: "",
    logPath: "",
    meta: {},
    logs: async () => "",
    isRunning: () => false,
    kill: notRunning,
    pause: notRunning,
    resume: notRunning,
    start: notRunning,
    restart: notRunning,
    stop: notRunning,
  };
}
