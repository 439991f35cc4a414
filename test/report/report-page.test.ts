/**
 * The HTML report and `crucible serve` in a real browser (Debian's Chromium,
 * headless), on the report of a REAL run (test/report/real-run.ts): a 3-node
 * demo cluster in stale-reads mode under partitions, pauses and kill -9, with
 * some writes of an XSS payload, judged invalid by the linearizability
 * checker. No console errors, the timeline and both plots draw, clicking an op
 * shows its details, the XSS value shows as text (no <img> is created), the
 * counterexample panel is there and links to its stuck op, and serve's links
 * work. Screenshots land in .artifacts/ (gitignored) for a person to look at.
 */

import { readdirSync } from "node:fs";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ReportServer, startReportServer } from "../../src/report/server.js";
import { inkedPixels, launchChromium, watchPage } from "./browser.js";
import { type RealRun, realRun, XSS_VALUE } from "./real-run.js";
import { syntheticRun, writeRunDir } from "./synthetic-run.js";

const ARTIFACTS = resolve(".artifacts");
/** The run's seed: its fault schedule cuts node n3 off three times in the first 4 s. */
const SEED = 2024;

let browser: Browser;
let store: string;
let run: RealRun;

beforeAll(async () => {
  store = await mkdtemp(join(tmpdir(), "crucible-report-test-"));
  await mkdir(ARTIFACTS, { recursive: true });
  run = await realRun({ storeDir: store, seed: SEED });
  browser = await launchChromium();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  if (store) await rm(store, { recursive: true, force: true });
});

/** Seconds in a span the report prints ("812 µs", "3.2 ms", "4.87 s"). */
function spanSeconds(amount: string, unit: string): number {
  return Number(amount) / (unit === "s" ? 1 : unit === "ms" ? 1e3 : 1e6);
}

describe("report.html of a real run in Chromium", () => {
  it("the run was a real one, stored in full, and the checker caught the stale reads", () => {
    const { outcome } = run;
    expect(outcome.results.complete).toBe(true);
    expect(outcome.reportErrors).toEqual([]);
    // Three demo nodes really ran (each left a log) and were really partitioned.
    expect(readdirSync(join(run.runDir, "nodes")).sort()).toEqual(["n1.log", "n2.log", "n3.log"]);
    const faults = outcome.history.filter((op) => op.process === "nemesis" && op.type === "ok");
    expect(faults.map((op) => op.f)).toContain("start-partition");
    expect(outcome.results.valid).toBe(false);
    expect(run.stuckIndex).toBeTypeOf("number");
    expect(run.xssIndex).toBeGreaterThanOrEqual(0);
  });

  it("draws the timeline and both plots, shows a clicked op's details, and shows the XSS value as text", async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const { problems } = watchPage(page);
    try {
      await page.goto(`file://${join(run.runDir, "report.html")}`);
      await page.waitForSelector("body[data-ready=true]", { timeout: 20_000 });

      expect(await page.locator("h1").textContent()).toBe("report-real-run");
      expect(await page.locator("#summary").textContent()).toContain(`seed ${SEED}`);
      expect(await page.locator("#summary .badge.big").textContent()).toBe("INVALID");
      const [linearizability] = Object.entries(run.outcome.results.checkers).filter(([name]) =>
        name.startsWith("linearizable"),
      );
      expect(linearizability).toBeDefined();
      const counterexample = page.locator("#counterexample");
      expect(await counterexample.isVisible()).toBe(true);
      expect(await counterexample.textContent()).toContain(linearizability![1].explanation!);

      const [timelinePixels] = await inkedPixels(page, "canvas.tl-canvas");
      expect(timelinePixels).toBeGreaterThan(5_000);
      const latencyPixels = await inkedPixels(page, "#latency-plot canvas");
      const throughputPixels = await inkedPixels(page, "#throughput-plot canvas");
      expect(latencyPixels.length).toBeGreaterThan(0);
      expect(throughputPixels.length).toBeGreaterThan(0);
      expect(Math.max(...latencyPixels)).toBeGreaterThan(5_000);
      expect(Math.max(...throughputPixels)).toBeGreaterThan(5_000);

      // Click the bar of an op that wrote the XSS value.
      const where = await page.evaluate<{ x: number; y: number } | null>(
        `window.__crucibleReport.locate(${run.xssIndex})`,
      );
      expect(where).not.toBeNull();
      await page.mouse.move(where!.x, where!.y);
      await page.mouse.click(where!.x, where!.y);
      const details = page.locator("#details");
      expect(await details.locator(".details-title").textContent()).toContain("write");
      expect(await details.textContent()).toContain(XSS_VALUE);
      expect(await details.locator("pre.json").first().textContent()).toContain(`"index": ${run.xssIndex}`);
      // Shown as text everywhere (details, counterexample, tooltips): no element was made of it.
      expect(await page.locator("img").count()).toBe(0);

      // The counterexample's stuck op is one click away and its details say so.
      await page.locator(".ce-op.stuck button").first().click();
      expect(await details.textContent()).toContain(`"index": ${run.stuckIndex}`);
      expect(await details.locator(".ce-note.stuck").textContent()).toContain("could not be linearized");

      // Zooming redraws without errors.
      await page.getByRole("button", { name: "Fit" }).click();
      // Over the timeline wherever the page has scrolled to (clicking the counterexample scrolls it).
      await page.locator("canvas.tl-canvas").hover();
      await page.mouse.wheel(0, -400);
      await page.waitForTimeout(50);
      const range = (await page.locator(".tl-layout .range").textContent()) ?? "";
      const [, shown, shownUnit, total, totalUnit] =
        range.match(/\(([\d.]+) (s|ms|µs) shown of ([\d.]+) (s|ms|µs)\)/) ?? [];
      expect(total).toBeDefined();
      expect(spanSeconds(shown!, shownUnit!)).toBeLessThan(0.95 * spanSeconds(total!, totalUnit!));

      await page.screenshot({ path: join(ARTIFACTS, "report.png"), fullPage: true });
      expect(await page.locator("img").count()).toBe(0);
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });
});

/** GET a raw path (no URL normalization, unlike fetch) and return the status. */
function rawGet(server: ReportServer, path: string): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const req = request({ host: "127.0.0.1", port: server.port, path, method: "GET" }, (res) => {
      res.resume();
      resolvePromise(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.setTimeout(5_000, () => req.destroy(new Error("timeout")));
    req.end();
  });
}

describe("crucible serve", () => {
  it("lists runs newest first, links to reports and raw files, and serves nothing outside the store", async () => {
    // A second, older run without a report; the real run's `latest` link (made by runTest) must not list twice.
    const older = syntheticRun({
      seed: 7,
      ops: 50,
      concurrency: 2,
      durationS: 2,
      name: "register-synthetic",
    });
    older.test.startedAt = "2024-12-31T23:00:00.000Z";
    older.results = { ...older.results, valid: true };
    const olderDir = join(store, "register-synthetic", "20241231T230000Z");
    await writeRunDir(olderDir, older);
    const outside = await mkdtemp(join(tmpdir(), "crucible-outside-"));
    await writeFile(join(outside, "secret.txt"), "secret");
    await symlink(outside, join(store, "register-synthetic", "escape"));

    const server = await startReportServer({ storeDir: store, port: 0 });
    const page = await browser.newPage({ viewport: { width: 1200, height: 700 } });
    const { problems } = watchPage(page);
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      await page.goto(server.url);
      const rows = page.locator("tr.run");
      expect(await rows.count()).toBe(2);
      expect(await rows.nth(0).textContent()).toContain(basename(run.runDir));
      expect(await rows.nth(0).textContent()).toContain("INVALID");
      expect(await rows.nth(0).textContent()).toContain(String(SEED));
      expect(await rows.nth(1).textContent()).toContain("valid");
      expect(await rows.nth(1).textContent()).toContain("no report");
      await page.screenshot({ path: join(ARTIFACTS, "serve.png"), fullPage: true });

      await rows.nth(0).locator("a.report").click();
      await page.waitForSelector("body[data-ready=true]", { timeout: 20_000 });
      await page.locator("#files a", { hasText: "history.jsonl" }).click();
      expect(await page.locator("body").textContent()).toContain('"index":0');

      await page.goto(server.url);
      await rows.nth(1).locator("a.files").click();
      await page.locator("a", { hasText: "nodes/" }).click();
      await page.locator("a", { hasText: "n1.log" }).click();
      expect(await page.locator("body").textContent()).toContain("n1: <script>alert(1)</script>");
      expect(problems).toEqual([]);

      expect(await rawGet(server, "/runs/../../../../etc/passwd")).toBe(404);
      expect(await rawGet(server, "/runs/%2e%2e/%2e%2e/etc/passwd")).toBe(404);
      expect(await rawGet(server, "/runs/register-synthetic%2f..%2f..%2fx")).toBe(404);
      expect(await rawGet(server, "/runs/register-synthetic/escape/secret.txt")).toBe(404);
      expect(await rawGet(server, "/runs/report-real-run/latest/test.json")).toBe(200);
    } finally {
      await page.close();
      await server.close();
      await rm(outside, { recursive: true, force: true });
    }
  });
});
