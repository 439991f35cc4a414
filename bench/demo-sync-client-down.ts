/**
 * The demo-sync client against a server that is down behind the actor's
 * fault proxy, as in the `server-restart` scenario: how many `sync` calls
 * exit 0 (a false success: nothing was pushed) and what the others print.
 * Must print 0 false successes. Before the client bounded its requests with
 * its own timer (it used `AbortSignal.timeout`, whose timer does not keep
 * Node alive), 6 of 80 exited 0 with nothing printed.
 *
 *   npx tsx bench/demo-sync-client-down.ts [calls=80] [proxy|direct]
 *
 * `direct` aims the client at the dead port itself (no proxy): connection
 * refused, never a false success, for comparison. Runs the built client
 * (`dist/`) when it is up to date, else the source through tsx.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { syncDemoCommand } from "../src/demo-sync/launch.js";
import { startProxy } from "../src/faults/proxy/index.js";
import { Random } from "../src/random/random.js";

const calls = Number(process.argv[2] ?? 80);
const how = process.argv[3] ?? "proxy";
const client = syncDemoCommand("client");

async function deadPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

function run(args: string[], env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(
      client.command,
      [...client.args, ...args],
      { env, timeout: 30_000 },
      (_error, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }),
    );
  });
}

const port = await deadPort();
const proxy =
  how === "proxy"
    ? await startProxy({ name: "actor->server", target: { host: "127.0.0.1", port }, random: new Random(1) })
    : undefined;
const url = proxy ? `http://${proxy.address}` : `http://127.0.0.1:${port}`;
const kinds = new Map<string, number>();
let falseSuccesses = 0;
const started = performance.now();
for (let i = 0; i < calls; i++) {
  const home = mkdtempSync(join(tmpdir(), "crucible-client-down-"));
  const env = { ...process.env, HOME: home, DEMO_SYNC_SERVER: url, DEMO_SYNC_TIMEOUT_MS: "1500" };
  try {
    await run(["create", "title=x"], env);
    const result = await run(["sync"], env);
    if (result.code === 0) falseSuccesses++;
    const message = result.stderr
      .trim()
      .replace(/http:\/\/[\d.:]+/, "URL")
      .slice(0, 100);
    const kind = `exit ${result.code}${result.stdout.trim() === "" ? ", no stdout" : ""}: ${message || "(no message)"}`;
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
await proxy?.close();
console.log(
  `${calls} syncs against a dead server (${how}): ${falseSuccesses} false successes (exit 0), ${((performance.now() - started) / 1000).toFixed(1)} s`,
);
for (const [kind, count] of kinds) console.log(`  ${count} × ${kind}`);
