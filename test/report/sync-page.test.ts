/**
 * The sync section of report.html in a real browser (Debian's Chromium,
 * headless), on the report of a REAL sync run (`runSyncTest`: demo-sync, two
 * actors, a chaos phase with faults, then one scenario): the per-action
 * table's every number equals the stats recomputed here from the run's
 * history.jsonl (counts by completion type and outcome class, time from
 * invocation to completion) and results.json's per-action stats; every
 * verification is listed with its result; the overall PASS shows. Then the
 * same run folder with a failed convergence written into results.json: FAIL,
 * the diff's lines as evidence, and a warning when results.json's counts
 * disagree with the history. A screenshot lands in .artifacts/.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { cp, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pairOps } from "../../src/history/analysis.js";
import { readHistoryFile } from "../../src/history/reader.js";
import { writeRunReport } from "../../src/report/run-report.js";
import { statsFromHistory } from "../../src/sync/engine.js";
import type { SyncReport } from "../../src/sync/report.js";
import { runSyncTest, type SyncTestOutcome } from "../../src/tests/sync.js";
import { launchChromium, watchPage } from "./browser.js";

const ARTIFACTS = resolve(".artifacts");

let browser: Browser;
let store: string;
let outcome: SyncTestOutcome;

beforeAll(async () => {
  store = await mkdtemp(join(tmpdir(), "crucible-sync-page-"));
  await mkdir(ARTIFACTS, { recursive: true });
  outcome = await runSyncTest({
    target: "demo-sync",
    mode: "correct",
    seed: 7,
    actors: 2,
    timeLimitMs: 6_000,
    faults: true,
    scenarios: ["multi-field-collision"],
    storeDir: store,
    reproduce: "crucible run --workload sync --seed 7",
    argv: [],
  });
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  if (store) await rm(store, { recursive: true, force: true });
});

interface TableRow {
  action: string;
  cells: Record<string, string>;
}

/** Every row of the per-action table (body and the totals), each cell's raw value by column. */
async function actionTable(page: Page): Promise<{ body: TableRow[]; total: TableRow }> {
  const rows = await page.$$eval("#sync table.sync-actions tr[data-action]", (elements) =>
    elements.map((element) => {
      const el = element as unknown as {
        getAttribute(name: string): string | null;
        querySelectorAll(selector: string): ArrayLike<{ getAttribute(name: string): string | null }>;
      };
      const cells: Record<string, string> = {};
      for (const cell of Array.from(el.querySelectorAll("td[data-value]")))
        cells[cell.getAttribute("data-col")!] = cell.getAttribute("data-value")!;
      return { action: el.getAttribute("data-action") ?? "", cells };
    }),
  );
  return { body: rows.filter((r) => r.action !== ""), total: rows.find((r) => r.action === "")! };
}

/** What the table must say, recomputed from history.jsonl alone. */
async function expectedRows(runDir: string) {
  const { ops, warnings } = await readHistoryFile(join(runDir, "history.jsonl"));
  expect(warnings).toEqual([]);
  const byAction = new Map<string, Record<string, number>>();
  for (const { invoke, completion } of pairOps(ops)) {
    const row = byAction.get(invoke.f) ?? { count: 0, ok: 0, fail: 0, info: 0, open: 0, totalMs: 0 };
    row.count! += 1;
    if (completion === undefined) row.open! += 1;
    else {
      row[completion.type]! += 1;
      row.totalMs! += (completion.time - invoke.time) / 1e6;
    }
    byAction.set(invoke.f, row);
  }
  return { ops, byAction, classes: statsFromHistory(ops) };
}

describe("the sync section of report.html in Chromium", () => {
  it("was a real sync run with a chaos phase and faults", () => {
    expect(outcome.results.complete).toBe(true);
    expect(outcome.report.actions).toBeGreaterThan(5);
    expect(outcome.report.verifications.length).toBeGreaterThan(5);
  });

  it("shows a per-action table whose numbers equal the stats recomputed from history.jsonl", async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const { problems } = watchPage(page);
    try {
      await page.goto(`file://${join(outcome.runDir, "report.html")}`);
      await page.waitForSelector("body[data-ready=true]", { timeout: 20_000 });
      const { byAction, classes } = await expectedRows(outcome.runDir);
      const { body, total } = await actionTable(page);
      expect(body.map((r) => r.action)).toEqual([...byAction.keys()].sort());
      const sums = { count: 0, ok: 0, fail: 0, info: 0, totalMs: 0 };
      for (const row of body) {
        const expected = byAction.get(row.action)!;
        const classCounts = classes.get(row.action)!;
        expect({
          count: Number(row.cells.count),
          ok: Number(row.cells.ok),
          fail: Number(row.cells.fail),
          info: Number(row.cells.info),
          open: Number(row.cells.open),
          expectedFail: Number(row.cells.expectedFail),
          skipped: Number(row.cells.skipped),
          unexpectedFail: Number(row.cells.unexpectedFail),
        }).toEqual({
          count: expected.count,
          ok: expected.ok,
          fail: expected.fail,
          info: expected.info,
          open: expected.open,
          expectedFail: classCounts.expectedFail,
          skipped: classCounts.skipped,
          unexpectedFail: classCounts.unexpectedFail,
        });
        // The report rounds to the microsecond.
        expect(Number(row.cells.totalMs)).toBeCloseTo(expected.totalMs!, 2);
        // ...and the same as the engine counted (results.json).
        expect(outcome.report.perAction[row.action]).toEqual(classCounts);
        for (const key of ["count", "ok", "fail", "info"] as const) sums[key] += expected[key]!;
        sums.totalMs += expected.totalMs!;
      }
      expect(Number(total.cells.count)).toBe(sums.count);
      expect(Number(total.cells.count)).toBe(outcome.report.results.total);
      expect(Number(total.cells.ok)).toBe(outcome.report.results.ok);
      expect(Number(total.cells.unexpectedFail)).toBe(outcome.report.results.unexpectedFail);
      expect(Number(total.cells.totalMs)).toBeCloseTo(sums.totalMs, 1);
      expect(await page.locator("#sync .warning").count()).toBe(0);

      // Every verification, with its result; the overall pass.
      const names = await page
        .locator("#sync table.sync-verifications tbody tr")
        .evaluateAll((rows) =>
          rows.map((row) =>
            (row as unknown as { getAttribute(n: string): string }).getAttribute("data-verification"),
          ),
        );
      expect(names).toEqual(outcome.report.verifications.map((v) => v.name));
      const badges = await page.locator("#sync table.sync-verifications .badge").allTextContents();
      expect(badges).toEqual(outcome.report.verifications.map((v) => (v.passed ? "PASS" : "FAIL")));
      expect(await page.locator("#sync .sync-pass").textContent()).toBe(
        outcome.report.pass ? "PASS" : "FAIL",
      );
      await page.screenshot({ path: join(ARTIFACTS, "report-sync.png"), fullPage: true });
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);

  it("shows a failed convergence's diff as evidence, FAIL, and warns when results.json disagrees with the history", async () => {
    const dir = await mkdtemp(join(tmpdir(), "crucible-sync-page-failed-"));
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const { problems } = watchPage(page);
    try {
      await cp(outcome.runDir, dir, { recursive: true });
      const path = join(dir, "results.json");
      const results = JSON.parse(readFileSync(path, "utf8")) as { sync: SyncReport } & Record<
        string,
        unknown
      >;
      const diff = [
        'entity alice-3 field title: alice has "birch-4", bob has "<img src=x onerror=alert(1)>"',
        'entity bob-1 field status: alice has "open", bob has "done"',
      ];
      const sync = results.sync as { -readonly [K in keyof SyncReport]: SyncReport[K] };
      sync.verifications = sync.verifications.map((v) =>
        v.name === "convergence"
          ? {
              name: v.name,
              passed: false,
              status: "failed" as const,
              details: ["the snapshots differ", ...diff].join("\n"),
            }
          : v,
      );
      sync.pass = false;
      const [first] = Object.keys(sync.perAction);
      sync.perAction = { ...sync.perAction, [first!]: { ...sync.perAction[first!]!, ok: 999 } };
      writeFileSync(path, JSON.stringify(results));
      await writeRunReport(dir);
      await page.goto(`file://${join(dir, "report.html")}`);
      await page.waitForSelector("body[data-ready=true]", { timeout: 20_000 });
      expect(await page.locator("#sync .sync-pass").textContent()).toBe("FAIL");
      const row = page.locator('#sync tr[data-verification="convergence"]');
      expect(await row.locator(".badge").textContent()).toBe("FAIL");
      expect(await row.locator("ul.evidence li").allTextContents()).toEqual([
        "the snapshots differ",
        ...diff,
      ]);
      expect(await page.locator("#sync img").count()).toBe(0);
      const warnings = await page.locator("#sync .warning").allTextContents();
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(`${first}: ok 999 in results.json`);
      expect(problems).toEqual([]);
    } finally {
      await page.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
