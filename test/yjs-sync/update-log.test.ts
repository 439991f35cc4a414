/**
 * The Yjs server's update log: what was appended replays into the same
 * document; a tail torn mid-record (a SIGKILL during a write) is dropped and
 * cut off, so the next append follows the last good record; compaction
 * leaves one record holding the whole document.
 */
import { appendFileSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { readUpdateLog, UpdateLog, updateLogPath } from "../../src/yjs-sync/update-log.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function logPath(): string {
  const dir = mkdtempSync(join(tmpdir(), "crucible-ylog-"));
  dirs.push(dir);
  return updateLogPath(dir, "room/with slash");
}

/** A document with `n` entities, each set in its own transaction, and the updates it emitted. */
function edits(n: number): { doc: Y.Doc; updates: Uint8Array[] } {
  const doc = new Y.Doc();
  const updates: Uint8Array[] = [];
  doc.on("update", (update: Uint8Array) => updates.push(update));
  for (let i = 0; i < n; i++) doc.getMap("entities").set(`e${i}`, `v${i}`);
  return { doc, updates };
}

function replayed(path: string): Record<string, unknown> {
  const doc = new Y.Doc();
  for (const update of readUpdateLog(path).updates) Y.applyUpdate(doc, update);
  return doc.getMap("entities").toJSON();
}

describe("UpdateLog", () => {
  it("replays what was appended, and keeps the room name a safe file name", () => {
    const path = logPath();
    expect(path.endsWith("room%2Fwith%20slash.ylog")).toBe(true);
    const { doc, updates } = edits(3);
    const log = UpdateLog.open(path, { goodBytes: 0 });
    for (const update of updates) log.append(update);
    log.close();
    expect(readUpdateLog(path).updates).toHaveLength(3);
    expect(replayed(path)).toEqual(doc.getMap("entities").toJSON());
  });

  it("drops a torn tail and cuts it off before the next append", () => {
    const path = logPath();
    const { updates } = edits(3);
    const log = UpdateLog.open(path, { goodBytes: 0 });
    log.append(updates[0]!);
    log.append(updates[1]!);
    log.close();
    const good = statSync(path).size;
    // Half a record: a length that promises more bytes than follow.
    appendFileSync(path, Buffer.from([200, 0, 0, 0, 1, 2, 3]));
    const torn = readUpdateLog(path);
    expect(torn.updates).toHaveLength(2);
    expect(torn.tornBytes).toBe(7);
    expect(torn.goodBytes).toBe(good);
    const reopened = UpdateLog.open(path, { goodBytes: torn.goodBytes });
    reopened.append(updates[2]!);
    reopened.close();
    const after = readUpdateLog(path);
    expect(after.tornBytes).toBe(0);
    expect(Object.keys(replayed(path)).sort()).toEqual(["e0", "e1", "e2"]);
  });

  it("stops at a record whose checksum does not match", () => {
    const path = logPath();
    const { updates } = edits(2);
    const log = UpdateLog.open(path, { goodBytes: 0 });
    log.append(updates[0]!);
    log.close();
    const header = Buffer.alloc(8);
    header.writeUInt32LE(updates[1]!.length, 0);
    header.writeUInt32LE(12345, 4);
    appendFileSync(path, Buffer.concat([header, updates[1]!]));
    const result = readUpdateLog(path);
    expect(result.updates).toHaveLength(1);
    expect(result.tornBytes).toBe(8 + updates[1]!.length);
  });

  it("compacts into one record holding the whole document", () => {
    const path = logPath();
    const { doc, updates } = edits(5);
    const log = UpdateLog.open(path, { goodBytes: 0 });
    for (const update of updates) log.append(update);
    log.close();
    const before = readUpdateLog(path);
    const compacted = UpdateLog.open(path, {
      goodBytes: before.goodBytes,
      compacted: Y.encodeStateAsUpdate(doc),
    });
    compacted.close();
    expect(readUpdateLog(path).updates).toHaveLength(1);
    expect(replayed(path)).toEqual(doc.getMap("entities").toJSON());
  });
});
