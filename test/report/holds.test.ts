/**
 * The report model's hold lanes (src/report/holds.ts) over a hand-made lock
 * run (test/report/lock-run.ts) judged by the real bounded-concurrency
 * checker, and `writeRunReport` placing a stored log by the origin in
 * results.json (or refusing to guess without it).
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseIntervalLog } from "../../src/history/intervals.js";
import { buildHolds } from "../../src/report/holds.js";
import { buildReportData } from "../../src/report/model.js";
import { writeRunReport } from "../../src/report/run-report.js";
import { lockRun, writeLockRunDir } from "./lock-run.js";

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** The report's embedded data (the page's JSON block). */
function embeddedData(html: string): { holds: unknown } {
  const match = /<script type="application\/json" id="crucible-data">([\s\S]*?)<\/script>/.exec(html);
  if (!match) throw new Error("no crucible-data block in the report");
  return JSON.parse(match[1]!.replace(/\\u003c/g, "<"));
}

describe("hold lanes in the report model", () => {
  const run = lockRun();
  const data = buildReportData({
    test: run.test,
    results: run.results,
    history: run.history,
    intervals: run.intervals,
  });
  const holds = data.holds!;

  it("draws one lane per slot: 5 contenders on a semaphore of 2 hold 2 lanes", () => {
    expect(run.results.valid).toBe(false);
    expect(holds.laneBy).toBe("slots");
    expect(holds.lanes).toEqual([
      { label: "slot 0", rows: 2 },
      { label: "slot 1", rows: 2 },
    ]);
    expect(holds.lane).toEqual([0, 0, 0, 1, 1, 1]);
    expect(holds.holder).toEqual(["a1", "a2", "a4", "a3", "a5", "a3"]);
    expect(holds.holders).toEqual(["a1", "a2", "a3", "a4", "a5"]);
    expect(holds.token).toEqual(["10", "12", "14", "11", "13", "15"]);
    // On the history's axis: the raw monotonic times minus the origin, in seconds.
    expect(holds.startS).toEqual([1, 6, 11, 2, 8, 12]);
    expect(holds.holdCount).toBe(6);
  });

  it("stacks the overlapping holds of one slot in rows, so a zombie never hides its successor", () => {
    // a1 (paused, a zombie until 9.5 s) and a2 (from 6 s) share slot 0; a4 (from 11 s) reuses a1's row.
    expect(holds.row).toEqual([0, 1, 0, 0, 0, 1]);
  });

  it("ends an open hold where the checkers do (its actor's kill) and marks it open", () => {
    const a4 = holds.holder.indexOf("a4");
    expect(holds.open[a4]).toBe(1);
    expect(holds.endedBy[a4]).toBe("kill");
    expect(holds.endS[a4]).toBe(14.01);
    expect(holds.open.filter((open) => open === 1)).toHaveLength(1);
    expect(holds.openCount).toBe(1);
  });

  it("shades the loss windows the checker measured and marks the holds its violation names", () => {
    expect(holds.lossWindows).toEqual([
      expect.objectContaining({ f: "actor-pause", holder: "a1", startS: 5, healedAtS: 7.01, endS: 10.01 }),
      expect.objectContaining({ f: "actor-kill", holder: "a4", startS: 14, endS: 17.01, measured: true }),
    ]);
    expect(holds.violations).toHaveLength(1);
    const [violation] = holds.violations;
    expect(violation).toMatchObject({ checker: "bounded-concurrency", startS: 12, endS: 12.5 });
    expect(violation!.holds.map((i) => holds.holder[i]).sort()).toEqual(["a3", "a4", "a5"]);
    // a3's second hold, not its first: holds are matched by their log line.
    expect(violation!.holds.map((i) => holds.token[i]).sort()).toEqual(["13", "14", "15"]);
    expect(holds.violation).toEqual([0, 0, 1, 0, 1, 1]);
  });

  it("without a checker's measurement, shades each loss event from its start to its heal", () => {
    const unjudged = buildHolds(run.intervals, run.history, {})!;
    expect(unjudged.violations).toEqual([]);
    expect(unjudged.lossWindows).toEqual([
      expect.objectContaining({ f: "actor-pause", holder: "a1", startS: 5, endS: 7.01, measured: false }),
      expect.objectContaining({ f: "actor-kill", holder: "a4", startS: 14, endS: 14.01, measured: false }),
    ]);
  });

  it("draws one lane per holder when no hold names a slot, and per office when there are several", () => {
    const noSlots = parseIntervalLog(
      [
        '{"holder":"a2","pid":2,"start":"100"}',
        '{"holder":"a2","pid":2,"start":"100","end":"200"}',
        '{"holder":"a10","pid":3,"start":"150"}',
        '{"holder":"a10","pid":3,"start":"150","end":"300"}',
        '{"holder":"a1","pid":1,"start":"50","office":"other"}',
        '{"holder":"a1","pid":1,"start":"50","end":"90","office":"other"}',
      ].join("\n") + "\n",
      "intervals.jsonl",
    );
    const byHolder = buildHolds(noSlots, [], {})!;
    expect(byHolder.laneBy).toBe("holders");
    expect(byHolder.lanes.map((lane) => lane.label)).toEqual([
      "(no office) · a2",
      "(no office) · a10",
      "other · a1",
    ]);
    expect(byHolder.open).toEqual([0, 0, 0]);
    expect(byHolder.row).toEqual([0, 0, 0]);
    expect(buildHolds([], [], {})).toBeNull();
    expect(buildHolds(undefined, [], {})).toBeNull();
  });
});

describe("writeRunReport with an interval log", () => {
  it("places the stored log by results.json's intervalOriginNs and links it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "crucible-holds-"));
    dirs.push(dir);
    await writeLockRunDir(dir, lockRun());
    const { warnings } = await writeRunReport(dir);
    expect(warnings).toEqual([]);
    const html = await readFile(join(dir, "report.html"), "utf8");
    const holds = embeddedData(html).holds as { startS: number[]; lanes: unknown[] };
    expect(holds.lanes).toHaveLength(2);
    expect(holds.startS).toEqual([1, 6, 11, 2, 8, 12]);
    expect(html).toContain('"href":"intervals.jsonl"');
  });

  it("says why it draws no holds when results.json has no origin, rather than guess one", async () => {
    const dir = await mkdtemp(join(tmpdir(), "crucible-holds-"));
    dirs.push(dir);
    const run = lockRun();
    await writeLockRunDir(dir, run);
    const { intervalOriginNs: _origin, ...withoutOrigin } = run.results;
    await writeFile(join(dir, "results.json"), JSON.stringify(withoutOrigin));
    const { warnings } = await writeRunReport(dir);
    expect(warnings).toEqual([
      `${join(dir, "intervals.jsonl")}: not drawn: results.json has no \`intervalOriginNs\` (the run's CLOCK_MONOTONIC origin as a decimal string), so its holds cannot be placed on the history's time axis`,
    ]);
    const html = await readFile(join(dir, "report.html"), "utf8");
    expect(embeddedData(html).holds).toBeNull();
  });

  it("refuses a malformed log with its file and line", async () => {
    const dir = await mkdtemp(join(tmpdir(), "crucible-holds-"));
    dirs.push(dir);
    await writeLockRunDir(dir, lockRun());
    await writeFile(join(dir, "intervals.jsonl"), '{"holder":"a1","pid":1,"start":"x"}\n');
    await expect(writeRunReport(dir)).rejects.toThrow(/intervals\.jsonl:1.*`start` is "x"/);
  });
});
