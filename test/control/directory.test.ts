import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ControlDirectory, parseCommandName, RUNNER_PID_FILE } from "../../src/control/directory.js";
import { openFifoForWriting, writeAndClose } from "../../src/control/fifo.js";
import { mkfifo, tempDir } from "./helpers.js";

const opened: ControlDirectory[] = [];
afterEach(() => {
  for (const directory of opened.splice(0)) directory.close();
});

function watch(dir: string, warnings: string[] = []): ControlDirectory {
  const directory = new ControlDirectory({ dir, scanEveryMs: 20, warn: (message) => warnings.push(message) });
  opened.push(directory);
  directory.open();
  return directory;
}

describe("command names", () => {
  it("are op-<id> and check, nothing else", () => {
    expect(parseCommandName("op-12")).toEqual({ kind: "op", id: "12" });
    expect(parseCommandName("op-a_b.c-1")).toEqual({ kind: "op", id: "a_b.c-1" });
    expect(parseCommandName("check")).toEqual({ kind: "check" });
    for (const bad of ["op-", "op", "op-a b", "check2", "Op-1", `op-${"x".repeat(65)}`, "invoke-1"]) {
      expect(parseCommandName(bad)).toBeUndefined();
    }
  });
});

describe("the control directory", () => {
  it("is created if missing, emptied of FIFOs and command names, and announces the runner's pid", () => {
    const dir = join(tempDir("dir"), "control");
    mkdirSync(dir);
    mkfifo(join(dir, "op-1"));
    mkfifo(join(dir, "stray-fifo"));
    writeFileSync(join(dir, "check"), "stale");
    writeFileSync(join(dir, "notes.txt"), "the user's own file");
    const warnings: string[] = [];
    const directory = watch(dir, warnings);
    expect(existsSync(join(dir, "op-1"))).toBe(false);
    expect(existsSync(join(dir, "stray-fifo"))).toBe(false);
    expect(existsSync(join(dir, "check"))).toBe(false);
    expect(readFileSync(join(dir, "notes.txt"), "utf8")).toBe("the user's own file");
    expect(warnings).toEqual([expect.stringMatching(/ignoring "notes.txt"/)]);
    expect(readFileSync(join(dir, RUNNER_PID_FILE), "utf8").trim()).toBe(String(process.pid));
    directory.close();
    expect(existsSync(join(dir, RUNNER_PID_FILE))).toBe(false);

    const fresh = join(tempDir("dir"), "a", "b");
    watch(fresh);
    expect(existsSync(join(fresh, RUNNER_PID_FILE))).toBe(true);
  });

  it("queues new FIFOs once each, numbers in numeric order, and warns once about malformed names", async () => {
    const dir = tempDir("queue");
    const warnings: string[] = [];
    const directory = watch(dir, warnings);
    for (const name of ["op-10", "op-9", "check", "op-bad name", "op-2"]) mkfifo(join(dir, name));
    writeFileSync(join(dir, "op-3"), "a regular file");
    const names: string[] = [];
    for (let i = 0; i < 4; i++) {
      const command = await directory.next({ timeoutMs: 5_000 });
      names.push(command?.name ?? "none");
    }
    expect(names).toEqual(["check", "op-2", "op-9", "op-10"]);
    directory.scan();
    directory.scan();
    expect(await directory.next({ timeoutMs: 100 })).toBeUndefined();
    expect(warnings.filter((w) => w.includes("op-bad name"))).toHaveLength(1);
    expect(warnings.filter((w) => w.includes('"op-3"') && w.includes("not a FIFO"))).toHaveLength(1);
  });

  it("wakes a waiting next() when a FIFO appears, and returns undefined when closed", async () => {
    const dir = tempDir("wake");
    const directory = watch(dir);
    const waiting = directory.next({ timeoutMs: 10_000 });
    setTimeout(() => mkfifo(join(dir, "op-1")), 50);
    expect((await waiting)?.name).toBe("op-1");
    const closing = directory.next({ timeoutMs: 10_000 });
    directory.close();
    expect(await closing).toBeUndefined();
  });
});

describe("writing into a FIFO", () => {
  it("gives up on a FIFO nobody reads, after the reader wait", async () => {
    const path = join(tempDir("noreader"), "op-1");
    mkfifo(path);
    const startedMs = Date.now();
    expect(await openFifoForWriting(path, { readerWaitMs: 200 })).toEqual({ kind: "no-reader" });
    expect(Date.now() - startedMs).toBeLessThan(5_000);
  });

  it("delivers a line, larger than a pipe's buffer, to a reader that opens a moment late", async () => {
    const path = join(tempDir("reader"), "check");
    mkfifo(path);
    const text = `${JSON.stringify({ big: "x".repeat(200_000) })}\n`;
    let received = "";
    let reader: ReturnType<typeof spawn> | undefined;
    const late = setTimeout(() => {
      reader = spawn("cat", [path]);
      reader.stdout?.on("data", (chunk: Buffer) => {
        received += chunk.toString();
      });
    }, 100);
    try {
      const opened = await openFifoForWriting(path, { readerWaitMs: 5_000 });
      expect(opened.kind).toBe("open");
      if (opened.kind !== "open") return;
      expect(await writeAndClose(opened.fd, text)).toBe("written");
      await new Promise((resolve) => reader?.on("close", resolve));
      expect(received).toBe(text);
    } finally {
      clearTimeout(late);
      reader?.kill();
    }
  });
});
