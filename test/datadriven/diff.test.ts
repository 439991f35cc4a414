import { describe, expect, it } from "vitest";
import { unifiedDiff } from "../../src/datadriven/diff.js";

describe("unifiedDiff", () => {
  it("is empty for equal texts", () => {
    expect(unifiedDiff("a\n", "a\n")).toBe("");
  });

  it("shows changed lines with three lines of context and hunk ranges", () => {
    const from = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n";
    const to = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n10\n";
    expect(unifiedDiff(from, to)).toBe(
      "--- expected\n+++ actual\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n",
    );
  });

  it("splits distant changes into separate hunks and merges close ones", () => {
    const lines = Array.from({ length: 20 }, (_, i) => `l${i}`);
    const changed = [...lines];
    changed[1] = "x";
    changed[18] = "y";
    const diff = unifiedDiff(`${lines.join("\n")}\n`, `${changed.join("\n")}\n`);
    expect(diff.match(/^@@/gm)).toHaveLength(2);
    changed[18] = "l18";
    changed[6] = "z";
    expect(unifiedDiff(`${lines.join("\n")}\n`, `${changed.join("\n")}\n`).match(/^@@/gm)).toHaveLength(1);
  });

  it("handles empty sides and a missing final newline", () => {
    expect(unifiedDiff("", "a\n")).toBe("--- expected\n+++ actual\n@@ -0,0 +1 @@\n+a\n");
    expect(unifiedDiff("a\n", "a")).toBe(
      "--- expected\n+++ actual\n@@ -1 +1 @@\n-a\n+a\n\\ No newline at end of file\n",
    );
  });

  it("falls back to one replaced block past the table bound, still a correct diff", () => {
    const diff = unifiedDiff("a\nb\nc\n", "x\nb\ny\n", { maxTableCells: 1 });
    expect(diff).toBe("--- expected\n+++ actual\n@@ -1,3 +1,3 @@\n-a\n-b\n-c\n+x\n+b\n+y\n");
  });
});
