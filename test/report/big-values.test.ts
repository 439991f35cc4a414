/**
 * A history with huge values (a 10 MB blob per op) must still give a report:
 * the page embeds each op, but cuts fields over a few KiB (history.jsonl keeps
 * them whole), and builds the embedded block in pieces, so no single string
 * passes V8's limit.
 */
import { randomBytes } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import type { Op } from "../../src/history/op.js";
import { renderReport } from "../../src/report/html.js";

describe("report with huge values", () => {
  it("cuts a 2 MB value in the embedded ops and keeps small ones whole", () => {
    const blob = randomBytes(1024 * 1024).toString("hex");
    const history: Op[] = [
      { index: 0, time: 0, type: "invoke", process: 0, f: "write", value: blob },
      { index: 1, time: 10, type: "ok", process: 0, f: "write", value: blob },
      { index: 2, time: 20, type: "invoke", process: 0, f: "read", value: null },
      { index: 3, time: 30, type: "ok", process: 0, f: "read", value: "small" },
    ];
    const page = renderReport({
      test: undefined,
      history,
      warnings: [],
      results: { valid: true, checkers: {}, complete: true, stats: undefined as never, notes: [] },
    } as unknown as Parameters<typeof renderReport>[0]);
    expect(page.length).toBeLessThan(500_000);
    const block = /id="crucible-ops"[^>]*>([^<]*)</.exec(page)![1]!;
    const ops = JSON.parse(gunzipSync(Buffer.from(block, "base64")).toString("utf8")) as Op[];
    expect(ops).toHaveLength(4);
    expect(String(ops[0]!.value)).toMatch(
      /… \(2097154 characters in all; cut in the report, whole in history\.jsonl\)$/,
    );
    expect(ops[3]).toEqual(history[3]);
  });
});
