import { appendFile, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseDemoServerArgs } from "../../src/demo/args.js";
import type { LogEntry } from "../../src/demo/protocol.js";
import {
  CorruptLogError,
  encodeRecord,
  recover,
  SNAPSHOT_FILE,
  WAL_FILE,
  WriteAheadLog,
} from "../../src/demo/wal.js";
import { stopAll, tempDir } from "./helpers.js";

afterEach(stopAll);

/** Open a log whose durable store is tracked in `data`, as the server does. */
async function openLog(dir: string, data: Map<string, unknown>, maxLogBytes?: number) {
  const durable: LogEntry[] = [];
  let durableIndex = 0;
  const wal = await WriteAheadLog.open({
    dir,
    ...(maxLogBytes === undefined ? {} : { maxLogBytes }),
    onDurable: (entries) => {
      for (const entry of entries) data.set(entry.k, entry.v);
      durable.push(...entries);
      durableIndex = entries[entries.length - 1]!.i;
    },
    snapshotSource: () => ({ index: durableIndex, data }),
    onFatal: (error) => {
      throw error;
    },
  });
  return { wal, durable };
}

async function waitFor(check: () => boolean): Promise<void> {
  // Bounded: the fsyncs of a few records take milliseconds; 10 s means something is broken.
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe("write-ahead log", () => {
  it("recovers what was made durable, in order", async () => {
    const dir = await tempDir();
    const { wal, durable } = await openLog(dir, new Map());
    for (let i = 1; i <= 5; i++) wal.append({ i, k: `k${i % 2}`, v: { n: i } });
    await waitFor(() => durable.length === 5);
    await wal.close();
    const recovered = await recover(dir);
    expect(recovered.lastIndex).toBe(5);
    expect(recovered.tornBytes).toBe(0);
    expect(recovered.entries.map((e) => e.i)).toEqual([1, 2, 3, 4, 5]);
    expect(Object.fromEntries(recovered.data)).toEqual({ k0: { n: 4 }, k1: { n: 5 } });
  });

  it("groups concurrent appends into fewer flushes than records", async () => {
    const dir = await tempDir();
    let flushes = 0;
    const data = new Map<string, unknown>();
    const wal = await WriteAheadLog.open({
      dir,
      onDurable: () => {
        flushes++;
      },
      snapshotSource: () => ({ index: 0, data }),
      onFatal: (error) => {
        throw error;
      },
    });
    // 100 appends in one tick: the first flush takes one record at most, the rest share the next ones.
    for (let i = 1; i <= 100; i++) wal.append({ i, k: "x", v: i });
    await wal.close();
    expect(flushes).toBeGreaterThanOrEqual(1);
    expect(flushes).toBeLessThanOrEqual(2);
    expect((await recover(dir)).lastIndex).toBe(100);
  });

  it("drops a torn last record and truncates it away", async () => {
    const dir = await tempDir();
    await writeFile(
      join(dir, WAL_FILE),
      encodeRecord({ i: 1, k: "x", v: 1 }) + encodeRecord({ i: 2, k: "x", v: 2 }),
    );
    const goodSize = (await stat(join(dir, WAL_FILE))).size;
    const torn = encodeRecord({ i: 3, k: "x", v: 3 }).slice(0, 15);
    await appendFile(join(dir, WAL_FILE), torn);
    const recovered = await recover(dir);
    expect(recovered.lastIndex).toBe(2);
    expect(recovered.data.get("x")).toBe(2);
    expect(recovered.tornBytes).toBe(torn.length);
    expect((await stat(join(dir, WAL_FILE))).size).toBe(goodSize);
  });

  it("drops a complete last line whose checksum does not match", async () => {
    const dir = await tempDir();
    const bad = encodeRecord({ i: 2, k: "x", v: 2 }).replace('"v":2', '"v":9');
    await writeFile(join(dir, WAL_FILE), encodeRecord({ i: 1, k: "x", v: 1 }) + bad);
    const recovered = await recover(dir);
    expect(recovered.lastIndex).toBe(1);
    expect(recovered.tornBytes).toBe(bad.length);
  });

  it("refuses a bad record in the middle (corruption, not a tear)", async () => {
    const dir = await tempDir();
    const bad = encodeRecord({ i: 2, k: "x", v: 2 }).replace('"v":2', '"v":9');
    await writeFile(
      join(dir, WAL_FILE),
      encodeRecord({ i: 1, k: "x", v: 1 }) + bad + encodeRecord({ i: 3, k: "x", v: 3 }),
    );
    await expect(recover(dir)).rejects.toBeInstanceOf(CorruptLogError);
  });

  it("compacts into a snapshot past maxLogBytes and recovers across it", async () => {
    const dir = await tempDir();
    const data = new Map<string, unknown>();
    const { wal, durable } = await openLog(dir, data, 1024);
    for (let i = 1; i <= 200; i++) {
      wal.append({ i, k: `key-${i % 7}`, v: i });
      if (i % 10 === 0) await waitFor(() => durable.length === i);
    }
    await waitFor(() => durable.length === 200);
    await wal.close();
    const snapshot = JSON.parse(await readFile(join(dir, SNAPSHOT_FILE), "utf8")) as { index: number };
    expect(snapshot.index).toBeGreaterThan(0);
    expect((await stat(join(dir, WAL_FILE))).size).toBeLessThan(2048);
    const recovered = await recover(dir);
    expect(recovered.lastIndex).toBe(200);
    expect(recovered.snapshotIndex).toBe(snapshot.index);
    expect(Object.fromEntries(recovered.data)).toEqual(Object.fromEntries(data));
  });

  it("installs a snapshot that replaces the log", async () => {
    const dir = await tempDir();
    const { wal, durable } = await openLog(dir, new Map());
    wal.append({ i: 1, k: "old", v: 1 });
    await waitFor(() => durable.length === 1);
    await wal.installSnapshot(
      50,
      new Map<string, unknown>([
        ["a", 1],
        ["b", [2]],
      ]),
    );
    wal.append({ i: 51, k: "a", v: 3 });
    await wal.close();
    const recovered = await recover(dir);
    expect(recovered.snapshotIndex).toBe(50);
    expect(recovered.lastIndex).toBe(51);
    expect(Object.fromEntries(recovered.data)).toEqual({ a: 3, b: [2] });
  });
});

describe("demo server flags", () => {
  it("parses a full command line", () => {
    const args = parseDemoServerArgs([
      "--name",
      "n2",
      "--port",
      "0",
      "--data-dir",
      "/tmp/x",
      "--peers",
      "n1=http://127.0.0.1:7001,n3=http://127.0.0.1:7003",
      "--leader",
      "n1",
      "--mode",
      "stale-reads",
      "--replication-delay-ms",
      "250",
    ]);
    expect(args.name).toBe("n2");
    expect(args.port).toBe(0);
    expect([...args.peers.keys()]).toEqual(["n1", "n3"]);
    expect(args.peers.get("n3")?.port).toBe("7003");
    expect(args.mode).toBe("stale-reads");
    expect(args.replicationDelayMs).toBe(250);
  });

  it("a lone node leads itself", () => {
    expect(parseDemoServerArgs(["--name", "n1", "--data-dir", "/tmp/x"]).leader).toBe("n1");
  });

  it.each([
    [["--data-dir", "/tmp/x"], /--name/],
    [["--name", "n1"], /--data-dir/],
    [["--name", "n1", "--data-dir", "d", "--mode", "eventual"], /--mode/],
    [["--name", "n1", "--data-dir", "d", "--port", "70000"], /--port/],
    [["--name", "n1", "--data-dir", "d", "--peers", "n2=http://h:1"], /--leader is required/],
    [["--name", "n1", "--data-dir", "d", "--peers", "n2"], /NAME=URL/],
    [["--name", "n1", "--data-dir", "d", "--peers", "n2=http://h:1", "--leader", "n9"], /neither/],
    [["--name", "n1", "--data-dir", "d", "--bogus"], /bogus/],
  ])("rejects %j", (argv, message) => {
    expect(() => parseDemoServerArgs(argv)).toThrow(message);
  });
});
