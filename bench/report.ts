/**
 * bench/report: a 100,000-op history → report.html, then first paint in
 * Chromium. Targets: render + write < 5 s, first paint < 3 s.
 *
 *   npx tsx bench/report.ts [ops=100000]
 *
 * Prints: history size, time to render the HTML string, to write it, the
 * whole writeRunReport (read history + render + junit + write), the report's
 * size, and in headless Chromium (Debian's /usr/bin/chromium): first
 * contentful paint and "ready" (navigation start → timeline and plots drawn
 * and one frame painted), both from the page's performance clock.
 */
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderReport } from "../src/report/html.js";
import { writeRunReport } from "../src/report/run-report.js";
import { launchChromium } from "../test/report/browser.js";
import { syntheticRun, writeRunDir } from "../test/report/synthetic-run.js";

async function main(): Promise<void> {
  const ops = Number(process.argv[2] ?? 100_000);
  const dir = await mkdtemp(join(tmpdir(), "crucible-bench-report-"));
  try {
    const run = syntheticRun({ seed: 1, ops, concurrency: 10, durationS: 300 });
    const runDir = join(dir, "bench", "run");
    await writeRunDir(runDir, run);
    console.log(
      `history: ${run.history.length} ops (${run.results.stats.ops} client operations), 10 workers, 300 s`,
    );

    let start = performance.now();
    const html = renderReport({ test: run.test, results: run.results, history: run.history });
    const renderMs = performance.now() - start;
    start = performance.now();
    await writeFile(join(runDir, "report-bench.html"), html);
    const writeMs = performance.now() - start;
    start = performance.now();
    const { reportPath } = await writeRunReport(runDir);
    const wholeMs = performance.now() - start;
    const sizeMb = (await stat(reportPath)).size / 1e6;
    console.log(
      `renderReport: ${renderMs.toFixed(0)} ms · write: ${writeMs.toFixed(0)} ms · render+write: ${(renderMs + writeMs).toFixed(0)} ms (target < 5000)`,
    );
    console.log(
      `writeRunReport (read history + render + junit + write): ${wholeMs.toFixed(0)} ms · report.html ${sizeMb.toFixed(1)} MB`,
    );

    const browser = await launchChromium();
    try {
      for (let attempt = 1; attempt <= 2; attempt++) {
        const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
        try {
          await page.goto(`file://${reportPath}`, { timeout: 60_000 });
          await page.waitForSelector("body[data-ready=true]", { timeout: 60_000 });
          const timing = await page.evaluate<{
            fcpMs: number;
            readyMs: number;
            bars: number;
            phases: Record<string, number>;
          }>(`(() => {
            const fcp = performance.getEntriesByName("first-contentful-paint")[0];
            return { fcpMs: fcp ? fcp.startTime : -1, readyMs: window.__crucibleReport.readyMs, bars: window.__crucibleReport.bars, phases: window.__crucibleReport.phases };
          })()`);
          console.log(
            `chromium (load ${attempt}): first contentful paint ${timing.fcpMs.toFixed(0)} ms · ready (timeline + plots drawn) ${timing.readyMs.toFixed(0)} ms (target < 3000) · ${timing.bars} bars`,
          );
          const phases = Object.entries(timing.phases).map(
            ([name, ms]) => `${name.replace(/Ms$/, "")} ${ms.toFixed(0)}`,
          );
          console.log(`  page phases (ms since navigation start): ${phases.join(" · ")}`);
        } finally {
          await page.close();
        }
      }
    } finally {
      await browser.close();
    }
    console.log("note: 2 shared cores, other work running: figures are noisy");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
