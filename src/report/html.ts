/**
 * `renderReport`: one self-contained HTML page per run. Data and code are
 * inlined (no server, no network: it opens from a CI artifact on disk), and a
 * Content-Security-Policy lets only the page's own two scripts run, so even a
 * value that slipped past escaping could not execute.
 *
 * Charts use uPlot (inlined from node_modules): a ~50 kB canvas chart library
 * that draws 100,000 points in tens of milliseconds, where SVG-based libraries
 * build one DOM node per point and stall. The timeline is our own canvas code:
 * bars are culled to the visible window by binary search per lane and merged
 * when several fall on one pixel, so it stays interactive at 100,000 ops.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { gzipSync } from "node:zlib";
import { PAGE_STYLE } from "./_internals/page-style.js";
import { escapeHtml, inlineSafe, jsonForScript } from "./escape.js";
import { buildReportData, type ReportInput } from "./model.js";

export type { ReportFile, ReportInput } from "./model.js";

/**
 * The page's own script: a real browser file (`_internals/page/page-script.js`,
 * linted and type-checked with the DOM's types), read from beside this module:
 * from src/ under tsx, from dist/ where `npm run build` copies it.
 */
const PAGE_SCRIPT = readFileSync(new URL("./_internals/page/page-script.js", import.meta.url), "utf8");

let uplotAssets: { js: string; css: string } | undefined;

/** uPlot's minified IIFE build and stylesheet, read once from node_modules. */
function uplot(): { js: string; css: string } {
  if (!uplotAssets) {
    const require = createRequire(import.meta.url);
    uplotAssets = {
      js: inlineSafe(readFileSync(require.resolve("uplot/dist/uPlot.iife.min.js"), "utf8")),
      css: inlineSafe(readFileSync(require.resolve("uplot/dist/uPlot.min.css"), "utf8")),
    };
  }
  return uplotAssets;
}

const sha256 = (text: string): string =>
  `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;

/**
 * The raw ops for the details panel, as gzip (level 1: fast, and JSON of ops
 * compresses ~6×) in base64, which cannot contain `<`. The page decodes them
 * with DecompressionStream after it has drawn, so a 100,000-op report paints
 * before the browser has even read them.
 */
function opsBlock(history: ReportInput["history"]): string {
  // Built in pieces: one JSON string of a big history would pass V8's string limit (~512 MB).
  const pieces: Buffer[] = [];
  let pending = "[";
  for (let i = 0; i < history.length; i++) {
    const op = history[i]!;
    let text = JSON.stringify(op);
    if (text.length > OP_JSON_CHARS_MAX) text = JSON.stringify(cutOp(op));
    pending += i === 0 ? text : `,${text}`;
    if (pending.length >= PIECE_CHARS) {
      pieces.push(Buffer.from(pending, "utf8"));
      pending = "";
    }
  }
  pieces.push(Buffer.from(`${pending}]`, "utf8"));
  return gzipSync(Buffer.concat(pieces), { level: 1 }).toString("base64");
}

/** An op whose JSON is longer than this has its big fields cut in the page; history.jsonl keeps them whole. */
const OP_JSON_CHARS_MAX = 64 * 1024;
/** How much of a cut field the page still shows. */
const FIELD_CHARS_SHOWN = 4096;
const PIECE_CHARS = 8 * 1024 * 1024;

function cutOp(op: ReportInput["history"][number]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(op)) {
    const text = JSON.stringify(value) ?? "null";
    out[field] =
      text.length > FIELD_CHARS_SHOWN
        ? `${text.slice(0, FIELD_CHARS_SHOWN)}… (${text.length} characters in all; cut in the report, whole in history.jsonl)`
        : value;
  }
  return out;
}

let cachedPolicy: string | undefined;

/**
 * The Content-Security-Policy of every report this version writes: only its
 * own two inline scripts (uPlot and the page script, by hash) may run.
 * `crucible serve` sends it as a header with every report it serves, so a
 * page planted in the store cannot run scripts on the server's origin.
 */
export function reportContentSecurityPolicy(): string {
  cachedPolicy ??= [
    "default-src 'none'",
    `script-src ${sha256(uplot().js)} ${sha256(inlineSafe(PAGE_SCRIPT))}`,
    "style-src 'unsafe-inline'",
    "img-src data:",
  ].join("; ");
  return cachedPolicy;
}

/**
 * Render a run's report as one HTML string. Works for a stored run (test,
 * results, history) and for a bare history (`test` undefined). Linear in the
 * history; about 90 bytes of page per op.
 */
export function renderReport(input: ReportInput): string {
  const data = buildReportData(input);
  const assets = uplot();
  const script = inlineSafe(PAGE_SCRIPT);
  const style = `${assets.css}\n${inlineSafe(PAGE_STYLE)}`;
  const csp = reportContentSecurityPolicy();
  const title = `${data.title} · ${data.verdict === true ? "valid" : data.verdict === false ? "INVALID" : "unknown"} · Crucible`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="generator" content="crucible">
<title>${escapeHtml(title)}</title>
<style>${style}</style>
</head>
<body>
<main>
<section class="card" id="summary"><h1>${escapeHtml(data.title)}</h1><noscript><p>This report draws with JavaScript; results.json holds the same results as text.</p></noscript></section>
${data.sync === null ? "" : '<section class="card" id="sync"><h2>Sync run</h2></section>\n'}<section class="card" id="counterexample"></section>
<section class="card">
<h2>Timeline</h2>
<p class="plot-note">One bar per operation, from invocation to completion, on the lane of the worker that ran it; shaded bands are fault periods (from the fault's invocation to its healing op's completion).</p>
<div class="tl-layout"><div class="tl-main"><div id="timeline"></div><div id="holds"></div></div><aside id="details"><p class="placeholder">Click an operation on the timeline to see all its fields.</p></aside></div>
</section>
<section class="card" id="latency">
<h2>Latency over time</h2>
<p class="plot-note">Each point is one operation at its invocation time (shape: f, color: outcome); lines are rolling p50 (solid) and p99 (dotted) per f over ok and fail ops in bins of ${escapeHtml(String(data.latency.binS))} s; p95 is in the legend, off. Drag to zoom (the timeline follows), double-click to reset; click a legend entry to show or hide it.</p>
<div id="latency-plot" class="plot"></div>
</section>
<section class="card" id="throughput">
<h2>Throughput over time</h2>
<p class="plot-note">Completions per second (bins of ${escapeHtml(String(data.throughput.binS))} s, by completion time) per f (dash) and outcome (color); the black line is the total.</p>
<div id="throughput-plot" class="plot"></div>
</section>
<section class="card" id="files"></section>
</main>
<script type="application/json" id="crucible-data">${jsonForScript(data)}</script>
<script>${assets.js}</script>
<script>${script}</script>
<script type="application/octet-stream" id="crucible-ops" data-encoding="gzip-base64">${opsBlock(input.history)}</script>
</body>
</html>
`;
}
