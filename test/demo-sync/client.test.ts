/**
 * The demo-sync client against a server that cannot answer: every request
 * ends non-zero (exit 20) with a message, never exit 0 with nothing printed.
 * The false success this guards against came from `AbortSignal.timeout`,
 * whose timer does not keep Node alive: with the server killed behind the
 * actor's proxy, a few syncs in a hundred exited 0 with the push unsent.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { syncDemoCommand } from "../../src/demo-sync/launch.js";
import { SYNC_CLIENT_EXIT } from "../../src/demo-sync/protocol.js";
import { startProxy } from "../../src/faults/proxy/index.js";
import { Random } from "../../src/random/random.js";

const client = syncDemoCommand("client");

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runClient(args: string[], env: Record<string, string>): Promise<Exit> {
  return new Promise((resolve) => {
    const child = execFile(
      client.command,
      [...client.args, ...args],
      { env: { ...process.env, ...env }, timeout: 30_000 },
      (_error, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }),
    );
  });
}

function freshHome(): string {
  const home = mkdtempSync(join(tmpdir(), "crucible-demo-sync-home-"));
  onTestFinished(() => rmSync(home, { recursive: true, force: true }));
  return home;
}

/** Listen on a free port; at the end of the test, drop every connection still open and close. */
async function listen(server: Server, connections: Socket[] = []): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  onTestFinished(async () => {
    for (const socket of connections) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return (server.address() as { port: number }).port;
}

describe("demo-sync client without an answer", () => {
  it("exits 20 naming the timeout when the server accepts and never answers", {
    timeout: 60_000,
  }, async () => {
    const held: Socket[] = [];
    const silent = createServer((socket) => held.push(socket));
    const port = await listen(silent, held);
    const env = {
      HOME: freshHome(),
      DEMO_SYNC_SERVER: `http://127.0.0.1:${port}`,
      DEMO_SYNC_TIMEOUT_MS: "300",
    };
    expect((await runClient(["create", "title=x"], env)).code).toBe(0);
    const result = await runClient(["sync"], env);
    expect(result.code).toBe(SYNC_CLIENT_EXIT.unreachable);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("no answer within 300 ms");
    expect(held.length).toBeGreaterThan(0);
  });

  it("never exits 0 when the server is down behind the actor's proxy (30 syncs)", {
    timeout: 180_000,
  }, async () => {
    // A port nobody listens on any more: the server, killed.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const proxy = await startProxy({
      name: "actor->server",
      target: { host: "127.0.0.1", port },
      random: new Random(1),
    });
    onTestFinished(() => proxy.close());
    const codes = new Map<string, number>();
    for (let i = 0; i < 30; i++) {
      const env = {
        HOME: freshHome(),
        DEMO_SYNC_SERVER: `http://${proxy.address}`,
        DEMO_SYNC_TIMEOUT_MS: "1000",
      };
      expect((await runClient(["create", "title=x"], env)).code).toBe(0);
      const result = await runClient(["sync"], env);
      const key = `exit ${result.code}: ${result.stderr.includes("unreachable") ? "unreachable" : result.stderr.trim()}`;
      codes.set(key, (codes.get(key) ?? 0) + 1);
    }
    expect(Object.fromEntries(codes)).toEqual({ "exit 20: unreachable": 30 });
  });
});
