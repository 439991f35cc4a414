import { mkdtempSync, readFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { Journal, type JournalWrite } from "../../src/history/journal.js";
import type { Op } from "../../src/history/op.js";

function op(index: number, value: unknown): Op {
  return { index, time: index * 1000, type: "invoke", process: 0, f: "write", value };
}

function tempPath(): string {
  return join(mkdtempSync(join(tmpdir(), "crucible-journal-")), "history.jsonl");
}

/** A writer that takes at most `max` bytes per call and answers EAGAIN on every third call. */
function shortWriter(max: number): { write: JournalWrite; calls: () => number } {
  let calls = 0;
  const write: JournalWrite = (fd, buffer, offset, length) => {
    calls++;
    if (calls % 3 === 0)
      throw Object.assign(new Error("EAGAIN: resource temporarily unavailable"), { code: "EAGAIN" });
    return writeSync(fd, buffer, offset, Math.min(max, length));
  };
  return { write, calls: () => calls };
}

describe("Journal.flush", () => {
  test("a short write is followed by the rest of the same text, never by the next flush: no torn line", () => {
    const path = tempPath();
    const writer = shortWriter(7);
    const journal = new Journal(path, { write: writer.write });
    const ops = [op(0, "héllo wörld, multi-byte: ✓"), op(1, { nested: [1, 2, 3] }), op(2, "x".repeat(300))];
    journal.append(ops[0]!);
    journal.flush();
    journal.append(ops[1]!);
    journal.append(ops[2]!);
    journal.flush();
    journal.close();
    expect(writer.calls()).toBeGreaterThan(10);
    const lines = readFileSync(path, "utf8").split("\n");
    expect(lines.pop()).toBe("");
    expect(lines.map((line) => JSON.parse(line))).toEqual(ops);
  });

  test("an fd that never takes anything is an error naming the journal, not a silent loss", () => {
    const path = tempPath();
    const journal = new Journal(path, {
      write: () => {
        throw Object.assign(new Error("EIO: i/o error"), { code: "EIO" });
      },
    });
    journal.append(op(0, 1));
    expect(() => journal.flush()).toThrow(`could not write ${path}: EIO: i/o error`);
  });
});
