/**
 * bench/report-holds: a lock run's interval log of N holds (default 20,000,
 * the most the report draws) on 4 slots → report.html with its hold lanes,
 * then Chromium: ready time, and what one re-layout of the lanes costs after
 * a zoom of the op timeline (every bar moved).
 *
 *   npx tsx bench/report-holds.ts [holds=20000]
 *
 * Prints: the time to build the report's hold data and to render the page,
 * the page's size, "ready" (navigation start → everything drawn), the holds
 * phase, and the duration of the lanes' layout at load and after 5 zooms.
 */
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { summarize } from "../src/history/analysis.js";
import { type Interval, parseIntervalLog } from "../src/history/intervals.js";
import type { Op } from "../src/history/op.js";
import { Random } from "../src/random/random.js";
import { buildHolds } from "../src/report/holds.js";
import { renderReport } from "../src/report/html.js";
import { launchChromium } from "../test/report/browser.js";

const S = 1e9;
const SLOTS = 4;

/** Holds back to back on each slot, 0.05–1 s each, one in 20 left open; client ops every 0.5 s. */
function syntheticLockRun(holds: number): { history: Op[]; intervals: Interval[] } {
  const random = new Random(1, "bench-report-holds");
  const lines: string[] = [];
  const slotFree = new Array<number>(SLOTS).fill(0);
  for (let i = 0; i < holds; i++) {
    const slot = i % SLOTS;
    const start = slotFree[slot]! + random.int(1, 50) * 1e6;
    const end = start + random.int(50, 1000) * 1e6;
    slotFree[slot] = end;
    const base = { holder: `a${random.int(1, 12)}`, pid: 1000 + i, start: String(start), slot, token: i + 1 };
    lines.push(JSON.stringify(base));
    if (!random.chance(0.05)) lines.push(JSON.stringify({ ...base, end: String(end) }));
  }
  const intervals = parseIntervalLog(`${lines.join("\n")}\n`, "intervals.jsonl");
  const endNs = Math.max(...slotFree);
  const history: Op[] = [];
  for (let t = 0; t < endNs; t += 0.5 * S) {
    history.push({ index: history.length, time: t, type: "invoke", process: 0, f: "holders", value: null });
    history.push({ index: history.length, time: t + 1e6, type: "ok", process: 0, f: "holders", value: null });
  }
  return { history, intervals };
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 20_000);
  const { history, intervals } = syntheticLockRun(count);
  let start = performance.now();
  const holds = buildHolds(intervals, history, {})!;
  const buildMs = performance.now() - start;
  start = performance.now();
  const html = renderReport({
    test: undefined,
    history,
    intervals,
    results: { valid: "unknown", checkers: {}, complete: true, stats: summarize(history), notes: [] },
  });
  const renderMs = performance.now() - start;
  console.log(
    `${holds.holdCount} holds (${holds.openCount} open) on ${holds.lanes.length} lanes, ${history.length} ops over ${(history.at(-1)!.time / S).toFixed(0)} s`,
  );
  console.log(
    `buildHolds: ${buildMs.toFixed(0)} ms · renderReport (all of the page): ${renderMs.toFixed(0)} ms`,
  );
  const dir = await mkdtemp(join(tmpdir(), "crucible-bench-holds-"));
  const browser = await launchChromium();
  try {
    const path = join(dir, "report.html");
    const { writeFile } = await import("node:fs/promises");
    await writeFile(path, html);
    console.log(`report.html ${((await stat(path)).size / 1e6).toFixed(1)} MB`);
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(`file://${path}`, { timeout: 60_000 });
    await page.waitForSelector("body[data-ready=true]", { timeout: 60_000 });
    const phases = (): Promise<Record<string, number>> =>
      page.evaluate<Record<string, number>>("window.__crucibleReport.phases");
    const loaded = await phases();
    const readyMs = await page.evaluate<number>("window.__crucibleReport.readyMs");
    console.log(
      `chromium: ready ${readyMs.toFixed(0)} ms · holds drawn at ${loaded.holdsMs!.toFixed(0)} ms (timeline at ${loaded.timelineMs!.toFixed(0)}) · first layout ${loaded.holdsLayoutDurationMs!.toFixed(1)} ms`,
    );
    const box = (await page.locator("canvas.tl-canvas").boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const layouts: number[] = [];
    for (let i = 0; i < 5; i++) {
      await page.mouse.wheel(0, -200);
      await page.waitForTimeout(200);
      layouts.push((await phases()).holdsLayoutDurationMs!);
    }
    console.log(`re-layout after a zoom: ${layouts.map((ms) => ms.toFixed(1)).join(", ")} ms`);
  } finally {
    await browser.close();
    await rm(dir, { recursive: true, force: true });
  }
  console.log("note: 2 shared cores, other work running: figures are noisy");
}

await main();
