import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Op, opToJson } from "../../src/history/op.js";
import { readHistoryFile } from "../../src/history/reader.js";
import { scanOpLine } from "../../src/history/scan.js";

const dir = () => mkdtempSync(join(tmpdir(), "crucible-scan-"));

describe("the reader's fast path (scanOpLine)", () => {
  it("reads the journal's own lines exactly as JSON.parse does", () => {
    const lines = [
      '{"index":0,"time":12,"type":"invoke","process":3,"f":"write","key":7,"value":5}',
      '{"index":1,"time":0,"type":"ok","process":-2,"f":"read","value":null}',
      '{"index":2,"time":9,"type":"info","process":"nemesis","f":"kill","value":["n1","n2"]}',
      '{"index":3,"time":9,"type":"fail","process":1,"f":"cas","key":"k","value":[1,null]}',
      '{"index":4,"time":9,"type":"ok","process":1,"f":"read","value":[]}',
      '{"index":5,"time":9,"type":"ok","process":1,"f":"rëad ✓","value":true}',
      '{"index":6,"time":-0,"type":"ok","process":1,"f":"x","value":false}',
      '{"index":7,"time":999999999999999,"type":"ok","process":0,"f":"x","value":-999999999999999}',
    ];
    for (const line of lines) {
      const op = scanOpLine(line);
      expect(op, line).toBeDefined();
      expect(op).toStrictEqual(JSON.parse(line));
      expect(Object.keys(op!)).toEqual(Object.keys(JSON.parse(line)));
    }
  });

  it("leaves every other shape to JSON.parse and the full checks", () => {
    const others = [
      "",
      " ",
      "{}",
      '{"index": 0,"time":1,"type":"ok","process":0,"f":"x","value":1}', // a space
      '{"index":0,"time":1.5,"type":"ok","process":0,"f":"x","value":1}', // a float
      '{"index":0,"time":1e3,"type":"ok","process":0,"f":"x","value":1}',
      '{"index":01,"time":1,"type":"ok","process":0,"f":"x","value":1}', // leading zero: not JSON
      '{"index":-1,"time":1,"type":"ok","process":0,"f":"x","value":1}', // negative index: an error to report
      '{"index":0,"time":1,"type":"done","process":0,"f":"x","value":1}', // unknown type
      '{"index":0,"time":1,"type":"ok","process":"n1","f":"x","value":1}', // a named process
      '{"index":0,"time":1,"type":"ok","process":0,"f":"a\\"b","value":1}', // an escape
      '{"index":0,"time":1,"type":"ok","process":0,"f":"x","value":9007199254740993}', // not exact
      '{"index":0,"time":1,"type":"ok","process":0,"f":"x","value":1234567890123456}', // 16 digits
      '{"index":0,"time":1,"type":"ok","process":0,"f":"x","value":[[1]]}', // nested
      '{"index":0,"time":1,"type":"ok","process":0,"f":"x","value":{"a":1}}',
      '{"index":0,"time":1,"type":"ok","process":0,"f":"x","value":1,"node":"n1"}', // another field
      '{"index":0,"time":1,"type":"ok","process":0,"f":"x","value":1} ', // trailing text
      '{"index":0,"time":1,"type":"ok","process":0,"f":"x","value":1}}',
      '{"index":0,"time":1,"type":"ok","process":0,"f":"x","value":[1,]}',
      '{"index":0,"time":1,"type":"ok","process":0,"f":"x","value":nul}',
      '{"index":0,"time":1,"type":"ok","process":0,"f":"x","value":1', // torn
      '{"index":0,"time":1,"type":"ok","process":0,"f":"x\tz","value":1}', // a raw control character
      '{"time":1,"index":0,"type":"ok","process":0,"f":"x","value":1}', // another order
    ];
    for (const line of others) expect(scanOpLine(line), line).toBeUndefined();
  });

  it("never disagrees with JSON.parse on journal lines and their mutations", () => {
    const scalar = fc.oneof(
      fc.constant(null),
      fc.boolean(),
      fc.integer({ min: -1e15, max: 1e15 }),
      fc.maxSafeInteger(),
      fc.string({ maxLength: 6 }),
    );
    const opArb = fc.record(
      {
        index: fc.nat(),
        time: fc.oneof(fc.nat(), fc.double({ noNaN: true, noDefaultInfinity: true })),
        type: fc.constantFrom("invoke", "ok", "fail", "info"),
        process: fc.oneof(fc.integer({ min: -5, max: 50 }), fc.constant("nemesis")),
        f: fc.string({ maxLength: 8 }),
        key: fc.oneof(fc.nat(20), fc.string({ maxLength: 4 })),
        value: fc.oneof(
          scalar,
          fc.array(scalar, { maxLength: 3 }),
          fc.array(fc.array(scalar), { maxLength: 2 }),
        ),
      },
      { requiredKeys: ["index", "time", "type", "process", "f", "value"] },
    );
    fc.assert(
      fc.property(opArb, fc.nat(200), fc.string({ maxLength: 2 }), (op, cut, insert) => {
        const line = opToJson(op as Op);
        for (const variant of [line, line.slice(0, cut) + insert + line.slice(cut)]) {
          const scanned = scanOpLine(variant);
          if (scanned === undefined) continue;
          expect(scanned).toStrictEqual(JSON.parse(variant));
        }
      }),
      { numRuns: 3000, seed: 17 },
    );
  });

  it("splits lines as readline did: \\r\\n across chunk boundaries, a lone \\r, no final newline", async () => {
    const ops: Op[] = [];
    for (let i = 0; i < 30_000; i++)
      ops.push({ index: i, time: i, type: i % 2 ? "ok" : "invoke", process: 0, f: "write", value: i });
    const lines = ops.map(opToJson);
    // > 1 MiB: several read chunks, so some "\r\n" falls across a boundary.
    const path = join(dir(), "crlf.jsonl");
    writeFileSync(path, `${lines.slice(0, 20_000).join("\r\n")}\r${lines.slice(20_000).join("\n")}`);
    const read = await readHistoryFile(path, { validatePairs: true });
    expect(read.warnings).toEqual([]);
    expect(read.ops).toEqual(ops);
  });
  it("reads a line longer than the read buffer, and UTF-8 text, as JSON.parse does", async () => {
    const long = "x".repeat(3 * 2 ** 20); // > the 1 MiB read buffer: it grows to hold the line
    const ops: Op[] = [
      { index: 0, time: 1, type: "invoke", process: 0, f: "write", key: "clé ✓", value: long },
      { index: 1, time: 2, type: "ok", process: 0, f: "write", key: "clé ✓", value: long },
      { index: 2, time: 3, type: "invoke", process: 1, f: "rëad", value: null },
      { index: 3, time: 4, type: "ok", process: 1, f: "rëad", value: ["ü", 1] },
    ];
    const path = join(dir(), "long.jsonl");
    writeFileSync(path, `${ops.map(opToJson).join("\n")}\n`);
    const read = await readHistoryFile(path, { validatePairs: true });
    expect(read.warnings).toEqual([]);
    expect(read.ops).toStrictEqual(ops);
  });

  it("a torn last line of a file of many chunks is torn wherever it is cut (stale bytes never complete it)", async () => {
    const ops: Op[] = [];
    for (let i = 0; i < 40_000; i++)
      ops.push({ index: i, time: i, type: i % 2 ? "ok" : "invoke", process: 0, f: "write", value: i });
    const text = `${ops.map(opToJson).join("\n")}\n`;
    const lastLine = opToJson(ops[ops.length - 1]!);
    const path = join(dir(), "torn.jsonl");
    for (const cut of [1, 9, 10, 20, lastLine.length - 2, lastLine.length - 1]) {
      writeFileSync(path, text.slice(0, text.length - 1 - lastLine.length + cut));
      const read = await readHistoryFile(path);
      expect(read.ops).toStrictEqual(ops.slice(0, -1));
      expect(read.warnings, `cut at ${cut}`).toEqual([
        `${path}:${ops.length}: torn last line ignored (a runner killed while writing leaves one)`,
      ]);
    }
    // Uncut but without its final newline, the last line is whole.
    writeFileSync(path, text.slice(0, -1));
    const whole = await readHistoryFile(path);
    expect(whole.ops).toStrictEqual(ops);
    expect(whole.warnings).toEqual([]);
  });
});
