/**
 * Why `tick` (and a libfaketime clock fault) cannot reach Debian's Redis:
 * redis-server is linked with jemalloc, and a jemalloc program hangs at
 * start under libfaketime (libfaketime issues #130, #327). This test keeps
 * the refusal honest: if a later Redis or libfaketime starts and answers
 * under libfaketime, it fails, and `tick` on Redis should be built instead.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { freePorts } from "../../src/cluster/system.js";
import { findLibfaketime } from "../../src/faults/clock.js";

const library = findLibfaketime();

/** True when something answers `+PONG` on the port within `waitMs`. */
async function answersPing(port: number, waitMs: number): Promise<boolean> {
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    const pong = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: "127.0.0.1", port });
      socket.setTimeout(500, () => {
        socket.destroy();
        resolve(false);
      });
      socket.on("error", () => resolve(false));
      socket.on("connect", () => socket.write("PING\r\n"));
      socket.on("data", (data) => {
        socket.destroy();
        resolve(data.toString().startsWith("+PONG"));
      });
    });
    if (pong) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}

describe.skipIf(library === undefined)("Redis under libfaketime", () => {
  it("redis-server is linked with jemalloc", () => {
    const redisPath = execFileSync("sh", ["-c", "command -v redis-server"]).toString().trim();
    expect(execFileSync("ldd", [redisPath]).toString()).toContain("libjemalloc");
  });

  it("hangs at start under libfaketime, and starts without it", { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "crucible-redis-faketime-"));
    writeFileSync(join(dir, "faketime.rc"), "+0.000\n");
    const start = async (faked: boolean) => {
      const [port] = await freePorts(1);
      const env = faked
        ? {
            ...process.env,
            LD_PRELOAD: library!,
            FAKETIME_TIMESTAMP_FILE: join(dir, "faketime.rc"),
            FAKETIME_NO_CACHE: "1",
            FAKETIME_DONT_FAKE_MONOTONIC: "1",
          }
        : process.env;
      const log = join(dir, faked ? "faked.log" : "plain.log");
      const child = spawn(
        "sh",
        ["-c", `exec redis-server --port ${port!} --bind 127.0.0.1 --save "" --appendonly no >"${log}" 2>&1`],
        { env, stdio: "ignore" },
      );
      try {
        return { answered: await answersPing(port!, 4_000), log: readFileSync(log, "utf8") };
      } finally {
        child.kill("SIGKILL");
      }
    };
    try {
      const plain = await start(false);
      expect(plain.answered).toBe(true);
      const faked = await start(true);
      expect(faked.answered).toBe(false);
      expect(faked.log).toContain("recursive calls to clock_gettime()");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
