/**
 * `crucible check --model list-append|rw-register`: verdicts, exit codes
 * (0 valid, 1 invalid, 2 unknown, 64 bad input), and what is printed.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCheckCommand } from "../../src/cli/check.js";
import { opToJson } from "../../src/history/op.js";
import { type TxnRow, txnHistory } from "../checker/txn/helpers.js";

const dir = mkdtempSync(join(tmpdir(), "crucible-check-txn-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function historyFile(name: string, rows: TxnRow[]): string {
  const path = join(dir, `${name}.jsonl`);
  writeFileSync(path, `${txnHistory(rows).map(opToJson).join("\n")}\n`);
  return path;
}

async function check(files: string[], flags: Record<string, unknown>) {
  let out = "";
  let err = "";
  const code = await runCheckCommand(
    files,
    { format: "auto", ...flags },
    { stdout: (text) => (out += text), stderr: (text) => (err += text) },
  );
  return { code, out, err };
}

describe("crucible check --model list-append", () => {
  it("Elle's SI-without-G-single history: G2-item under serializable (exit 1), valid under snapshot isolation (exit 0)", async () => {
    const file = "test/fixtures/elle/si-without-g-single.edn";
    const invalid = await check([file], {
      format: "edn",
      model: "list-append",
      consistencyModels: ["serializable"],
    });
    expect(invalid.code).toBe(1);
    expect(invalid.out).toMatch(/INVALID \(list-append/);
    expect(invalid.out).toMatch(/anomalies: G2-item/);
    expect(invalid.out).toMatch(/not: repeatable-read; also not: serializable/);
    expect(invalid.out).toMatch(/G2-item: T\d \(process \d\), T\d \(process \d\): /);
    expect(invalid.out).toContain("T7 < T5, because T7 read key 9 ending in 2, without T5's append of 5");
    const valid = await check([file], {
      format: "edn",
      model: "list-append",
      consistencyModels: ["snapshot-isolation"],
    });
    expect(valid.code).toBe(0);
    // What snapshot isolation allows is still reported, with the models it rules out.
    expect(valid.out).toMatch(/allowed: G2-item \(not repeatable-read\), 1 found/);
    expect(valid.out).toMatch(/nothing the models forbid; found G2-item, which they allow/);
  });

  it("duplicate appends: unknown (exit 2), naming them", async () => {
    const file = historyFile("duplicates", [
      [1, "ok", [["append", "x", 1]]],
      [2, "ok", [["append", "x", 1]]],
    ]);
    const { code, out } = await check([file], { model: "list-append" });
    expect(code).toBe(2);
    expect(out).toMatch(/unknown .*\n.*written more than once/);
  });

  it("a micro-op of the wrong kind is bad input (exit 64) naming the file and op", async () => {
    const file = historyFile("bad", [[1, "ok", [["w", "x", 1]]]]);
    const { code, err } = await check([file], { model: "list-append" });
    expect(code).toBe(64);
    expect(err).toContain(file);
    expect(err).toMatch(/op 1.*expected micro-op "r" or "append"/);
  });

  it("--json carries anomaly types, not and alsoNot", async () => {
    const file = historyFile("stale", [
      [1, "ok", [["append", "x", 1]]],
      [2, "ok", [["r", "x", []]]],
    ]);
    const { code, out } = await check([file], { model: "list-append", json: true });
    expect(code).toBe(1);
    const [report] = JSON.parse(out) as { anomalyTypes: string[]; not: string[]; alsoNot: string[] }[];
    expect(report).toMatchObject({ anomalyTypes: ["G-single-realtime"], not: ["strong-snapshot-isolation"] });
    expect(report!.alsoNot).toContain("strict-serializable");
  });
});

describe("crucible check --model rw-register", () => {
  it("a serial history is valid (exit 0); write skew is G2-item under serializable (exit 1)", async () => {
    const serial = historyFile("rw-serial", [
      [
        1,
        "ok",
        [
          ["r", "x", null],
          ["w", "x", 1],
        ],
      ],
      [2, "ok", [["r", "x", 1]]],
    ]);
    expect((await check([serial], { model: "rw-register", assume: "linearizable-keys" })).code).toBe(0);
    const skew = join(dir, "rw-skew.jsonl");
    writeFileSync(
      skew,
      `${txnHistory(
        [
          [
            1,
            "ok",
            [
              ["r", "x", null],
              ["w", "y", 1],
            ],
          ],
          [
            2,
            "ok",
            [
              ["r", "y", null],
              ["w", "x", 1],
            ],
          ],
        ],
        { concurrent: true },
      )
        .map(opToJson)
        .join("\n")}\n`,
    );
    const { code, out } = await check([skew], { model: "rw-register", consistencyModels: ["serializable"] });
    expect(code).toBe(1);
    expect(out).toMatch(/anomalies: G2-item/);
  });
});
