/** The report page's stylesheet, inlined into report.html (uPlot's own CSS is inlined beside it). */
export const PAGE_STYLE = `:root { --fg: #0f172a; --muted: #64748b; --line: #e2e8f0; --bg: #f8fafc; --card: #ffffff; --ok: #2f9e5f; --fail: #d9434b; --info: #e39a1c; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
main { max-width: 1500px; margin: 0 auto; padding: 20px 24px 48px; }
h1 { font-size: 22px; margin: 0; word-break: break-all; }
h2 { font-size: 16px; margin: 0 0 10px; }
section.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 16px 18px; margin: 0 0 16px; box-shadow: 0 1px 2px rgba(15,23,42,0.04); }
.mono, code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
.muted { color: var(--muted); }
.strong { font-weight: 600; }
.title-row { display: flex; align-items: center; gap: 12px; flex-wrap: wrap; }
.verdict-words { color: var(--muted); }
.meta { color: var(--muted); margin: 6px 0 10px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 11.5px; font-weight: 700; letter-spacing: 0.03em; color: #fff; background: #94a3b8; }
.badge.big { font-size: 13px; padding: 3px 12px; }
.badge.valid, .badge.op-ok { background: var(--ok); }
.badge.invalid, .badge.op-fail { background: var(--fail); }
.badge.unknown, .badge.op-info { background: var(--info); }
.badge.op-open { background: #94a3b8; }
.repro { display: flex; align-items: center; gap: 8px; background: #f1f5f9; border: 1px solid var(--line); border-radius: 8px; padding: 6px 10px; margin-bottom: 12px; }
.repro code { flex: 1; overflow-x: auto; white-space: nowrap; }
.repro .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: 0.05em; }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(120px, 1fr)); gap: 8px; margin: 10px 0 14px; }
.figure { background: #f8fafc; border: 1px solid var(--line); border-radius: 8px; padding: 8px 10px; }
.figure .value { font-size: 17px; font-weight: 650; font-variant-numeric: tabular-nums; }
.figure .name { color: var(--muted); font-size: 12px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 6px 8px; border-top: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; font-size: 12px; border-top: none; }
details summary { cursor: pointer; color: var(--muted); font-size: 12px; }
details pre { max-height: 320px; overflow: auto; background: #f8fafc; border: 1px solid var(--line); border-radius: 6px; padding: 8px; white-space: pre-wrap; word-break: break-all; }
.error { color: #991b1b; background: #fef2f2; border: 1px solid #fecaca; border-radius: 6px; padding: 6px 10px; }
.warning { color: #92400e; background: #fffbeb; border: 1px solid #fde68a; border-radius: 6px; padding: 6px 10px; }
#counterexample { border-left: 4px solid var(--fail); }
#counterexample .explanation { font-size: 15px; margin: 0 0 6px; }
.hint { color: var(--muted); font-size: 12px; }
.ce-ops { list-style: none; padding: 0; margin: 8px 0 12px; }
.ce-op { padding: 3px 8px; border-radius: 6px; margin: 2px 0; word-break: break-all; }
.ce-op.stuck, .ce-op.highlight { background: #fef2f2; border-left: 3px solid #b0101c; }
.ce-op.prefix { background: #eff6ff; border-left: 3px solid #2563eb; }
.btn { font: inherit; font-size: 13px; border: 1px solid #cbd5e1; background: #fff; border-radius: 6px; padding: 3px 10px; cursor: pointer; color: var(--fg); }
.btn:hover { background: #f1f5f9; }
.btn.small { font-size: 12px; padding: 1px 8px; }
button.link { font: inherit; border: none; background: none; color: #1d4ed8; cursor: pointer; padding: 0; font-family: ui-monospace, monospace; font-size: 12.5px; white-space: pre; }
.toolbar { display: flex; gap: 6px; align-items: center; margin-bottom: 8px; flex-wrap: wrap; }
.toolbar .range { margin-left: 10px; color: var(--muted); }
.tl-layout { display: grid; grid-template-columns: minmax(0, 1fr) 340px; gap: 14px; }
@media (max-width: 1000px) { .tl-layout { grid-template-columns: 1fr; } }
.tl-wrap { position: relative; }
.tl-main { min-width: 0; }
#holds { margin-top: 14px; }
#holds h3 { font-size: 14px; margin: 0 0 4px; }
.holds-svg { display: block; border: 1px solid var(--line); border-radius: 8px; background: #fff; }
.hold-lane-label { font-size: 12px; fill: #334155; }
.hold-label { fill: #ffffff; pointer-events: none; }
.hold-bar.open + .hold-label { fill: #0f172a; }
.loss-window { fill: rgba(227,154,28,0.22); }
.loss-window.not-closed { fill: rgba(217,67,75,0.22); }
.swatch.hatch { background: repeating-linear-gradient(45deg, #64748b 0 2px, #ffffff 2px 5px); outline: 1px dashed #64748b; }
.tl-scroller { overflow-y: auto; overflow-x: hidden; border: 1px solid var(--line); border-radius: 8px; background: #fff; }
.tl-canvas { display: block; width: 100%; position: sticky; top: 0; cursor: crosshair; outline: none; }
.tl-canvas:focus-visible { box-shadow: inset 0 0 0 2px #93c5fd; }
.tl-overview { display: block; width: 100%; height: 28px; margin-top: 6px; cursor: pointer; border-radius: 6px; background: #fff; border: 1px solid var(--line); }
.tooltip { position: absolute; z-index: 5; pointer-events: none; background: rgba(15,23,42,0.92); color: #f8fafc; padding: 6px 9px; border-radius: 6px; font: 12px/1.4 ui-monospace, monospace; max-width: 420px; word-break: break-all; }
.tooltip[hidden] { display: none; }
.legend { display: flex; flex-wrap: wrap; gap: 14px; margin-top: 8px; align-items: center; font-size: 12.5px; }
.legend-item { display: inline-flex; align-items: center; gap: 6px; }
.swatch { display: inline-block; width: 14px; height: 10px; border-radius: 2px; vertical-align: middle; }
#details { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; background: #fff; max-height: 640px; overflow: auto; }
#details .placeholder { color: var(--muted); }
.details-title { display: flex; gap: 8px; align-items: center; margin-bottom: 8px; font-size: 15px; }
.field { display: grid; grid-template-columns: 82px 1fr; gap: 6px; padding: 2px 0; }
.field .name { color: var(--muted); font-size: 12.5px; }
.field .value { word-break: break-all; }
.json-title { margin-top: 10px; color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: 0.05em; }
pre.json { background: #f8fafc; border: 1px solid var(--line); border-radius: 6px; padding: 8px; margin: 4px 0 0; white-space: pre-wrap; word-break: break-all; }
.ce-note { border-radius: 6px; padding: 6px 8px; margin: 0 0 8px; }
.ce-note.stuck { background: #fef2f2; color: #991b1b; }
.ce-note.prefix { background: #eff6ff; color: #1e40af; }
.plot { width: 100%; }
.plot .u-legend { font-size: 12px; text-align: left; }
.plot .u-legend .u-series { padding: 1px 6px; }
.plot-note { color: var(--muted); font-size: 12.5px; margin: -4px 0 8px; }
tr.clickable { cursor: pointer; }
tr.clickable:hover { background: #f8fafc; }
ul.files { columns: 3 220px; margin: 0; padding-left: 18px; }
a { color: #1d4ed8; }
#sync .sync-actions td.num, #sync .sync-actions th.num { text-align: right; font-variant-numeric: tabular-nums; }
#sync .sync-actions tfoot td { font-weight: 650; border-top: 2px solid var(--line); }
#sync td.bad { color: #991b1b; font-weight: 650; }
#sync ul.evidence { margin: 4px 0 0; padding-left: 18px; }
#sync ul.evidence li { word-break: break-all; font-family: ui-monospace, monospace; font-size: 12.5px; }
#sync h3 { font-size: 14px; margin: 14px 0 6px; }
#files h2 { margin-top: 16px; }
#files h2:first-child { margin-top: 0; }
`;
