/**
 * Checker-defined op labels (`result.highlights: [{ index, label }]`): a
 * checker names the ops behind its verdict in its own words. The console
 * summary and report.html show the label, never "could not linearize", and
 * the shipped checkers that find bad ops (counter, unique ids, set) name them.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { counterChecker } from "../../src/checker/counter.js";
import { HIGHLIGHT_LABEL_CHARS_MAX, highlightsOf } from "../../src/checker/highlights.js";
import { uniqueIds } from "../../src/checker/unique-ids.js";
import type { Op } from "../../src/history/op.js";
import type { Results } from "../../src/history/results.js";
import { formatSummary } from "../../src/report/console.js";
import { buildReportData } from "../../src/report/model.js";
import { writeRunReport } from "../../src/report/run-report.js";
import { launchChromium, watchPage } from "./browser.js";
import { syntheticRun, writeRunDir } from "./synthetic-run.js";

const op = (index: number, type: Op["type"], process: number, f: string, value: unknown): Op => ({
  index,
  time: index * 1_000_000,
  type,
  process,
  f,
  value,
});

describe("highlightsOf", () => {
  it("keeps well-formed highlights, cuts long labels, ignores the rest", () => {
    const long = "x".repeat(500);
    const found = highlightsOf({
      valid: false,
      highlights: [
        { index: 3, label: "overdraft" },
        { index: 4, label: long },
        { index: -1, label: "negative" },
        { index: 1.5, label: "fraction" },
        { index: 2, label: "  " },
        { index: 2 },
        null,
        "op 7",
      ],
    });
    expect(found.map((h) => h.index)).toEqual([3, 4]);
    expect(found[1]!.label.length).toBe(HIGHLIGHT_LABEL_CHARS_MAX);
    expect(highlightsOf({ valid: true, highlights: "none" })).toEqual([]);
  });
});

// A bank-style custom checker's result: it names two ops, it has no linearizability counterexample.
const history: Op[] = [
  op(0, "invoke", 0, "transfer", { from: 1, to: 2, amount: 50 }),
  op(1, "ok", 0, "transfer", { from: 1, to: 2, amount: 50 }),
  op(2, "invoke", 1, "read", null),
  op(3, "ok", 1, "read", { 1: -50, 2: 150 }),
];
const results: Results = {
  valid: false,
  complete: true,
  checkers: {
    bank: {
      valid: false,
      explanation: "account 1 went negative",
      highlights: [
        { index: 1, label: "overdraft" },
        { index: 3, label: "negative balance read" },
      ],
    },
  },
} as unknown as Results;

describe("console summary", () => {
  it("prints each named op with the checker's label, not as a linearizability failure", () => {
    const text = formatSummary(undefined, results, { history });
    expect(text).toContain("anomaly (bank): account 1 went negative");
    expect(text).toMatch(/^ {2}overdraft: op 1: process 0: transfer .*ok/m);
    expect(text).toMatch(/^ {2}negative balance read: op 3: process 1: read .*ok/m);
    expect(text).not.toContain("could not linearize");
  });

  it("escapes control characters in a label", () => {
    const crafted = {
      ...results,
      checkers: { bank: { valid: false, highlights: [{ index: 1, label: "\u001b[2Jfake ✓" }] } },
    } as unknown as Results;
    expect(formatSummary(undefined, crafted, { history })).not.toContain("\u001b");
  });

  it("shows an unknown checker's named ops under its name", () => {
    const unknown = {
      ...results,
      valid: "unknown",
      checkers: {
        bank: {
          valid: "unknown",
          explanation: "too few reads",
          highlights: [{ index: 3, label: "lone read" }],
        },
      },
    } as unknown as Results;
    const text = formatSummary(undefined, unknown, { history });
    expect(text).toContain("ops named by bank:");
    expect(text).toMatch(/^ {2}lone read: op 3/m);
  });
});

describe("report model", () => {
  it("lists the named ops as highlights of their checker, with labels", () => {
    const data = buildReportData({ test: undefined, results, history });
    expect(data.counterexamples).toHaveLength(1);
    const [named] = data.counterexamples;
    expect(named!.kind).toBe("highlights");
    expect(named!.checker).toBe("bank");
    expect(named!.rows.map((row) => [row.role, row.label])).toEqual([
      ["highlight", "overdraft"],
      ["highlight", "negative balance read"],
    ]);
    expect(named!.stuckBars).toHaveLength(2);
  });
});

describe("shipped checkers name their bad ops", () => {
  it("counter: each out-of-bounds read", () => {
    const result = counterChecker().check(
      [
        op(0, "invoke", 0, "add", 1),
        op(1, "ok", 0, "add", 1),
        op(2, "invoke", 1, "read", null),
        op(3, "ok", 1, "read", 9),
      ],
      {},
    ) as Record<string, unknown>;
    expect(result.valid).toBe(false);
    expect(highlightsOf(result)).toEqual([{ index: 3, label: "read 9 out of bounds [1, 1]" }]);
  });

  it("unique ids: every op of a duplicate", () => {
    const result = uniqueIds().check(
      [
        op(0, "invoke", 0, "generate", null),
        op(1, "ok", 0, "generate", 7),
        op(2, "invoke", 1, "generate", null),
        op(3, "ok", 1, "generate", 7),
      ],
      {},
    ) as Record<string, unknown>;
    expect(highlightsOf(result)).toEqual([
      { index: 1, label: "duplicate id 7" },
      { index: 3, label: "duplicate id 7" },
    ]);
  });
});

describe("report.html in a real browser", () => {
  let browser: Browser;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "crucible-highlights-"));
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("shows the panel 'Ops named by <checker>' with labels, and the op's details say the label", async () => {
    const run = syntheticRun({ seed: 9, ops: 60, concurrency: 3, durationS: 2 });
    const target = run.history.find((o) => o.type === "ok" && o.process !== "nemesis")!;
    run.results = {
      ...run.results,
      valid: false,
      checkers: {
        bank: {
          valid: false,
          explanation: "account 1 went negative",
          highlights: [{ index: target.index, label: "overdraft" }],
        },
      },
    } as Results;
    await writeRunDir(dir, run);
    await writeRunReport(dir);
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const { problems } = watchPage(page);
    try {
      await page.goto(`file://${join(dir, "report.html")}`);
      await page.waitForSelector("body[data-ready=true]", { timeout: 20_000 });
      const panel = page.locator("#counterexample");
      expect(await panel.locator("h2").first().textContent()).toBe("Ops named by bank");
      expect(await panel.textContent()).not.toContain("could not be linearized");
      const row = panel.locator(".ce-op.highlight button").first();
      expect(await row.textContent()).toMatch(/^overdraft · op \d+$/);
      await row.click();
      const details = page.locator("#details");
      expect(await details.locator(".ce-note").textContent()).toBe("Named by bank: overdraft.");
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);
});
