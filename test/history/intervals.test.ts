import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors/index.js";
import {
  appendIntervalRecord,
  INTERVAL_RECORD_MAX_BYTES,
  monotonicNowNs,
  parseIntervalLog,
  readIntervalLog,
} from "../../src/history/intervals.js";

const dir = mkdtempSync(join(tmpdir(), "crucible-intervals-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("interval log", () => {
  it("pairs start and end records and shifts times to the run's origin", () => {
    const path = join(dir, "pairs.jsonl");
    appendIntervalRecord(path, { holder: "a1", pid: 10, start: 1_000n, token: "57" });
    appendIntervalRecord(path, { holder: "a2", pid: 11, start: 1_500n, slot: 1 });
    appendIntervalRecord(path, { holder: "a1", pid: 10, start: 1_000n, end: 2_000n, token: "57" });
    const intervals = readIntervalLog(path, { originNs: 900n });
    expect(intervals).toEqual([
      { holder: "a1", pid: 10, start: 100, end: 1_100, token: "57", line: 1 },
      { holder: "a2", pid: 11, start: 600, end: undefined, slot: 1, line: 2 },
    ]);
  });

  it("reads times above 2^53 exactly, as strings or as bare integers", () => {
    const big = 9_007_199_254_740_993n;
    const text = `{"holder":"h","pid":1,"start":${big}}\n{"holder":"h","pid":1,"start":"${big}","end":"${big + 10n}"}\n`;
    const [interval] = parseIntervalLog(text, "log", { originNs: big - 5n });
    expect(interval?.start).toBe(5);
    expect(interval?.end).toBe(15);
  });

  it("writes one line per record with the monotonic clock", () => {
    const path = join(dir, "clock.jsonl");
    const now = monotonicNowNs();
    appendIntervalRecord(path, { holder: "x", pid: process.pid, start: now });
    const line = readFileSync(path, "utf8");
    expect(line).toBe(`{"holder":"x","pid":${process.pid},"start":"${now}"}\n`);
  });

  it("refuses a record too long to append atomically", () => {
    const path = join(dir, "long.jsonl");
    expect(() =>
      appendIntervalRecord(path, { holder: "x".repeat(INTERVAL_RECORD_MAX_BYTES), pid: 1, start: 1n }),
    ).toThrow(UsageError);
  });

  it.each([
    ['{"holder":"","pid":1,"start":"1"}', "`holder`"],
    ['{"holder":"h","pid":0,"start":"1"}', "`pid`"],
    ['{"holder":"h","pid":1,"start":"-1"}', "`start`"],
    ['{"holder":"h","pid":1,"start":"5","end":"4"}', "before"],
    ['{"holder":"h","pid":1,"start":"1","slot":-1}', "`slot`"],
    ['{"holder":"h","pid":1,"start":"1","token":{}}', "`token`"],
    ["[1]", "expected an object"],
    ["{", "not valid JSON"],
  ])("refuses %s with file:line", (line, expected) => {
    expect(() => parseIntervalLog(`${line}\n`, "log.jsonl")).toThrow(/^log\.jsonl:1: /);
    expect(() => parseIntervalLog(`${line}\n`, "log.jsonl")).toThrow(expected);
  });

  it("refuses an end without its start, and a second end", () => {
    expect(() => parseIntervalLog('{"holder":"h","pid":1,"start":"1","end":"2"}\n', "l")).toThrow(
      "l:1: an end record",
    );
    const twice = [
      '{"holder":"h","pid":1,"start":"1"}',
      '{"holder":"h","pid":1,"start":"1","end":"2"}',
      '{"holder":"h","pid":1,"start":"1","end":"3"}',
    ].join("\n");
    expect(() => parseIntervalLog(`${twice}\n`, "l")).toThrow("l:3: an end record");
  });

  it("skips a torn last line with a warning, but not a bad complete line", () => {
    const warnings: string[] = [];
    const text = '{"holder":"h","pid":1,"start":"1"}\n{"holder":"h","pi';
    expect(parseIntervalLog(text, "l", { onWarning: (m) => warnings.push(m) })).toHaveLength(1);
    expect(warnings).toEqual(["l:2: torn last line ignored (a holder killed while writing leaves one)"]);
    expect(() => parseIntervalLog(`${text}\n`, "l")).toThrow("l:2:");
  });

  it("keeps a file written by the shell one-liner readable", () => {
    const path = join(dir, "shell.jsonl");
    writeFileSync(
      path,
      '{"holder":"sh","pid":42,"start":123}\n{"holder":"sh","pid":42,"start":123,"end":456}\n',
    );
    expect(readIntervalLog(path)).toEqual([{ holder: "sh", pid: 42, start: 123, end: 456, line: 1 }]);
  });
});
