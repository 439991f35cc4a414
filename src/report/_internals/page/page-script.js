// The report page's code, inlined into report.html by ../../html.ts (read
// from this file next to the module: `npm run build` copies it into dist/).
// Plain browser JavaScript (ES2017, one IIFE, no modules, no dependencies but
// the inlined uPlot global), type-checked against the DOM and uPlot's types by
// ./tsconfig.json (part of `npm run typecheck`) and linted by Biome. It only
// ever renders data with textContent or onto canvases, never innerHTML. The
// browser test in test/report runs it.
//
// biome.json turns a few rules off for this file only, each for a reason:
// the code is written as a classic script (an IIFE with "use strict" and
// function declarations in blocks, not a module); it stays within ES2017 (no
// optional chaining, no Object.hasOwn); and its `isFinite` coerces on
// purpose; `function` expressions are kept rather than rewritten to arrows.
(function () {
  "use strict";
  // Every value from the history reaches the page through textContent or canvas text, never innerHTML.
  var PHASES = { scriptStartMs: performance.now() };
  var DATA = JSON.parse(document.getElementById("crucible-data").textContent);
  PHASES.dataParsedMs = performance.now();
  var T = DATA.timeline;
  var BAR_COUNT = T.lane.length;
  var OUTCOME_NAMES = ["ok", "fail", "info", "open"];
  var COLORS = { ok: "#2f9e5f", fail: "#d9434b", info: "#e39a1c", open: "#a3aab3", nemesis: "#7257c9" };
  var OUTCOME_COLORS = [COLORS.ok, COLORS.fail, COLORS.info, COLORS.open];
  var STUCK_COLOR = "#b0101c";
  var PREFIX_COLOR = "#2563eb";
  var SHAPES = ["\u25CF", "\u25A0", "\u25B2", "\u25C6", "\u25BC", "\u271A"];
  var LINE_COLORS = ["#1e3a8a", "#7c2d92", "#0f766e", "#9a3412", "#334155", "#a16207"];

  // ---------- small helpers ----------
  function h(tag, props, children) {
    var el = document.createElement(tag);
    if (props) {
      for (var name in props) {
        if (!Object.prototype.hasOwnProperty.call(props, name)) continue;
        var value = props[name];
        if (value === undefined || value === null) continue;
        if (name === "className") el.className = value;
        else if (name === "text") el.textContent = String(value);
        else if (name === "href") el.setAttribute("href", safeHref(value));
        else if (name.indexOf("on") === 0) el.addEventListener(name.slice(2), value);
        else if (name === "style") el.style.cssText = value;
        else el.setAttribute(name, String(value));
      }
    }
    if (children) {
      for (var i = 0; i < children.length; i++) {
        var child = children[i];
        if (child === null || child === undefined || child === false) continue;
        el.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
      }
    }
    return el;
  }
  function safeHref(href) {
    var text = String(href);
    return /^\s*(javascript|data|vbscript):/i.test(text) ? "#" : text;
  }
  function fmtInt(n) {
    return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }
  function fmtMs(ms) {
    if (ms === null || ms === undefined || !isFinite(ms)) return "–";
    if (ms < 1) return ms.toFixed(3) + " ms";
    if (ms < 10) return ms.toFixed(2) + " ms";
    if (ms < 1000) return ms.toFixed(1) + " ms";
    return (ms / 1000).toFixed(2) + " s";
  }
  function fmtS(s) {
    return s.toFixed(3) + " s";
  }
  function fmtSpan(s) {
    if (s < 1e-3) return (s * 1e6).toFixed(0) + " µs";
    if (s < 1) return (s * 1e3).toFixed(s < 0.01 ? 2 : 1) + " ms";
    return s.toFixed(s < 10 ? 2 : 1) + " s";
  }
  function verdictInfo(valid) {
    if (valid === true) return { cls: "valid", label: "VALID", words: "no anomaly found" };
    if (valid === false) return { cls: "invalid", label: "INVALID", words: "an anomaly was found" };
    return { cls: "unknown", label: "UNKNOWN", words: "a checker could not decide" };
  }
  function periodColor(kind, alpha) {
    var rgb = "100,116,139";
    if (/kill|stop|crash|restart/.test(kind)) rgb = "217,67,75";
    else if (/pause|hold/.test(kind)) rgb = "227,154,28";
    else if (/partition|isolate|drop|loss|latency|slow|net/.test(kind)) rgb = "114,87,201";
    else if (/clock|skew|bump|strobe/.test(kind)) rgb = "13,148,136";
    return "rgba(" + rgb + "," + alpha + ")";
  }
  function niceStep(span, pixels, minPx) {
    var raw = (span * minPx) / Math.max(pixels, 1);
    var exp = Math.floor(Math.log10(raw));
    var steps = [1, 2, 5, 10];
    for (var i = 0; i < steps.length; i++) {
      var step = steps[i] * 10 ** exp;
      if (step >= raw) return step;
    }
    return 10 ** (exp + 1);
  }
  function reportError(where, error) {
    console.error("crucible report: " + where + " failed:", error);
    var box = document.getElementById(where);
    if (box) box.appendChild(h("p", { className: "error", text: where + " could not be drawn: " + error }));
  }

  // ---------- ops, decoded lazily (the details panel needs them; drawing does not) ----------
  // The raw ops come last in the file as gzip + base64 (a quarter of the JSON's size), after this
  // script, so the page draws before the browser has even read them.
  var OPS = null;
  var OP_AT = null;
  var opsLoading = null;
  var opsWaiters = [];
  function loadOps() {
    if (opsLoading) return opsLoading;
    var el = document.getElementById("crucible-ops");
    var text = el.textContent.trim();
    var start;
    if (el.getAttribute("data-encoding") === "gzip-base64") {
      var binary = atob(text);
      var bytes = new Uint8Array(binary.length);
      for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
      start = new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"))).text();
    } else {
      start = Promise.resolve(text);
    }
    opsLoading = start.then(function (json) {
      OPS = JSON.parse(json);
      var dense = true;
      for (var k = 0; k < OPS.length; k++)
        if (OPS[k].index !== k) {
          dense = false;
          break;
        }
      if (!dense) {
        OP_AT = new Map();
        for (var j = 0; j < OPS.length; j++) OP_AT.set(OPS[j].index, OPS[j]);
      }
      var waiters = opsWaiters;
      opsWaiters = [];
      waiters.forEach(function (fn) {
        fn();
      });
    });
    opsLoading.catch(function (error) {
      reportError("details", error);
    });
    return opsLoading;
  }
  function whenDocumentLoaded(fn) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
    else fn();
  }
  /** Ops are ready: true. Not yet: false, and "then" runs once they are. */
  function ensureOps(then) {
    if (OPS) return true;
    if (then) opsWaiters.push(then);
    whenDocumentLoaded(loadOps);
    return false;
  }
  function opAt(index) {
    if (!OPS || index < 0) return undefined;
    return OP_AT ? OP_AT.get(index) : OPS[index];
  }

  // ---------- header ----------
  function renderHeader() {
    var root = document.getElementById("summary");
    var test = DATA.test || {};
    var v = verdictInfo(DATA.verdict);
    var stats = DATA.stats;
    var meta = [];
    if (test.seed !== undefined) meta.push("seed " + test.seed);
    if (test.startedAt) meta.push("started " + test.startedAt);
    if (test.timeLimitMs) meta.push("time limit " + fmtSpan(test.timeLimitMs / 1000));
    if (test.concurrency) meta.push("concurrency " + test.concurrency);
    if (test.nodes)
      meta.push(
        test.nodes +
          (test.nodes === 1 ? " node" : " nodes") +
          (test.cluster
            ? " (" + test.cluster.name + (test.cluster.variant ? ", " + test.cluster.variant : "") + ")"
            : ""),
      );
    if (test.nemesis && test.nemesis.length) meta.push("faults: " + test.nemesis.join(", "));
    var title = h("div", { className: "title-row" }, [
      h("h1", { text: DATA.title }),
      h("span", { className: "badge big " + v.cls, text: v.label }),
      h("span", { className: "verdict-words", text: v.words + (DATA.complete ? "" : " · run incomplete") }),
    ]);
    var parts = [title, h("div", { className: "meta", text: meta.join(" · ") })];
    if (test.reproduce) {
      var copy = h("button", {
        className: "btn small",
        text: "Copy",
        title: "Copy the command that replays this run",
      });
      copy.addEventListener("click", function () {
        if (navigator.clipboard)
          navigator.clipboard.writeText(test.reproduce).then(
            function () {
              copy.textContent = "Copied";
            },
            function () {},
          );
      });
      parts.push(
        h("div", { className: "repro" }, [
          h("span", { className: "label", text: "Reproduce" }),
          h("code", { text: test.reproduce }),
          copy,
        ]),
      );
    }
    if (DATA.error) parts.push(h("p", { className: "error", text: "The run failed: " + DATA.error }));
    for (var w = 0; w < DATA.warnings.length; w++)
      parts.push(h("p", { className: "warning", text: DATA.warnings[w] }));
    var figures = [
      ["operations", fmtInt(stats.ops)],
      [
        "ok / fail / info",
        fmtInt(stats.byType.ok) + " / " + fmtInt(stats.byType.fail) + " / " + fmtInt(stats.byType.info),
      ],
      ["throughput", (stats.throughputOpsPerSec || 0).toFixed(1) + " ops/s"],
      ["latency p50", fmtMs(stats.latency.p50Ms)],
      ["p95", fmtMs(stats.latency.p95Ms)],
      ["p99", fmtMs(stats.latency.p99Ms)],
      ["max", fmtMs(stats.latency.maxMs)],
      ["duration", fmtSpan((stats.durationMs || 0) / 1000)],
      ["fault periods", String(DATA.periods.length)],
    ];
    parts.push(
      h(
        "div",
        { className: "figures" },
        figures.map(function (f) {
          return h("div", { className: "figure" }, [
            h("div", { className: "value", text: f[1] }),
            h("div", { className: "name", text: f[0] }),
          ]);
        }),
      ),
    );
    var rows = DATA.checkers.map(function (c) {
      var cv = verdictInfo(c.valid);
      var detail = h("details", {}, [h("summary", { text: "result" }), h("pre", { text: c.detail })]);
      return h("tr", {}, [
        h("td", { className: "mono", text: c.name }),
        h("td", {}, [h("span", { className: "badge " + cv.cls, text: cv.label })]),
        h("td", {}, [h("div", { text: c.explanation || (c.valid === true ? "ok" : "") }), detail]),
      ]);
    });
    parts.push(
      h("table", { className: "checkers" }, [
        h("thead", {}, [
          h("tr", {}, [
            h("th", { text: "checker" }),
            h("th", { text: "verdict" }),
            h("th", { text: "explanation" }),
          ]),
        ]),
        h("tbody", {}, rows),
      ]),
    );
    root.replaceChildren.apply(root, parts);
  }

  // ---------- sync run: pass, per-action table, verifications ----------
  // DATA.sync (src/report/sync.ts): the table's numbers are counted from the history's action ops in Node.
  function renderSync() {
    var root = document.getElementById("sync");
    var S = DATA.sync;
    if (!root || !S) return;
    var pass = S.pass === true ? "valid" : S.pass === false ? "invalid" : "unknown";
    var meta = [];
    if (S.seed !== null) meta.push("seed " + S.seed);
    if (S.actors !== null) meta.push(S.actors + " actors");
    meta.push(fmtInt(S.totals.count) + " actions");
    if (S.syncs !== null) meta.push(fmtInt(S.syncs) + " syncs");
    if (S.durationMs !== null) meta.push(fmtSpan(S.durationMs / 1000));
    var parts = [
      h("div", { className: "title-row" }, [
        h("h2", { text: "Sync run" }),
        h("span", {
          className: "badge big sync-pass " + pass,
          text: S.pass === true ? "PASS" : S.pass === false ? "FAIL" : "NO VERDICT",
        }),
        h("span", {
          className: "verdict-words",
          text:
            S.pass === true
              ? "no action failed unexpectedly and every verification passed"
              : S.pass === false
                ? "an action failed unexpectedly or a verification did not pass"
                : "results.json has no pass flag",
        }),
      ]),
      h("div", { className: "meta", text: meta.join(" · ") }),
    ];
    for (var m = 0; m < S.mismatches.length; m++)
      parts.push(
        h("p", {
          className: "warning",
          text: "The engine's count differs from the history: " + S.mismatches[m],
        }),
      );
    var columns = [
      ["action", ""],
      ["count", "count"],
      ["ok", "ok"],
      ["fail", "fail"],
      ["info", "info"],
      ["expected fail", "expectedFail"],
      ["skipped", "skipped"],
      ["unexpected", "unexpectedFail"],
      ["open", "open"],
      ["time total", "totalMs"],
      ["mean", "meanMs"],
      ["max", "maxMs"],
    ];
    function cells(row, name, tag) {
      return columns.map(function (column) {
        var key = column[1];
        if (key === "") return h(tag, { className: "mono", "data-col": "action", text: name });
        var value = row[key];
        var text = /Ms$/.test(key) ? fmtMs(value) : fmtInt(value);
        var bad = (key === "unexpectedFail" || key === "info" || key === "open") && value > 0;
        return h(tag, {
          className: "num" + (bad ? " bad" : ""),
          "data-col": key,
          "data-value": value === null ? "" : String(value),
          text: text,
        });
      });
    }
    var head = h(
      "tr",
      {},
      columns.map(function (column) {
        return h("th", { className: column[1] === "" ? null : "num", text: column[0] });
      }),
    );
    var body = S.actions.map(function (row) {
      return h("tr", { "data-action": row.action }, cells(row, row.action, "td"));
    });
    parts.push(h("h3", { text: "Actions" }));
    parts.push(
      h("p", {
        className: "plot-note",
        text: "Counted from history.jsonl: each chaos action is an invocation and a completion; ok, fail (an expected failure or a skip) and info (an unexpected failure) are the completion's type; time is invocation to completion.",
      }),
    );
    parts.push(
      S.actions.length === 0
        ? h("p", { className: "muted", text: "No chaos phase: no action was run (a scenario run)." })
        : h("table", { className: "sync-actions" }, [
            h("thead", {}, [head]),
            h("tbody", {}, body),
            h("tfoot", {}, [h("tr", { "data-action": "" }, cells(S.totals, "total", "td"))]),
          ]),
    );
    parts.push(h("h3", { text: "Verifications" }));
    var rows = S.verifications.map(function (v) {
      // A status other than passed or failed (not applicable, unknown) is neither a pass nor a failure.
      var undecided = !v.passed && v.status !== null && v.status !== "passed" && v.status !== "failed";
      var cls = v.passed ? "valid" : undecided ? "unknown" : "invalid";
      var label = v.passed
        ? "PASS"
        : !undecided
          ? "FAIL"
          : v.status === "notApplicable"
            ? "N/A"
            : v.status.toUpperCase();
      var evidence = null;
      if (v.evidence.length > 0) {
        var items = v.evidence.map(function (line) {
          return h("li", { text: line });
        });
        if (v.evidenceCut > 0)
          items.push(h("li", { className: "muted", text: "… " + v.evidenceCut + " more in results.json" }));
        evidence = h("ul", { className: "evidence" }, items);
      }
      return h("tr", { "data-verification": v.name }, [
        h("td", { className: "mono", text: v.name }),
        h("td", {}, [h("span", { className: "badge " + cls, text: label })]),
        h("td", {}, [
          h("div", { text: v.explanation || (v.passed ? "ok" : "") }),
          v.passed && evidence ? h("details", {}, [h("summary", { text: "evidence" }), evidence]) : evidence,
        ]),
      ]);
    });
    parts.push(
      S.verifications.length === 0
        ? h("p", { className: "error", text: "No verification ran: a sync run without one is not a pass." })
        : h("table", { className: "sync-verifications" }, [
            h("thead", {}, [
              h("tr", {}, [
                h("th", { text: "verification" }),
                h("th", { text: "result" }),
                h("th", { text: "evidence" }),
              ]),
            ]),
            h("tbody", {}, rows),
          ]),
    );
    root.replaceChildren.apply(root, parts);
  }

  // ---------- counterexample ----------
  function renderCounterexamples() {
    var root = document.getElementById("counterexample");
    if (!DATA.counterexamples.length) {
      root.remove();
      return;
    }
    var parts = [];
    DATA.counterexamples.forEach(function (c, i) {
      var named = c.kind === "highlights";
      parts.push(
        h("h2", {
          text:
            (named ? "Ops named by " : "Counterexample · ") +
            c.checker +
            (c.key !== null ? " · key " + c.key : ""),
        }),
      );
      if (c.explanation) parts.push(h("p", { className: "explanation", text: c.explanation }));
      parts.push(
        h("p", {
          className: "hint",
          text: named
            ? c.stuckBars.length +
              " operation(s) named by the checker (red), each with its label. Click one to see it on the timeline."
            : c.stuckBars.length +
              " operation(s) could not be linearized next (red), after a linearized prefix of " +
              c.prefixLength +
              " operation(s); its last ones are in blue. Click one to see it on the timeline.",
        }),
      );
      var list = h(
        "ul",
        { className: "ce-ops" },
        c.rows.map(function (row) {
          return h("li", { className: "ce-op " + row.role }, [
            h("button", {
              className: "link",
              text:
                (row.role === "highlight" ? row.label + " " : row.role === "stuck" ? "stuck  " : "prefix ") +
                "· op " +
                T.invokeIndex[row.bar],
              onclick: function () {
                timeline.focusBars([row.bar]);
                timeline.select(row.bar);
              },
            }),
            h("span", { className: "mono", text: " " + row.text }),
          ]);
        }),
      );
      parts.push(list);
      parts.push(
        h("button", {
          className: "btn",
          text: "Show on timeline",
          onclick: function () {
            timeline.showCounterexample(i);
          },
        }),
      );
    });
    root.replaceChildren.apply(root, parts);
  }

  // ---------- timeline ----------
  var timeline = (function () {
    var GUTTER = 118;
    var AXIS_H = 30;
    var RIGHT_PAD = 10;
    var laneCount = T.lanes.length;
    var hasNemesisLane = laneCount > 0 && T.lanes[0].label === "nemesis";
    var laneH = laneCount > 40 ? 13 : laneCount > 16 ? 16 : 22;
    var contentH = laneCount * laneH + 6;
    var viewportH = Math.min(contentH, 520);
    // Holds may end after the last op (a log time later than it): the axis reaches them too.
    var endS = Math.max(T.endOfHistoryS, DATA.holds ? DATA.holds.runEndS : 0, 1e-3);
    var view = { t0: 0, t1: endS };
    var selected = -1;
    var hover = -1;
    var laneStart = new Int32Array(laneCount + 1);
    var stuck = new Set();
    var prefix = new Set();
    // Bar → "checker: label" for ops a checker named (highlights); not "could not be linearized".
    var labels = new Map();
    var scroller, canvas, ctx, overview, octx, tooltip, rangeLabel, density;
    var listeners = [];

    (function index() {
      var l = 0;
      for (var i = 0; i < BAR_COUNT; i++) {
        while (l <= T.lane[i]) {
          laneStart[l] = i;
          l++;
        }
      }
      while (l <= laneCount) {
        laneStart[l] = BAR_COUNT;
        l++;
      }
      DATA.counterexamples.forEach(function (c) {
        if (c.kind === "highlights")
          c.rows.forEach(function (row) {
            if (!labels.has(row.bar)) labels.set(row.bar, c.checker + ": " + row.label);
          });
        c.stuckBars.forEach(function (b) {
          stuck.add(b);
        });
        c.prefixTailBars.forEach(function (b) {
          prefix.add(b);
        });
      });
    })();

    function plotW() {
      return Math.max(10, canvas.clientWidth - GUTTER - RIGHT_PAD);
    }
    function xOf(t) {
      return GUTTER + ((t - view.t0) / (view.t1 - view.t0)) * plotW();
    }
    function tOf(x) {
      return view.t0 + ((x - GUTTER) / plotW()) * (view.t1 - view.t0);
    }
    // First bar of lane l whose end is at or after t (bars in a lane never overlap, so ends ascend).
    function firstEndingAfter(l, t) {
      var lo = laneStart[l],
        hi = laneStart[l + 1];
      while (lo < hi) {
        var mid = (lo + hi) >> 1;
        if (T.endS[mid] < t) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    }

    function sizeCanvas(c, cssH) {
      var dpr = window.devicePixelRatio || 1;
      var w = c.clientWidth;
      c.style.height = cssH + "px";
      c.width = Math.max(1, Math.round(w * dpr));
      c.height = Math.max(1, Math.round(cssH * dpr));
      var g = c.getContext("2d");
      g.setTransform(dpr, 0, 0, dpr, 0, 0);
      return g;
    }

    var pending = false;
    function requestDraw() {
      if (pending) return;
      pending = true;
      requestAnimationFrame(function () {
        pending = false;
        draw();
        drawOverview();
        notify();
      });
    }

    function draw() {
      var W = canvas.clientWidth,
        H = AXIS_H + viewportH;
      ctx.clearRect(0, 0, W, H);
      var scrollY = scroller.scrollTop;
      var span = view.t1 - view.t0;
      var pw = plotW();
      // lane stripes and labels
      var firstLane = Math.max(0, Math.floor(scrollY / laneH));
      var lastLane = Math.min(laneCount - 1, Math.ceil((scrollY + viewportH) / laneH));
      ctx.save();
      ctx.beginPath();
      ctx.rect(0, AXIS_H, W, viewportH);
      ctx.clip();
      for (var l = firstLane; l <= lastLane; l++) {
        var y = AXIS_H + l * laneH - scrollY;
        if (l % 2 === 1) {
          ctx.fillStyle = "#f6f7f9";
          ctx.fillRect(0, y, W, laneH);
        }
      }
      // fault periods
      DATA.periods.forEach(function (p) {
        var x0 = xOf(p.startS),
          x1 = Math.max(xOf(p.endS), x0 + 2);
        if (x1 < GUTTER || x0 > GUTTER + pw) return;
        x0 = Math.max(x0, GUTTER);
        x1 = Math.min(x1, GUTTER + pw);
        ctx.fillStyle = periodColor(p.kind, 0.13);
        ctx.fillRect(x0, AXIS_H, x1 - x0, viewportH);
      });
      // grid
      var step = niceStep(span, pw, 90);
      ctx.strokeStyle = "rgba(15,23,42,0.07)";
      ctx.lineWidth = 1;
      ctx.beginPath();
      for (var g = Math.ceil(view.t0 / step) * step; g <= view.t1; g += step) {
        var gx = Math.round(xOf(g)) + 0.5;
        ctx.moveTo(gx, AXIS_H);
        ctx.lineTo(gx, AXIS_H + viewportH);
      }
      ctx.stroke();
      // bars: ok first, then fail/info/open on top so rare outcomes stay visible when zoomed out
      ctx.beginPath();
      ctx.rect(GUTTER, AXIS_H, pw, viewportH);
      ctx.clip();
      var barH = Math.max(3, laneH - 6);
      var drawn = 0;
      for (var pass = 0; pass < 2; pass++) {
        for (var ln = firstLane; ln <= lastLane; ln++) {
          var by = AXIS_H + ln * laneH - scrollY + (laneH - barH) / 2;
          var runX0 = -1,
            runX1 = -1,
            runColor = null;
          if (ln === 0 && hasNemesisLane) continue;
          for (var i = firstEndingAfter(ln, view.t0); i < laneStart[ln + 1] && T.startS[i] <= view.t1; i++) {
            var outcome = T.outcome[i];
            if ((pass === 0) !== (outcome === 0)) continue;
            var color = OUTCOME_COLORS[outcome];
            var bx0 = xOf(T.startS[i]),
              bx1 = Math.max(xOf(T.endS[i]), bx0 + 1);
            if (color === runColor && bx0 <= runX1 + 1) {
              if (bx1 > runX1) runX1 = bx1;
              continue;
            }
            if (runColor) {
              ctx.fillStyle = runColor;
              ctx.fillRect(runX0, by, runX1 - runX0, barH);
              drawn++;
            }
            runX0 = bx0;
            runX1 = bx1;
            runColor = color;
          }
          if (runColor) {
            ctx.fillStyle = runColor;
            ctx.fillRect(runX0, by, runX1 - runX0, barH);
            drawn++;
          }
        }
      }
      // the nemesis lane also shows each fault period as a labelled bar, so faults read at a glance
      if (hasNemesisLane && firstLane === 0) {
        var ny = AXIS_H - scrollY + 2,
          nh = laneH - 4;
        ctx.font = "11px system-ui, -apple-system, Segoe UI, sans-serif";
        ctx.textBaseline = "middle";
        DATA.periods.forEach(function (p) {
          var x0 = xOf(p.startS),
            x1 = Math.max(xOf(p.endS), x0 + 2);
          if (x1 < GUTTER || x0 > GUTTER + pw) return;
          ctx.fillStyle = periodColor(p.kind, 0.45);
          ctx.fillRect(x0, ny, x1 - x0, nh);
          var label = p.kind + " " + p.valueText;
          if (x1 - x0 > 40) {
            ctx.fillStyle = "#1e1b4b";
            ctx.save();
            ctx.beginPath();
            ctx.rect(Math.max(x0, GUTTER), ny, Math.min(x1, GUTTER + pw) - Math.max(x0, GUTTER), nh);
            ctx.clip();
            ctx.fillText(label, Math.max(x0, GUTTER) + 4, ny + nh / 2);
            ctx.restore();
          }
        });
        for (var ni = firstEndingAfter(0, view.t0); ni < laneStart[1] && T.startS[ni] <= view.t1; ni++) {
          var nx0 = xOf(T.startS[ni]),
            nx1 = Math.max(xOf(T.endS[ni]), nx0 + 2);
          ctx.fillStyle = T.outcome[ni] === 1 ? COLORS.fail : COLORS.nemesis;
          ctx.fillRect(nx0, ny, nx1 - nx0, nh);
        }
      }
      // counterexample and selection outlines
      function outline(bar, color, width) {
        var ln2 = T.lane[bar];
        if (ln2 < firstLane || ln2 > lastLane) return;
        var x0 = xOf(T.startS[bar]),
          x1 = Math.max(xOf(T.endS[bar]), x0 + 3);
        var y0 = AXIS_H + ln2 * laneH - scrollY + (laneH - barH) / 2;
        ctx.strokeStyle = color;
        ctx.lineWidth = width;
        ctx.strokeRect(x0 - 1, y0 - 1, x1 - x0 + 2, barH + 2);
      }
      prefix.forEach(function (b) {
        outline(b, PREFIX_COLOR, 2);
      });
      stuck.forEach(function (b) {
        outline(b, STUCK_COLOR, 2.5);
        var ln3 = T.lane[b];
        if (ln3 < firstLane || ln3 > lastLane) return;
        var mx = Math.max(GUTTER, Math.min(GUTTER + pw, xOf(T.startS[b])));
        var my = AXIS_H + ln3 * laneH - scrollY + 1;
        ctx.fillStyle = STUCK_COLOR;
        ctx.beginPath();
        ctx.moveTo(mx - 4, my - 1);
        ctx.lineTo(mx + 4, my - 1);
        ctx.lineTo(mx, my + 4);
        ctx.closePath();
        ctx.fill();
      });
      if (hover >= 0) outline(hover, "rgba(15,23,42,0.45)", 1);
      if (selected >= 0) outline(selected, "#0f172a", 2);
      ctx.restore();
      // lane labels (gutter)
      ctx.save();
      ctx.beginPath();
      ctx.rect(0, AXIS_H, GUTTER, viewportH);
      ctx.clip();
      ctx.fillStyle = "#ffffff";
      ctx.fillRect(0, AXIS_H, GUTTER - 4, viewportH);
      ctx.font = "12px system-ui, -apple-system, Segoe UI, sans-serif";
      ctx.textBaseline = "middle";
      for (var la = firstLane; la <= lastLane; la++) {
        ctx.fillStyle = T.lanes[la].label === "nemesis" ? COLORS.nemesis : "#334155";
        ctx.fillText(T.lanes[la].label, 8, AXIS_H + la * laneH - scrollY + laneH / 2);
      }
      ctx.restore();
      // axis
      ctx.fillStyle = "#ffffff";
      ctx.fillRect(0, 0, W, AXIS_H);
      ctx.font = "11px system-ui, -apple-system, Segoe UI, sans-serif";
      ctx.textBaseline = "alphabetic";
      DATA.periods.forEach(function (p) {
        var x0 = Math.max(xOf(p.startS), GUTTER),
          x1 = Math.min(Math.max(xOf(p.endS), x0 + 2), GUTTER + pw);
        if (x1 < GUTTER || x0 > GUTTER + pw) return;
        ctx.fillStyle = periodColor(p.kind, 0.55);
        ctx.fillRect(x0, AXIS_H - 5, x1 - x0, 5);
        if (x1 - x0 > 36) {
          ctx.fillStyle = periodColor(p.kind, 1);
          ctx.fillText(p.kind + (p.healed ? "" : " (not healed)"), x0 + 3, AXIS_H - 8);
        }
      });
      ctx.fillStyle = "#64748b";
      ctx.strokeStyle = "#cbd5e1";
      ctx.beginPath();
      var decimals = Math.max(0, Math.min(6, -Math.floor(Math.log10(step))));
      for (var a = Math.ceil(view.t0 / step) * step; a <= view.t1; a += step) {
        var ax = Math.round(xOf(a)) + 0.5;
        ctx.moveTo(ax, AXIS_H - 4);
        ctx.lineTo(ax, AXIS_H);
        ctx.fillText(a.toFixed(decimals) + " s", ax + 3, 11);
      }
      ctx.moveTo(GUTTER, AXIS_H + 0.5);
      ctx.lineTo(GUTTER + pw, AXIS_H + 0.5);
      ctx.stroke();
      canvas.dataset.drawnRuns = String(drawn);
      rangeLabel.textContent =
        fmtS(Math.max(0, view.t0)) +
        " – " +
        fmtS(view.t1) +
        "  (" +
        fmtSpan(span) +
        " shown of " +
        fmtSpan(endS) +
        ")";
    }

    function drawOverview() {
      var W = overview.clientWidth,
        H = 28;
      octx.clearRect(0, 0, W, H);
      var pw = plotW();
      var bins = density.length;
      var max = 1;
      for (var i = 0; i < bins; i++) if (density[i] > max) max = density[i];
      var bw = pw / bins;
      DATA.periods.forEach(function (p) {
        var x0 = GUTTER + (p.startS / endS) * pw,
          x1 = Math.max(GUTTER + (p.endS / endS) * pw, x0 + 1);
        octx.fillStyle = periodColor(p.kind, 0.25);
        octx.fillRect(x0, 0, x1 - x0, H);
      });
      octx.fillStyle = "rgba(47,158,95,0.55)";
      for (var j = 0; j < bins; j++) {
        var bh = (density[j] / max) * (H - 4);
        octx.fillRect(GUTTER + j * bw, H - bh, Math.max(bw - 0.3, 0.5), bh);
      }
      var vx0 = GUTTER + (Math.max(0, view.t0) / endS) * pw,
        vx1 = GUTTER + (Math.min(endS, view.t1) / endS) * pw;
      octx.fillStyle = "rgba(15,23,42,0.06)";
      octx.fillRect(GUTTER, 0, vx0 - GUTTER, H);
      octx.fillRect(vx1, 0, GUTTER + pw - vx1, H);
      octx.strokeStyle = "#0f172a";
      octx.lineWidth = 1.5;
      octx.strokeRect(vx0, 1, Math.max(vx1 - vx0, 2), H - 2);
      octx.fillStyle = "#64748b";
      octx.font = "11px system-ui, sans-serif";
      octx.textBaseline = "middle";
      octx.fillText("overview", 8, H / 2);
    }

    function clampView(t0, t1) {
      var minSpan = 1e-6;
      var pad = endS * 0.02;
      var span = Math.max(minSpan, Math.min(t1 - t0, endS + 2 * pad));
      if (t0 < -pad) t0 = -pad;
      if (t0 + span > endS + pad) t0 = endS + pad - span;
      view.t0 = t0;
      view.t1 = t0 + span;
    }
    function setView(t0, t1, quiet) {
      clampView(t0, t1);
      if (quiet) suppressNotify = true;
      requestDraw();
    }
    function zoomAt(t, factor) {
      setView(t - (t - view.t0) * factor, t + (view.t1 - t) * factor);
    }
    var suppressNotify = false;
    var lastNotified = "";
    function notify() {
      var key = view.t0 + ":" + view.t1;
      if (suppressNotify) {
        suppressNotify = false;
        lastNotified = key;
        return;
      }
      if (key === lastNotified) return;
      lastNotified = key;
      listeners.forEach(function (fn) {
        fn(view.t0, view.t1);
      });
    }

    function hitTest(x, y) {
      if (x < GUTTER || y < AXIS_H) return -1;
      var l = Math.floor((y - AXIS_H + scroller.scrollTop) / laneH);
      if (l < 0 || l >= laneCount) return -1;
      var t = tOf(x);
      var tol = (4 * (view.t1 - view.t0)) / plotW();
      var best = -1,
        bestDist = Infinity;
      for (
        var i = firstEndingAfter(l, t - tol), n = 0;
        i < laneStart[l + 1] && T.startS[i] <= t + tol && n < 5000;
        i++, n++
      ) {
        var d = t < T.startS[i] ? T.startS[i] - t : t > T.endS[i] ? t - T.endS[i] : 0;
        if (d < bestDist || (d === 0 && T.outcome[i] !== 0 && T.outcome[best] === 0)) {
          best = i;
          bestDist = d;
        }
      }
      return best;
    }

    function showTooltip(bar, x, y) {
      if (bar < 0) {
        tooltip.hidden = true;
        return;
      }
      var op = OPS ? opAt(T.invokeIndex[bar]) : null;
      var lines = [
        T.fNames[T.f[bar]] + " · " + OUTCOME_NAMES[T.outcome[bar]] + " · op " + T.invokeIndex[bar],
        (op ? "process " + op.process + " · " : "") +
          fmtS(T.startS[bar]) +
          (T.completionIndex[bar] >= 0
            ? " → " + fmtS(T.endS[bar]) + " (" + fmtMs((T.endS[bar] - T.startS[bar]) * 1000) + ")"
            : " → never completed"),
      ];
      if (op) {
        var comp = opAt(T.completionIndex[bar]);
        var value = comp && comp.type === "ok" ? comp.value : op.value;
        var text = JSON.stringify(value === undefined ? null : value);
        lines.push("value " + (text.length > 80 ? text.slice(0, 79) + "…" : text));
      }
      if (labels.has(bar)) lines.push(labels.get(bar));
      else if (stuck.has(bar)) lines.push("counterexample: could not be linearized");
      else if (prefix.has(bar)) lines.push("counterexample: end of the linearized prefix");
      tooltip.replaceChildren.apply(
        tooltip,
        lines.map(function (line) {
          return h("div", { text: line });
        }),
      );
      tooltip.hidden = false;
      var box = scroller.getBoundingClientRect();
      var left = Math.min(x + 14, box.width - 300);
      tooltip.style.left = Math.max(0, left) + "px";
      tooltip.style.top = y + 16 + "px";
    }

    function select(bar) {
      selected = bar;
      requestDraw();
      details.show(bar);
    }

    function focusBars(bars) {
      if (!bars.length) return;
      var t0 = Infinity,
        t1 = -Infinity,
        lane = Infinity;
      bars.forEach(function (b) {
        t0 = Math.min(t0, T.startS[b]);
        t1 = Math.max(t1, T.endS[b]);
        lane = Math.min(lane, T.lane[b]);
      });
      var span = Math.max(t1 - t0, 1e-4);
      setView(t0 - span * 0.6, t1 + span * 0.6);
      var wanted = lane * laneH - laneH;
      if (wanted < scroller.scrollTop || wanted > scroller.scrollTop + viewportH - 2 * laneH)
        scroller.scrollTop = Math.max(0, wanted);
    }

    function mount() {
      var root = document.getElementById("timeline");
      scroller = h("div", { className: "tl-scroller" });
      canvas = h("canvas", {
        className: "tl-canvas",
        tabindex: "0",
        "aria-label":
          "Timeline of operations per process; wheel to zoom, drag to pan, click an operation for details",
      });
      var spacer = h("div", { style: "height:" + Math.max(0, contentH - viewportH) + "px" });
      tooltip = h("div", { className: "tooltip", hidden: "" });
      scroller.style.height = AXIS_H + viewportH + "px";
      scroller.appendChild(canvas);
      scroller.appendChild(spacer);
      var wrap = h("div", { className: "tl-wrap" }, [scroller, tooltip]);
      overview = h("canvas", { className: "tl-overview", title: "Click or drag to move the window" });
      rangeLabel = h("span", { className: "range mono" });
      var btn = function (label, title, fn) {
        return h("button", { className: "btn", text: label, title: title, onclick: fn });
      };
      var toolbar = h("div", { className: "toolbar" }, [
        btn("−", "Zoom out (−)", function () {
          zoomAt((view.t0 + view.t1) / 2, 2);
        }),
        btn("+", "Zoom in (+)", function () {
          zoomAt((view.t0 + view.t1) / 2, 0.5);
        }),
        btn("Fit", "Show the whole history (0)", function () {
          setView(0, endS);
        }),
        DATA.counterexamples.length
          ? btn("Counterexample", "Zoom to the ops that could not be linearized", function () {
              showCounterexample(0);
            })
          : null,
        rangeLabel,
      ]);
      var legend = h("div", { className: "legend" }, [
        legendSwatch(COLORS.ok, "ok"),
        legendSwatch(COLORS.fail, "fail"),
        legendSwatch(COLORS.info, "info (unknown outcome)"),
        legendSwatch(COLORS.open, "never completed"),
        legendSwatch(COLORS.nemesis, "nemesis op"),
        legendSwatch("rgba(217,67,75,0.25)", "fault period"),
        DATA.counterexamples.length ? legendSwatch(null, "could not be linearized", STUCK_COLOR) : null,
        DATA.counterexamples.length ? legendSwatch(null, "end of linearized prefix", PREFIX_COLOR) : null,
        h("span", {
          className: "hint",
          text: "wheel: zoom · drag: pan · shift+wheel: scroll · click: details",
        }),
      ]);
      root.appendChild(toolbar);
      root.appendChild(wrap);
      root.appendChild(overview);
      root.appendChild(legend);
      ctx = sizeCanvas(canvas, AXIS_H + viewportH);
      octx = sizeCanvas(overview, 28);
      // density for the overview, one bin per ~2 px
      var bins = Math.max(50, Math.min(1000, Math.floor(plotW() / 2)));
      density = new Float64Array(bins);
      for (var i = 0; i < BAR_COUNT; i++)
        density[Math.min(bins - 1, Math.floor((T.startS[i] / endS) * bins))]++;

      scroller.addEventListener("scroll", requestDraw);
      canvas.addEventListener(
        "wheel",
        function (e) {
          e.preventDefault();
          var span = view.t1 - view.t0;
          if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
            var d = e.shiftKey ? e.deltaY || e.deltaX : e.deltaX;
            setView(view.t0 + (d / plotW()) * span, view.t1 + (d / plotW()) * span);
          } else {
            var rect = canvas.getBoundingClientRect();
            var t = tOf(Math.max(GUTTER, e.clientX - rect.left));
            zoomAt(t, Math.exp(Math.max(-300, Math.min(300, e.deltaY)) * 0.002));
          }
        },
        { passive: false },
      );
      var drag = null;
      canvas.addEventListener("mousedown", function (e) {
        drag = {
          x: e.clientX,
          y: e.clientY,
          t0: view.t0,
          t1: view.t1,
          top: scroller.scrollTop,
          moved: false,
        };
      });
      window.addEventListener("mousemove", function (e) {
        if (drag) {
          var dx = e.clientX - drag.x,
            dy = e.clientY - drag.y;
          if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
          if (drag.moved) {
            var dt = (dx / plotW()) * (drag.t1 - drag.t0);
            setView(drag.t0 - dt, drag.t1 - dt);
            scroller.scrollTop = drag.top - dy;
            tooltip.hidden = true;
          }
          return;
        }
        if (e.target !== canvas) {
          if (hover !== -1) {
            hover = -1;
            tooltip.hidden = true;
            requestDraw();
          }
          return;
        }
        var rect = canvas.getBoundingClientRect();
        var bar = hitTest(e.clientX - rect.left, e.clientY - rect.top);
        if (bar !== hover) {
          hover = bar;
          requestDraw();
        }
        showTooltip(bar, e.clientX - rect.left, e.clientY - rect.top);
      });
      window.addEventListener("mouseup", function (e) {
        if (!drag) return;
        var wasClick = !drag.moved && e.target === canvas;
        drag = null;
        if (wasClick) {
          var rect = canvas.getBoundingClientRect();
          var bar = hitTest(e.clientX - rect.left, e.clientY - rect.top);
          if (bar >= 0) select(bar);
        }
      });
      canvas.addEventListener("mouseleave", function () {
        tooltip.hidden = true;
      });
      canvas.addEventListener("keydown", function (e) {
        var span = view.t1 - view.t0;
        if (e.key === "+" || e.key === "=") zoomAt((view.t0 + view.t1) / 2, 0.5);
        else if (e.key === "-") zoomAt((view.t0 + view.t1) / 2, 2);
        else if (e.key === "0") setView(0, endS);
        else if (e.key === "ArrowLeft") setView(view.t0 - span * 0.2, view.t1 - span * 0.2);
        else if (e.key === "ArrowRight") setView(view.t0 + span * 0.2, view.t1 + span * 0.2);
        else if (e.key === "Escape") {
          selected = -1;
          requestDraw();
        } else return;
        e.preventDefault();
      });
      var odrag = false;
      function moveOverview(e) {
        var rect = overview.getBoundingClientRect();
        var t = ((e.clientX - rect.left - GUTTER) / plotW()) * endS;
        var span = view.t1 - view.t0;
        setView(t - span / 2, t + span / 2);
      }
      overview.addEventListener("mousedown", function (e) {
        odrag = true;
        moveOverview(e);
      });
      window.addEventListener("mousemove", function (e) {
        if (odrag) moveOverview(e);
      });
      window.addEventListener("mouseup", function () {
        odrag = false;
      });
      window.addEventListener("resize", function () {
        ctx = sizeCanvas(canvas, AXIS_H + viewportH);
        octx = sizeCanvas(overview, 28);
        requestDraw();
      });
      draw();
      drawOverview();
    }

    function showCounterexample(i) {
      var c = DATA.counterexamples[i];
      if (!c) return;
      focusBars(c.stuckBars.concat(c.prefixTailBars));
      if (c.stuckBars.length) select(c.stuckBars[0]);
      document.getElementById("timeline").scrollIntoView({ behavior: "smooth", block: "start" });
    }

    // For tests and bookmarks: bring an op into view and return its bar's centre in page coordinates.
    function locate(opIndex) {
      var bar = -1;
      for (var i = 0; i < BAR_COUNT; i++)
        if (T.invokeIndex[i] === opIndex || T.completionIndex[i] === opIndex) {
          bar = i;
          break;
        }
      if (bar < 0) return null;
      focusBars([bar]);
      draw();
      scroller.scrollIntoView({ block: "center" });
      var rect = canvas.getBoundingClientRect();
      var x0 = xOf(T.startS[bar]),
        x1 = Math.max(xOf(T.endS[bar]), x0 + 1);
      return {
        bar: bar,
        x: rect.left + (x0 + x1) / 2,
        y: rect.top + AXIS_H + T.lane[bar] * laneH - scroller.scrollTop + laneH / 2,
      };
    }

    return {
      locate: locate,
      mount: mount,
      // The hold lanes draw on the same axis: the visible window and the plot's left and right margins.
      view: function () {
        return { t0: view.t0, t1: view.t1 };
      },
      gutter: GUTTER,
      rightPad: RIGHT_PAD,
      select: select,
      focusBars: focusBars,
      showCounterexample: showCounterexample,
      setView: setView,
      onView: function (fn) {
        listeners.push(fn);
      },
      endS: endS,
    };
  })();

  function legendSwatch(fill, label, outline) {
    var sw = h("span", { className: "swatch" });
    if (fill) sw.style.background = fill;
    if (outline) {
      sw.style.outline = "2px solid " + outline;
      sw.style.outlineOffset = "-2px";
      sw.style.background = "#e2e8f0";
    }
    return h("span", { className: "legend-item" }, [sw, label]);
  }

  // ---------- hold lanes: the interval log, under the op timeline, on its time axis ----------
  // SVG, not canvas: a lock run has tens to thousands of holds (the model caps them), and an element
  // per hold gives each its own tooltip (<title>) and lets a test count lanes and bars.
  var SVG_NS = "http://www.w3.org/2000/svg";
  var HOLDER_COLORS = [
    "#2563eb",
    "#0f766e",
    "#9333ea",
    "#c2410c",
    "#4d7c0f",
    "#be185d",
    "#0369a1",
    "#a16207",
  ];
  var VIOLATION_COLOR = "#b0101c";
  function svg(tag, attrs, children) {
    var el = document.createElementNS(SVG_NS, tag);
    for (var name in attrs)
      if (Object.prototype.hasOwnProperty.call(attrs, name)) el.setAttribute(name, String(attrs[name]));
    if (children) for (var i = 0; i < children.length; i++) if (children[i]) el.appendChild(children[i]);
    return el;
  }
  function svgTitle(text) {
    var title = document.createElementNS(SVG_NS, "title");
    title.textContent = text;
    return title;
  }
  var ENDED_BY_WORDS = {
    kill: "its actor's kill or exit",
    "next-hold": "its holder's next hold",
    "run-end": "the end of the run",
    record: "its end record",
  };
  function holdText(H, i) {
    var lines = [
      H.holder[i] +
        (H.token[i] !== null ? " · token " + H.token[i] : " · no token") +
        " · " +
        H.lanes[H.lane[i]].label,
      "pid " +
        H.pid[i] +
        " · " +
        fmtS(H.startS[i]) +
        " → " +
        fmtS(H.endS[i]) +
        " (" +
        fmtSpan(Math.max(0, H.endS[i] - H.startS[i])) +
        ")",
    ];
    if (H.open[i])
      lines.push(
        "open: no end record (killed mid-hold); drawn to " + ENDED_BY_WORDS[H.endedBy[i]] + " (inferred)",
      );
    lines.push("intervals.jsonl line " + H.line[i]);
    if (H.violation[i]) lines.push("named by a bounded-concurrency violation");
    return lines.join("\n");
  }
  function renderHolds() {
    var root = document.getElementById("holds");
    var H = DATA.holds;
    if (!H) {
      root.remove();
      return;
    }
    var LANE_H = 22,
      BAR_H = 14,
      TOP = 12;
    var laneCount = H.lanes.length;
    // A lane with overlapping holds is taller: one row of ROW_H per overlapping hold, beyond the first.
    var ROW_H = 11;
    var laneTop = [];
    var lanesH = 0;
    for (var lt = 0; lt < laneCount; lt++) {
      laneTop.push(TOP + lanesH);
      lanesH += LANE_H + (H.lanes[lt].rows - 1) * ROW_H;
    }
    function laneHeight(l) {
      return LANE_H + (H.lanes[l].rows - 1) * ROW_H;
    }
    var height = TOP + lanesH + 2;
    var count = H.lane.length;
    var summary =
      fmtInt(H.holdCount) +
      " hold(s), " +
      fmtInt(H.openCount) +
      " open, by " +
      H.holders.length +
      " holder(s), one lane per " +
      (H.laneBy === "slots" ? "slot" : "holder") +
      (count < H.holdCount ? "; the first " + fmtInt(count) + " are drawn" : "") +
      "; " +
      H.lossWindows.length +
      " loss window(s), " +
      H.violations.length +
      " violation(s).";
    var hatch = svg(
      "pattern",
      {
        id: "hold-open-hatch",
        patternUnits: "userSpaceOnUse",
        width: 6,
        height: 6,
        patternTransform: "rotate(45)",
      },
      [
        svg("rect", { width: 6, height: 6, fill: "#ffffff" }),
        svg("rect", { width: 2.5, height: 6, fill: "#64748b" }),
      ],
    );
    var clipRect = svg("rect", { x: 0, y: 0, width: 10, height: height });
    var clip = svg("clipPath", { id: "holds-plot" }, [clipRect]);
    var windows = svg("g", { class: "loss-windows", "clip-path": "url(#holds-plot)" });
    var lanesG = svg("g", { class: "hold-lanes" });
    var bars = svg("g", { class: "hold-bars", "clip-path": "url(#holds-plot)" });
    var marks = svg("g", { class: "hold-violations", "clip-path": "url(#holds-plot)" });
    var plot = svg(
      "svg",
      {
        class: "holds-svg",
        width: "100%",
        height: height,
        role: "img",
        "aria-label":
          "Holds from the interval log, one lane per " + (H.laneBy === "slots" ? "slot" : "holder"),
      },
      [svg("defs", {}, [hatch, clip]), lanesG, windows, bars, marks],
    );
    for (var l = 0; l < laneCount; l++) {
      var y = laneTop[l];
      lanesG.appendChild(
        svg("g", { class: "hold-lane", "data-lane": l }, [
          svg("rect", {
            x: 0,
            y: y,
            width: "100%",
            height: laneHeight(l),
            fill: l % 2 ? "#f6f7f9" : "#ffffff",
          }),
          (function () {
            var label = svg("text", {
              x: 8,
              y: y + laneHeight(l) / 2,
              "dominant-baseline": "middle",
              class: "hold-lane-label",
            });
            label.textContent = H.lanes[l].label;
            return label;
          })(),
        ]),
      );
    }
    var windowEls = H.lossWindows.map(function (w) {
      var el = svg(
        "rect",
        { class: "loss-window" + (w.closed ? "" : " not-closed"), y: TOP, height: lanesH },
        [
          svgTitle(
            "loss event: " +
              w.f +
              " of " +
              w.holder +
              " (" +
              w.kind +
              ") from " +
              fmtS(w.startS) +
              (w.healedAtS !== null ? ", healed at " + fmtS(w.healedAtS) : ", never healed") +
              (w.measured ? ", window until " + fmtS(w.endS) : "") +
              (w.closed ? "" : "; the overlap outlasted the window"),
          ),
        ],
      );
      windows.appendChild(el);
      return el;
    });
    var barEls = [];
    var labelEls = [];
    for (var i = 0; i < count; i++) {
      var color = HOLDER_COLORS[H.holderIndex[i] % HOLDER_COLORS.length];
      // Holds of one lane that overlap (a zombie and its successor) stack in rows, so neither hides the other.
      var rows = H.lanes[H.lane[i]].rows;
      var rowH = rows > 1 ? ROW_H : BAR_H;
      var by =
        laneTop[H.lane[i]] +
        (laneHeight(H.lane[i]) - (rows > 1 ? rows * ROW_H : BAR_H)) / 2 +
        H.row[i] * rowH;
      var bar = svg(
        "rect",
        {
          class: "hold-bar" + (H.open[i] ? " open" : "") + (H.violation[i] ? " violation" : ""),
          "data-hold": i,
          "data-lane": H.lane[i],
          y: by,
          height: rows > 1 ? rowH - 1 : rowH,
          rx: 2,
          fill: H.open[i] ? "url(#hold-open-hatch)" : color,
          stroke: H.violation[i] ? VIOLATION_COLOR : color,
          "stroke-width": H.violation[i] ? 2.5 : H.open[i] ? 1.5 : 0,
        },
        [svgTitle(holdText(H, i))],
      );
      if (H.open[i]) bar.setAttribute("stroke-dasharray", "4 2");
      bars.appendChild(bar);
      barEls.push(bar);
      var text = svg("text", {
        class: "hold-label",
        y: by + rowH / 2,
        "dominant-baseline": "middle",
        "font-size": rows > 1 ? 9 : 10.5,
      });
      text.textContent = H.holder[i] + (H.token[i] !== null ? " #" + H.token[i] : "");
      bars.appendChild(text);
      labelEls.push(text);
    }
    var violationEls = H.violations.map(function (v) {
      var el = svg("rect", { class: "hold-violation", y: 1, height: TOP - 3, fill: VIOLATION_COLOR }, [
        svgTitle("violation (" + v.checker + "): " + v.explanation),
      ]);
      marks.appendChild(el);
      return el;
    });
    var legend = h("div", { className: "legend" }, [
      legendSwatch(HOLDER_COLORS[0], "a hold (color: holder)"),
      h("span", { className: "legend-item" }, [
        h("span", { className: "swatch hatch" }),
        "open: no end record, drawn to its inferred end",
      ]),
      legendSwatch("rgba(227,154,28,0.35)", "loss event's window"),
      legendSwatch(null, "named by a violation", VIOLATION_COLOR),
    ]);
    root.appendChild(h("h3", { text: "Holds (intervals.jsonl)" }));
    root.appendChild(h("p", { className: "plot-note", text: summary }));

    function layout() {
      var layoutStartMs = performance.now();
      var v = timeline.view();
      var gutter = timeline.gutter;
      // The panel's width, not the SVG's: reading it does not force a layout of thousands of SVG elements.
      var pw = Math.max(10, root.clientWidth - gutter - timeline.rightPad);
      var span = v.t1 - v.t0 || 1e-9;
      function xOf(t) {
        return gutter + ((t - v.t0) / span) * pw;
      }
      clipRect.setAttribute("x", String(gutter));
      clipRect.setAttribute("width", String(pw));
      function place(el, t0, t1, minW) {
        var x0 = xOf(t0);
        el.setAttribute("x", x0.toFixed(1));
        el.setAttribute("width", Math.max(minW, xOf(t1) - x0).toFixed(1));
        return x0;
      }
      for (var i = 0; i < barEls.length; i++) {
        var x0 = place(barEls[i], H.startS[i], H.endS[i], 2);
        var w = xOf(H.endS[i]) - x0;
        labelEls[i].setAttribute("x", (Math.max(x0, gutter) + 4).toFixed(1));
        labelEls[i].setAttribute("display", w > 46 ? "inline" : "none");
      }
      windowEls.forEach(function (el, k) {
        place(el, H.lossWindows[k].startS, H.lossWindows[k].endS, 2);
      });
      violationEls.forEach(function (el, k) {
        place(el, H.violations[k].startS, H.violations[k].endS, 3);
      });
      // For bench/report-holds.ts: what one re-layout (a zoom, a pan) costs.
      PHASES.holdsLayoutDurationMs = performance.now() - layoutStartMs;
    }
    // Placed before the SVG joins the page, so the first layout is attribute writes, not reflows.
    layout();
    root.appendChild(plot);
    root.appendChild(legend);
    timeline.onView(layout);
    window.addEventListener("resize", layout);
  }

  // ---------- details panel ----------
  var details = (function () {
    function field(name, value) {
      return h("div", { className: "field" }, [
        h("span", { className: "name", text: name }),
        h("span", { className: "value mono", text: value }),
      ]);
    }
    function show(bar) {
      var root = document.getElementById("details");
      if (bar < 0) return;
      if (
        !ensureOps(function () {
          show(bar);
        })
      ) {
        root.replaceChildren(h("p", { className: "placeholder", text: "Loading the operations…" }));
        return;
      }
      var invoke = opAt(T.invokeIndex[bar]);
      var completion = opAt(T.completionIndex[bar]);
      var outcome = OUTCOME_NAMES[T.outcome[bar]];
      var parts = [
        h("div", { className: "details-title" }, [
          h("span", { className: "mono strong", text: T.fNames[T.f[bar]] }),
          h("span", { className: "badge op-" + outcome, text: outcome }),
          h("span", {
            className: "muted",
            text:
              "op " +
              T.invokeIndex[bar] +
              (T.completionIndex[bar] >= 0 ? " / " + T.completionIndex[bar] : ""),
          }),
        ]),
      ];
      if (stuckRole(bar))
        parts.push(h("p", { className: "ce-note " + stuckRole(bar).cls, text: stuckRole(bar).text }));
      if (invoke) {
        parts.push(field("process", String(invoke.process)));
        if (invoke.key !== undefined) parts.push(field("key", JSON.stringify(invoke.key)));
        parts.push(field("value", JSON.stringify(invoke.value === undefined ? null : invoke.value)));
        if (completion && JSON.stringify(completion.value) !== JSON.stringify(invoke.value))
          parts.push(
            field("result", JSON.stringify(completion.value === undefined ? null : completion.value)),
          );
        if (completion && completion.error) parts.push(field("error", String(completion.error)));
        if ((completion && completion.node) || invoke.node)
          parts.push(field("node", String((completion && completion.node) || invoke.node)));
      }
      parts.push(field("invoked", fmtS(T.startS[bar])));
      parts.push(
        field(
          "completed",
          T.completionIndex[bar] >= 0 ? fmtS(T.endS[bar]) : "never (the history ended first)",
        ),
      );
      if (T.completionIndex[bar] >= 0)
        parts.push(field("latency", fmtMs((T.endS[bar] - T.startS[bar]) * 1000)));
      parts.push(h("div", { className: "json-title", text: "invocation" }));
      parts.push(h("pre", { className: "json", text: JSON.stringify(invoke, null, 2) }));
      if (completion) {
        parts.push(h("div", { className: "json-title", text: "completion" }));
        parts.push(h("pre", { className: "json", text: JSON.stringify(completion, null, 2) }));
      }
      root.replaceChildren.apply(root, parts);
      root.classList.add("filled");
    }
    return { show: show };
  })();

  function stuckRole(bar) {
    for (var i = 0; i < DATA.counterexamples.length; i++) {
      var c = DATA.counterexamples[i];
      if (c.kind === "highlights") {
        for (var r = 0; r < c.rows.length; r++)
          if (c.rows[r].bar === bar)
            return { cls: "stuck", text: "Named by " + c.checker + ": " + c.rows[r].label + "." };
        continue;
      }
      if (c.stuckBars.indexOf(bar) >= 0)
        return {
          cls: "stuck",
          text:
            "Part of the counterexample (" + c.checker + "): this operation could not be linearized next.",
        };
      if (c.prefixTailBars.indexOf(bar) >= 0)
        return {
          cls: "prefix",
          text:
            "Part of the counterexample (" +
            c.checker +
            "): among the last operations of the linearized prefix.",
        };
    }
    return null;
  }

  // ---------- plots (uPlot) ----------
  var plots = [];
  function shadePeriods(u) {
    var ctx = u.ctx;
    var top = u.bbox.top,
      height = u.bbox.height;
    ctx.save();
    DATA.periods.forEach(function (p) {
      var x0 = u.valToPos(p.startS, "x", true),
        x1 = u.valToPos(p.endS, "x", true);
      var left = Math.max(x0, u.bbox.left),
        right = Math.min(Math.max(x1, x0 + 2), u.bbox.left + u.bbox.width);
      if (right <= left) return;
      ctx.fillStyle = periodColor(p.kind, 0.12);
      ctx.fillRect(left, top, right - left, height);
      ctx.fillStyle = periodColor(p.kind, 0.5);
      ctx.fillRect(left, top, right - left, 3 * (window.devicePixelRatio || 1));
    });
    ctx.restore();
  }
  function plotWidth(el) {
    return Math.max(300, el.clientWidth - 4);
  }
  // A zoom made on a plot (drag to select, double-click to reset) moves the timeline too. Only user
  // gestures count: uPlot also fires setScale for its own auto-ranging and for our pushes.
  function followUserZoom(u) {
    function pull() {
      setTimeout(function () {
        var min = u.scales.x.min,
          max = u.scales.x.max;
        if (min === undefined || max === undefined || min === null || max === null) return;
        timeline.setView(min, max);
      }, 0);
    }
    u.over.addEventListener("mouseup", pull);
    u.over.addEventListener("dblclick", pull);
  }
  function xScaleOpts() {
    return { time: false };
  }
  var cursorSync = { key: "crucible-x", setSeries: false };

  function renderLatency() {
    var el = document.getElementById("latency-plot");
    var L = DATA.latency;
    if (!L.groups.length) {
      el.appendChild(h("p", { className: "muted", text: "No completed client operations." }));
      return;
    }
    var xs = L.binStartS.map(function (t) {
      return t + L.binS / 2;
    });
    var fList = [];
    L.groups.forEach(function (g) {
      if (fList.indexOf(g.f) < 0) fList.push(g.f);
    });
    var minMs = Infinity,
      maxMs = 0;
    L.groups.forEach(function (g) {
      for (var i = 0; i < g.latencyMs.length; i++) {
        var v = g.latencyMs[i];
        if (v > 0 && v < minMs) minMs = v;
        if (v > maxMs) maxMs = v;
      }
    });
    if (!isFinite(minMs)) minMs = 0.001;
    var lo = 10 ** Math.floor(Math.log10(minMs)),
      hiv = 10 ** Math.ceil(Math.log10(Math.max(maxMs * 1.2, minMs * 10)));
    var series = [{ label: "time (s)" }];
    var data = [xs];
    var groupSeries = [];
    L.groups.forEach(function (g) {
      var shape = SHAPES[fList.indexOf(g.f) % SHAPES.length];
      groupSeries.push(series.length);
      series.push({
        label: shape + " " + g.f + " " + g.outcome,
        stroke: COLORS[g.outcome],
        width: 0,
        points: { show: false },
        paths: function () {
          return null;
        },
        value: function () {
          return "";
        },
      });
      data.push(
        xs.map(function () {
          return null;
        }),
      );
    });
    var dashes = { 0.5: [], 0.95: [6, 3], 0.99: [2, 3] };
    L.quantiles.forEach(function (q) {
      series.push({
        label: q.f + " p" + Math.round(q.q * 100),
        stroke: LINE_COLORS[fList.indexOf(q.f) % LINE_COLORS.length],
        width: q.q === 0.5 ? 1.6 : 1.2,
        show: q.q !== 0.95,
        dash: dashes[q.q],
        spanGaps: true,
        points: { show: false },
        value: function (_u, v) {
          return v === null || v === undefined ? "–" : fmtMs(v);
        },
      });
      data.push(q.values);
    });
    var sprites = {};
    function pointSprite(shapeIndex, color, size) {
      var key = shapeIndex + color + size;
      if (sprites[key]) return sprites[key];
      var c = document.createElement("canvas");
      c.width = c.height = Math.ceil(size * 3 + 2);
      var g = c.getContext("2d");
      var x = c.width / 2,
        y = c.height / 2;
      g.fillStyle = color;
      g.beginPath();
      if (shapeIndex === 1) g.rect(x - size, y - size, size * 2, size * 2);
      else if (shapeIndex === 2) {
        g.moveTo(x, y - size * 1.3);
        g.lineTo(x + size * 1.2, y + size);
        g.lineTo(x - size * 1.2, y + size);
        g.closePath();
      } else if (shapeIndex === 3) {
        g.moveTo(x, y - size * 1.4);
        g.lineTo(x + size * 1.4, y);
        g.lineTo(x, y + size * 1.4);
        g.lineTo(x - size * 1.4, y);
        g.closePath();
      } else if (shapeIndex === 4) {
        g.moveTo(x, y + size * 1.3);
        g.lineTo(x + size * 1.2, y - size);
        g.lineTo(x - size * 1.2, y - size);
        g.closePath();
      } else if (shapeIndex === 5) {
        g.rect(x - size * 1.3, y - size * 0.4, size * 2.6, size * 0.8);
        g.rect(x - size * 0.4, y - size * 1.3, size * 0.8, size * 2.6);
      } else g.arc(x, y, size, 0, 2 * Math.PI);
      g.fill();
      sprites[key] = c;
      return c;
    }
    function drawPoints(u) {
      var ctx = u.ctx;
      var dpr = window.devicePixelRatio || 1;
      var size = 2.6 * dpr;
      ctx.save();
      ctx.beginPath();
      ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height);
      ctx.clip();
      L.groups.forEach(function (g, gi) {
        if (!u.series[groupSeries[gi]].show) return;
        var shapeIndex = fList.indexOf(g.f) % SHAPES.length;
        ctx.fillStyle = COLORS[g.outcome];
        ctx.globalAlpha = g.outcome === "ok" ? 0.6 : 0.9;
        var min = u.scales.x.min,
          max = u.scales.x.max;
        // points are sorted by time: binary search the first visible one
        var a = 0,
          b = g.t.length;
        while (a < b) {
          var m = (a + b) >> 1;
          if (g.t[m] < min) a = m + 1;
          else b = m;
        }
        // One pre-drawn sprite per (shape, color): 100,000 drawImage calls take tens of ms, where
        // 100,000 path arcs take seconds in a software-rendered canvas.
        var sprite = pointSprite(shapeIndex, COLORS[g.outcome], size);
        var half = sprite.width / 2;
        for (var i = a; i < g.t.length && g.t[i] <= max; i++) {
          var x = u.valToPos(g.t[i], "x", true);
          var y = u.valToPos(Math.max(g.latencyMs[i], lo), "y", true);
          ctx.drawImage(sprite, Math.round(x - half), Math.round(y - half));
        }
      });
      ctx.restore();
    }
    var u = new uPlot(
      {
        width: plotWidth(el),
        height: 300,
        cursor: { sync: cursorSync, drag: { x: true, y: false } },
        scales: {
          x: xScaleOpts(),
          y: {
            distr: 3,
            range: function () {
              return [lo, hiv];
            },
          },
        },
        axes: [
          { label: "time since start (s)", stroke: "#475569", grid: { stroke: "rgba(15,23,42,0.07)" } },
          {
            label: "latency (ms, log scale)",
            stroke: "#475569",
            size: 60,
            grid: { stroke: "rgba(15,23,42,0.07)" },
            values: function (_u, splits) {
              return splits.map(function (v) {
                if (v === null || v === undefined) return "";
                var exp = Math.log10(v);
                if (Math.abs(exp - Math.round(exp)) > 1e-9) return "";
                return v >= 1000 ? v / 1000 + " s" : String(v);
              });
            },
          },
        ],
        series: series,
        hooks: { drawClear: [shadePeriods, drawPoints] },
      },
      data,
      el,
    );
    followUserZoom(u);
    plots.push(u);
  }

  function renderThroughput() {
    var el = document.getElementById("throughput-plot");
    var P = DATA.throughput;
    if (!P.series.length) {
      el.appendChild(h("p", { className: "muted", text: "No completed client operations." }));
      return;
    }
    var xs = P.binStartS.map(function (t) {
      return t;
    });
    var fList = [];
    P.series.forEach(function (s) {
      if (fList.indexOf(s.f) < 0) fList.push(s.f);
    });
    var dashPatterns = [[], [6, 3], [2, 3], [10, 3, 2, 3]];
    var series = [{ label: "time (s)" }];
    var data = [xs];
    var total = xs.map(function () {
      return 0;
    });
    P.series.forEach(function (s) {
      series.push({
        label: s.f + " " + s.outcome,
        stroke: COLORS[s.outcome],
        width: 1.6,
        dash: dashPatterns[fList.indexOf(s.f) % dashPatterns.length],
        paths: uPlot.paths.stepped({ align: 1 }),
        points: { show: false },
        value: function (_u, v) {
          return v === null || v === undefined ? "–" : v.toFixed(1) + " ops/s";
        },
      });
      data.push(s.opsPerSec);
      for (var i = 0; i < total.length; i++) total[i] += s.opsPerSec[i];
    });
    series.push({
      label: "total",
      stroke: "#0f172a",
      width: 1,
      paths: uPlot.paths.stepped({ align: 1 }),
      points: { show: false },
      value: function (_u, v) {
        return v === null || v === undefined ? "–" : v.toFixed(1) + " ops/s";
      },
    });
    data.push(total);
    var u = new uPlot(
      {
        width: plotWidth(el),
        height: 260,
        cursor: { sync: cursorSync, drag: { x: true, y: false } },
        scales: {
          x: xScaleOpts(),
          y: {
            range: function (_u, _min, max) {
              return [0, Math.max(1, max * 1.08)];
            },
          },
        },
        axes: [
          { label: "time since start (s)", stroke: "#475569", grid: { stroke: "rgba(15,23,42,0.07)" } },
          { label: "completions / s", stroke: "#475569", size: 60, grid: { stroke: "rgba(15,23,42,0.07)" } },
        ],
        series: series,
        hooks: { drawClear: [shadePeriods] },
      },
      data,
      el,
    );
    followUserZoom(u);
    plots.push(u);
  }

  function renderFooter() {
    var root = document.getElementById("files");
    var parts = [];
    if (DATA.files.length) {
      parts.push(h("h2", { text: "Raw files" }));
      parts.push(
        h(
          "ul",
          { className: "files" },
          DATA.files.map(function (f) {
            return h("li", {}, [h("a", { href: f.href, text: f.name })]);
          }),
        ),
      );
    }
    if (DATA.periods.length) {
      parts.push(h("h2", { text: "Fault periods" }));
      parts.push(
        h("table", { className: "periods" }, [
          h("thead", {}, [
            h("tr", {}, [
              h("th", { text: "fault" }),
              h("th", { text: "from" }),
              h("th", { text: "to" }),
              h("th", { text: "length" }),
              h("th", { text: "target" }),
            ]),
          ]),
          h(
            "tbody",
            {},
            DATA.periods.map(function (p) {
              var row = h(
                "tr",
                {
                  className: "clickable",
                  title: "Show on the timeline",
                  onclick: function () {
                    var pad = Math.max((p.endS - p.startS) * 0.3, 0.05);
                    timeline.setView(p.startS - pad, p.endS + pad);
                    document.getElementById("timeline").scrollIntoView({ behavior: "smooth" });
                  },
                },
                [
                  h("td", {}, [
                    h("span", { className: "swatch", style: "background:" + periodColor(p.kind, 0.5) }),
                    " " + p.kind + (p.instant ? " (one-shot)" : ""),
                  ]),
                  h("td", { className: "mono", text: fmtS(p.startS) }),
                  h("td", {
                    className: "mono",
                    text: p.healed
                      ? fmtS(p.endS) + (p.healedBy ? " (" + p.healedBy + ")" : "")
                      : "not healed",
                  }),
                  h("td", { className: "mono", text: fmtSpan(Math.max(0, p.endS - p.startS)) }),
                  h("td", { className: "mono", text: p.valueText }),
                ],
              );
              return row;
            }),
          ),
        ]),
      );
    }
    if (DATA.notes.length) {
      parts.push(h("h2", { text: "Notes" }));
      parts.push(
        h(
          "ul",
          {},
          DATA.notes.map(function (n) {
            return h("li", { text: n });
          }),
        ),
      );
    }
    var test = DATA.test;
    if (test && test.versions) {
      parts.push(h("h2", { text: "Versions" }));
      parts.push(
        h("p", {
          className: "mono muted",
          text: Object.keys(test.versions)
            .map(function (k) {
              return k + " " + test.versions[k];
            })
            .join(" · "),
        }),
      );
    }
    root.replaceChildren.apply(root, parts);
  }

  function guarded(name, fn) {
    try {
      fn();
    } catch (error) {
      reportError(name, error);
    }
    PHASES[name + "Ms"] = performance.now();
  }
  guarded("summary", renderHeader);
  guarded("sync", renderSync);
  guarded("counterexample", renderCounterexamples);
  guarded("timeline", timeline.mount);
  guarded("holds", renderHolds);
  guarded("latency", renderLatency);
  guarded("throughput", renderThroughput);
  guarded("files", renderFooter);
  function pushView(t0, t1) {
    plots.forEach(function (u) {
      u.setScale("x", { min: t0, max: t1 });
    });
  }
  timeline.onView(pushView);
  pushView(0, timeline.endS);
  window.addEventListener("resize", function () {
    plots.forEach(function (u) {
      var el = u.root.parentNode;
      u.setSize({ width: plotWidth(el), height: u.height });
    });
  });
  Promise.resolve().then(function () {
    PHASES.plotsCommittedMs = performance.now();
  });
  setTimeout(function () {
    PHASES.firstTaskMs = performance.now();
  }, 0);
  requestAnimationFrame(function () {
    window.__crucibleReport = {
      readyMs: performance.now(),
      bars: BAR_COUNT,
      locate: timeline.locate,
      phases: PHASES,
    };
    document.body.dataset.ready = "true";
    // Parse the raw ops while the reader looks at the page, so tooltips can show values.
    whenDocumentLoaded(function () {
      setTimeout(function () {
        guarded("details", function () {
          ensureOps(function () {
            PHASES.opsLoadedMs = performance.now();
          });
        });
      }, 100);
    });
  });
})();
