import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { escapeHtml, escapeXml, inlineSafe, jsonForScript } from "../../src/report/escape.js";
import { renderReport } from "../../src/report/html.js";
import { syntheticRun, XSS_VALUE } from "./synthetic-run.js";

describe("escaping", () => {
  it("escapes HTML metacharacters", () => {
    expect(escapeHtml(`<img src=x onerror="alert('1')">&`)).toBe(
      "&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;",
    );
  });

  it("escapes XML and replaces characters XML 1.0 forbids", () => {
    expect(escapeXml(`a<b>&"c'`)).toBe("a&lt;b&gt;&amp;&quot;c&apos;");
    expect(escapeXml("bell\u0007 tab\t nl\n lone\uD800 pair\uD83D\uDE00")).toBe(
      "bell\uFFFD tab\t nl\n lone\uFFFD pair\uD83D\uDE00",
    );
  });

  it("embeds JSON that cannot close its script element and parses back unchanged", () => {
    const value = { text: "</script><script>alert(1)</script><!-- \u2028", n: [1, null] };
    const embedded = jsonForScript(value);
    expect(embedded).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(embedded)).toEqual(value);
  });

  it("neutralizes closing tags in inlined code", () => {
    expect(inlineSafe('var s = "</script>"; var t = "</STYLE>";')).toBe(
      'var s = "<\\/script>"; var t = "<\\/STYLE>";',
    );
  });

  it("never puts a history value into the report's markup unescaped", () => {
    const run = syntheticRun({ seed: 3, ops: 200, concurrency: 3, durationS: 5, name: "<b>bold</b>" });
    const html = renderReport({ test: run.test, results: run.results, history: run.history });
    expect(run.xssIndex).toBeGreaterThanOrEqual(0);
    expect(html).not.toContain(XSS_VALUE);
    expect(html).not.toContain("<b>bold</b>");
    expect(html).toContain("&lt;b&gt;bold&lt;/b&gt;");
    // Exactly the four script elements we put there: two JSON blocks, uPlot, the page code.
    expect(html.match(/<script\b/g)).toHaveLength(4);
    // The data is there, escaped, and parses back to the same value.
    const ops = html.match(
      /<script type="application\/octet-stream" id="crucible-ops"[^>]*>(.*?)<\/script>/s,
    )?.[1];
    expect(ops).toMatch(/^[A-Za-z0-9+/=]+$/);
    expect(JSON.parse(gunzipSync(Buffer.from(ops!, "base64")).toString("utf8"))[run.xssIndex].value).toBe(
      XSS_VALUE,
    );
    const data = html.match(/<script type="application\/json" id="crucible-data">(.*?)<\/script>/s)?.[1];
    expect(JSON.parse(data!).title).toBe("<b>bold</b>");
  });
});
