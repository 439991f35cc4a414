/**
 * `crucible check --model bounded-concurrency --intervals FILE`: an interval
 * log judged offline with its history's faults, over the hand-made lock run
 * folder of test/report/lock-run.ts (a semaphore of 2, 5 contenders, one
 * excused overlap and one violation). The origin comes from `--origin` or
 * the results.json beside the log; the verdict is the run's own.
 */
import { mkdtemp, readFile, rm, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type CheckFileReport, checkModelNames, runCheckCommand } from "../../src/cli/check.js";
import { main } from "../../src/cli/main.js";
import { LOCK_RUN_ORIGIN_NS, lockRun, writeLockRunDir } from "../report/lock-run.js";

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function runDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "crucible-check-intervals-"));
  dirs.push(dir);
  await writeLockRunDir(dir, lockRun());
  return dir;
}

async function check(
  dir: string,
  flags: Record<string, unknown>,
): Promise<{ code: number; reports: CheckFileReport[] }> {
  let out = "";
  const code = await runCheckCommand(
    [join(dir, "history.jsonl")],
    {
      format: "auto",
      json: true,
      model: "bounded-concurrency",
      intervals: join(dir, "intervals.jsonl"),
      ...flags,
    } as never,
    {
      stdout: (text) => {
        out += text;
      },
      stderr: () => {},
    },
  );
  return { code, reports: JSON.parse(out) as CheckFileReport[] };
}

describe("crucible check --intervals", () => {
  it("is a model of crucible check", () => {
    expect(checkModelNames).toContain("bounded-concurrency");
  });

  it("judges the log as the run did, with the origin from the results.json beside it", async () => {
    const dir = await runDir();
    const stored = JSON.parse(await readFile(join(dir, "results.json"), "utf8"));
    const { code, reports } = await check(dir, { limit: 2, lossWindow: 3000 });
    expect(code).toBe(1);
    const result = reports[0]!.result as Record<string, unknown>;
    expect(result.violationCount).toBe(1);
    expect(result).toEqual(stored.checkers["bounded-concurrency"]);
    // A limit of 3 allows the three holders: valid.
    expect((await check(dir, { limit: 3, lossWindow: 3000 })).code).toBe(0);
  });

  it("takes --origin over results.json, and refuses a log it cannot place", async () => {
    const dir = await runDir();
    await unlink(join(dir, "results.json"));
    const placed = await check(dir, { limit: 2, lossWindow: 3000, origin: LOCK_RUN_ORIGIN_NS });
    expect(placed.code).toBe(1);
    const unplaced = await check(dir, { limit: 2, lossWindow: 3000 });
    expect(unplaced.code).toBe(64);
    expect(unplaced.reports[0]!.error).toContain("pass --origin <ns>");
    expect(unplaced.reports[0]!.error).toContain(join(dir, "intervals.jsonl"));
  });

  it("says which flag is missing or misplaced, exit 64", async () => {
    const dir = await runDir();
    const noWindow = await check(dir, { limit: 2 });
    expect(noWindow.code).toBe(64);
    expect(noWindow.reports[0]!.error).toContain("needs --loss-window");
    const noLog = await check(dir, { intervals: undefined, lossWindow: 3000 });
    expect(noLog.code).toBe(64);
    expect(noLog.reports[0]!.error).toContain("expected --intervals <file>");
    const wrongModel = await check(dir, { model: "cas-register", lossWindow: 3000 });
    expect(wrongModel.code).toBe(64);
    expect(wrongModel.reports[0]!.error).toContain("expected --model bounded-concurrency");
  });

  it("runs from the command line and writes a report with the hold lanes", async () => {
    const dir = await runDir();
    const out = join(dir, "offline.html");
    const write = process.stdout.write;
    const exitCode = process.exitCode;
    const written: string[] = [];
    process.stdout.write = ((chunk: string) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
    try {
      const args = ["check", join(dir, "history.jsonl"), "--model", "bounded-concurrency"];
      const log = ["--intervals", join(dir, "intervals.jsonl")];
      expect(await main([...args, ...log, "--limit", "2", "--loss-window", "3s", "--report", out])).toBe(1);
      process.exitCode = undefined;
      expect(await main([...args, ...log, "--loss-window", "3s", "--origin", "12x"])).toBe(64);
    } finally {
      process.stdout.write = write;
      process.exitCode = exitCode;
    }
    expect(written.join("")).toContain("INVALID (bounded-concurrency");
    const html = await readFile(out, "utf8");
    expect(html).toContain('"laneBy":"slots"');
  });
});
