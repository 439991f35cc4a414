import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CheckFileReport, checkModelNames, runCheckCommand } from "../../src/cli/check.js";
import { main } from "../../src/cli/main.js";

const fixtures = fileURLToPath(new URL("../fixtures/jepsen/", import.meta.url));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "crucible-check-jepsen-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function check(
  text: string,
  flags: Record<string, unknown>,
): Promise<{ code: number; reports: CheckFileReport[] }> {
  const path = join(dir, `h-${Math.random().toString(36).slice(2)}.edn`);
  await writeFile(path, text);
  let out = "";
  const code = await runCheckCommand([path], { format: "auto", json: true, ...flags } as never, {
    stdout: (t) => {
      out += t;
    },
    stderr: () => {},
  });
  return { code, reports: JSON.parse(out) as CheckFileReport[] };
}

const bankEdn = (secondRead: string) => `; a bank history as Jepsen writes it
{:process 0, :type :invoke, :f :read, :value nil}
{:process 0, :type :ok, :f :read, :value {0 10, 1 10}}
{:process 1, :type :invoke, :f :transfer, :value {:from 0, :to 1, :amount 5}}
{:process 1, :type :ok, :f :transfer, :value {:from 0, :to 1, :amount 5}}
{:process 0, :type :invoke, :f :read, :value nil}
{:process 0, :type :ok, :f :read, :value ${secondRead}}
`;

describe("crucible check with Jepsen's checkers", () => {
  it("lists the history checkers and keeps the linearizable set model under another name", () => {
    for (const name of ["bank", "counter", "set", "set-full", "long-fork", "set-linearizable", "mutex"])
      expect(checkModelNames).toContain(name);
  });

  it("bank: constant total → exit 0, a changed total → exit 1 with the read named", async () => {
    expect((await check(bankEdn("{0 5, 1 15}"), { model: "bank" })).code).toBe(0);
    const bad = await check(bankEdn("{0 5, 1 10}"), { model: "bank", totalAmount: 20 });
    expect(bad.code).toBe(1);
    expect(bad.reports[0]!.explanation).toContain("wrong-total");
  });

  it("bank: a negative balance is invalid unless --negative-balances", async () => {
    expect((await check(bankEdn("{0 -5, 1 25}"), { model: "bank" })).code).toBe(1);
    expect((await check(bankEdn("{0 -5, 1 25}"), { model: "bank", negativeBalances: true })).code).toBe(0);
  });

  it("long-fork with --group-size on a JSON export", async () => {
    const ops = [
      { type: "invoke", process: 0, f: "txn", value: [["w", 0, 1]] },
      { type: "ok", process: 0, f: "txn", value: [["w", 0, 1]] },
      { type: "invoke", process: 3, f: "txn", value: [["w", 1, 1]] },
      { type: "ok", process: 3, f: "txn", value: [["w", 1, 1]] },
      {
        type: "invoke",
        process: 1,
        f: "txn",
        value: [
          ["r", 0, null],
          ["r", 1, null],
        ],
      },
      {
        type: "ok",
        process: 1,
        f: "txn",
        value: [
          ["r", 0, 1],
          ["r", 1, null],
        ],
      },
      {
        type: "invoke",
        process: 2,
        f: "txn",
        value: [
          ["r", 0, null],
          ["r", 1, null],
        ],
      },
      {
        type: "ok",
        process: 2,
        f: "txn",
        value: [
          ["r", 0, null],
          ["r", 1, 1],
        ],
      },
    ];
    const result = await check(JSON.stringify(ops), { model: "long-fork", groupSize: 2 });
    expect(result.code).toBe(1);
    expect(result.reports[0]!.format).toBe("jepsen-json");
    expect(result.reports[0]!.result?.forkCount).toBe(1);
    expect((await check(JSON.stringify(ops), { model: "long-fork", groupSize: 3 })).code).toBe(2);
  });

  it("set-full and counter read Knossos-style lists", async () => {
    const setHistory = `({:process 0 :type :invoke :f :add :value 1}
 {:process 0 :type :ok :f :add :value 1}
 {:process 1 :type :invoke :f :read :value nil}
 {:process 1 :type :ok :f :read :value #{1}})`;
    expect((await check(setHistory, { model: "set-full" })).code).toBe(0);
    expect((await check(setHistory, { model: "set" })).code).toBe(0);
    const counterHistory = `[{:process 0 :type :invoke :f :add :value 2}
 {:process 0 :type :ok :f :add :value 2}
 {:process 1 :type :invoke :f :read :value nil}
 {:process 1 :type :ok :f :read :value 3}]`;
    const counter = await check(counterHistory, { model: "counter" });
    expect(counter.code).toBe(1);
    expect(counter.reports[0]!.explanation).toContain("expected between 2 and 2");
  });

  it("a linearizability model still checks a Knossos list with comments", async () => {
    let out = "";
    const code = await runCheckCommand(
      [join(fixtures, "knossos-list.edn")],
      { format: "auto", model: "register", json: true },
      { stdout: (t) => (out += t), stderr: () => {} },
    );
    expect(code).toBe(0);
    expect((JSON.parse(out) as CheckFileReport[])[0]!.valid).toBe(true);
  });

  it("the command line wires --model, --group-size, --negative-balances and --total-amount", async () => {
    const path = join(dir, "bank-cli.edn");
    await writeFile(path, bankEdn("{0 -5, 1 25}"));
    const written: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
    const exitCode = process.exitCode;
    try {
      expect(await main(["check", path, "--model", "bank"])).toBe(1);
      process.exitCode = undefined;
      expect(
        await main(["check", path, "--model", "bank", "--negative-balances", "--total-amount", "20"]),
      ).toBe(0);
      process.exitCode = undefined;
      expect(await main(["check", path, "--model", "bank", "--total-amount", "-3"])).toBe(64);
      process.exitCode = undefined;
      expect(await main(["check", path, "--model", "long-fork", "--group-size", "0"])).toBe(64);
    } finally {
      process.stdout.write = write;
      process.exitCode = exitCode;
    }
    expect(written.join("")).toContain("negative-value");
  });
});
