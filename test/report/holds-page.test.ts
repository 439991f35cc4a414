/**
 * The hold lanes of report.html in a real browser (Debian's Chromium,
 * headless), on the report `writeRunReport` builds from a small hand-made
 * lock run folder (test/report/lock-run.ts: a semaphore of 2, 5 contenders,
 * an open hold, a paused holder's excused overlap and a violation): two
 * lanes, six bars where the log put them, the open one hatched, the
 * violation's three holds marked, the loss windows shaded, tooltips naming
 * holder and token, and the lanes following a zoom of the op timeline.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeRunReport } from "../../src/report/run-report.js";
import { launchChromium, watchPage } from "./browser.js";
import { LOCK_RUN_ORIGIN_NS, lockRun, writeLockRunDir } from "./lock-run.js";
import { XSS_VALUE } from "./synthetic-run.js";

const ARTIFACTS = resolve(".artifacts");

let browser: Browser;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "crucible-holds-page-"));
  await mkdir(ARTIFACTS, { recursive: true });
  await writeLockRunDir(dir, lockRun());
  await writeRunReport(dir);
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface BarBox {
  lane: string | null;
  className: string;
  x: number;
  y: number;
  width: number;
  title: string;
}

/** Each hold bar's lane, classes, position and tooltip, in document order (by lane, then start). */
async function bars(page: Page): Promise<BarBox[]> {
  return page.$$eval("#holds rect.hold-bar", (elements) =>
    elements.map((element) => {
      const el = element as unknown as {
        getAttribute(name: string): string | null;
        textContent: string | null;
      };
      return {
        lane: el.getAttribute("data-lane"),
        className: el.getAttribute("class") ?? "",
        x: Number(el.getAttribute("x")),
        y: Number(el.getAttribute("y")),
        width: Number(el.getAttribute("width")),
        title: el.textContent ?? "",
      };
    }),
  );
}

describe("hold lanes in report.html in Chromium", () => {
  it("draws one lane per slot with each hold a bar, open and violating holds marked", async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const { problems } = watchPage(page);
    try {
      await page.goto(`file://${join(dir, "report.html")}`);
      await page.waitForSelector("body[data-ready=true]", { timeout: 20_000 });
      expect(await page.locator("#summary .badge.big").textContent()).toBe("INVALID");

      // --max 2 with 5 contenders: 2 lanes held.
      expect(await page.locator("#holds .hold-lane").count()).toBe(2);
      expect(await page.locator("#holds .hold-lane-label").allTextContents()).toEqual(["slot 0", "slot 1"]);
      const drawn = await bars(page);
      expect(drawn).toHaveLength(6);
      expect(new Set(drawn.map((bar) => bar.lane))).toEqual(new Set(["0", "1"]));
      expect(drawn.filter((bar) => bar.lane === "0")).toHaveLength(3);
      expect(await page.locator("#holds rect.hold-bar.open").count()).toBe(1);
      expect(await page.locator("#holds rect.hold-bar.violation").count()).toBe(3);
      expect(await page.locator("#holds rect.loss-window").count()).toBe(2);
      expect(await page.locator("#holds rect.hold-violation").count()).toBe(1);

      // Tooltips name holder and token; the open one says where it was drawn to and why.
      const open = drawn.find((bar) => bar.className.includes("open"))!;
      expect(open.title).toContain("a4 · token 14 · slot 0");
      expect(open.title).toContain(
        "open: no end record (killed mid-hold); drawn to its actor's kill or exit",
      );
      expect(drawn[0]!.title).toMatch(/^a1 · token 10 · slot 0\npid 4700 · 1\.000 s → 9\.500 s/);

      // Bars sit where the log put them: a1 (1 s → 9.5 s) is 8.5 s long, a2 (6 s → 11 s) 5 s.
      for (const bar of drawn) expect(bar.width).toBeGreaterThan(2);
      const [a1, a2] = drawn;
      expect(a1!.width / a2!.width).toBeCloseTo(8.5 / 5, 1);
      expect(a2!.x).toBeGreaterThan(a1!.x);
      // a1's zombie hold and a2's overlap on slot 0: stacked in two rows, neither hidden.
      expect(a2!.y).toBeGreaterThan(a1!.y);

      // Zooming the op timeline zooms the lanes with it.
      const canvas = page.locator("canvas.tl-canvas");
      const box = (await canvas.boundingBox())!;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.wheel(0, -300);
      await expect
        .poll(async () => (await bars(page))[0]!.width, { timeout: 5_000 })
        .toBeGreaterThan(a1!.width * 1.3);
      await page.screenshot({ path: join(ARTIFACTS, "report-holds.png"), fullPage: true });
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);

  it("shows a holder, token and office from the log as text, never as markup", async () => {
    const xssDir = await mkdtemp(join(tmpdir(), "crucible-holds-xss-"));
    try {
      await writeLockRunDir(xssDir, lockRun());
      const start = String(LOCK_RUN_ORIGIN_NS + 1_000_000_000n);
      const record = { holder: XSS_VALUE, pid: 9, start, token: XSS_VALUE, office: XSS_VALUE };
      await writeFile(join(xssDir, "intervals.jsonl"), `${JSON.stringify(record)}\n`);
      await writeRunReport(xssDir);
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const { problems } = watchPage(page);
      try {
        await page.goto(`file://${join(xssDir, "report.html")}`);
        await page.waitForSelector("body[data-ready=true]", { timeout: 20_000 });
        expect(await page.locator("#holds .hold-lane-label").allTextContents()).toEqual([XSS_VALUE]);
        expect((await bars(page))[0]!.title).toContain(`${XSS_VALUE} · token ${XSS_VALUE}`);
        expect(await page.locator("img").count()).toBe(0);
        expect(problems).toEqual([]);
      } finally {
        await page.close();
      }
    } finally {
      await rm(xssDir, { recursive: true, force: true });
    }
  }, 60_000);
});
