import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type DirectiveEntry, parseDataDriven } from "../../src/datadriven/parser.js";
import { formatOutputBlock, needsDoubleSeparator, rewriteDataDriven } from "../../src/datadriven/writer.js";
import { UsageError } from "../../src/errors/index.js";

/** Rewrite every directive of `text` with the outputs, in order. */
function rewrite(text: string, outputs: readonly string[]): string {
  const file = parseDataDriven(text, { path: "t.txt" });
  const map = new Map<DirectiveEntry, string>();
  file.directives.forEach((entry, index) => {
    const output = outputs[index];
    if (output !== undefined) map.set(entry, output);
  });
  return rewriteDataDriven(file, map);
}

describe("rewrite", () => {
  it("replaces only the outputs, keeping comments, blank lines, continuations and input", () => {
    const before = "# head\n\ncmd a=1 \\\n  b=2\nin\n----\nold\n\n# middle\n\n\nnext\n----\nkeep\n";
    const after = "# head\n\ncmd a=1 \\\n  b=2\nin\n----\nnew 1\nnew 2\n\n# middle\n\n\nnext\n----\nkeep\n";
    expect(rewrite(before, ["new 1\nnew 2", "keep\n"])).toBe(after);
  });

  it("switches to the double separator when the output has a blank line, and back when it no longer does", () => {
    expect(rewrite("a\n----\nold\n\nb\n----\n", ["x\n\ny"])).toBe(
      "a\n----\n----\nx\n\ny\n----\n----\n\nb\n----\n",
    );
    expect(rewrite("a\n----\n----\nx\n\ny\n----\n----\n\nb\n----\n", ["z"])).toBe("a\n----\nz\n\nb\n----\n");
  });

  it("leaves a correct output in whatever form it was written (no excess work)", () => {
    const text = "a\n----\n----\nsame\n----\n----\n\nb\n----\nsame\n";
    expect(rewrite(text, ["same", "same\n"])).toBe(text);
  });

  it("fills an empty output and empties a full one", () => {
    expect(rewrite("a\n----\n\nb\n----\nold\n\nc\n----", ["x", "", "y"])).toBe(
      "a\n----\nx\n\nb\n----\n\nc\n----\ny",
    );
  });

  it("adds the separator to a directive that had none", () => {
    expect(rewrite("a\nin", ["out"])).toBe("a\nin\n----\nout");
    expect(rewrite("a\nin\n", ["out"])).toBe("a\nin\n----\nout\n");
  });

  it("keeps CRLF line ends and a missing final newline", () => {
    expect(rewrite("a\r\n----\r\nold\r\n\r\nb\r\n----\r\nold", ["x\n\ny", "z"])).toBe(
      "a\r\n----\r\n----\r\nx\r\n\r\ny\r\n----\r\n----\r\n\r\nb\r\n----\r\nz",
    );
  });

  it("refuses output the format cannot hold, naming the directive", () => {
    expect(() => rewrite("\na\n----\n", ["x\n\n----\n----\ny"])).toThrow(UsageError);
    expect(() => rewrite("\na\n----\n", ["x\n\n----\n----\ny"])).toThrow(
      /^t\.txt:2: the output cannot be written/,
    );
  });

  it("chooses the double form for blank lines and a leading ---- line only", () => {
    expect(needsDoubleSeparator("a\nb")).toBe(false);
    expect(needsDoubleSeparator("a\n   \nb")).toBe(true);
    expect(needsDoubleSeparator("----\nb")).toBe(true);
    expect(needsDoubleSeparator("b\n----")).toBe(false);
    expect(formatOutputBlock("----\nb")).toEqual(["----", "----", "b", "----", "----"]);
  });

  it("writes outputs that parse back to themselves, leaving every other line alone", () => {
    const outputLine = fc.constantFrom("x", "", "  ", "----", "# not a comment", "y ");
    const output = fc.array(outputLine, { maxLength: 6 }).map((lines) => lines.join("\n"));
    const text = "# c\na\n----\nold\n\n\nb\nin\n----\n----\nx\n\ny\n----\n----\n\n# d\nc k=(1, 2)\n----\n";
    fc.assert(
      fc.property(fc.tuple(output, output, output), (outputs) => {
        let written: string;
        try {
          written = rewrite(text, outputs);
        } catch (error) {
          // Only outputs with ---- lines can be refused.
          expect(error).toBeInstanceOf(UsageError);
          expect(outputs.some((o) => o.split("\n").includes("----"))).toBe(true);
          return;
        }
        const reparsed = parseDataDriven(written, { path: "t.txt" });
        expect(reparsed.directives.map((e) => e.directive.expected)).toEqual(
          outputs.map((o) => (o === "" || o.endsWith("\n") ? o : `${o}\n`)),
        );
        expect(reparsed.directives.map((e) => [e.directive.cmd, e.directive.input])).toEqual([
          ["a", ""],
          ["b", "in"],
          ["c", ""],
        ]);
        expect(written.startsWith("# c\na\n----\n")).toBe(true);
        expect(written).toContain("\n# d\nc k=(1, 2)\n----\n");
      }),
      { numRuns: 300, seed: 6 },
    );
  });
});
