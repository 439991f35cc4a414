/**
 * Small text helpers shared by the datadriven parser and writer. They mirror
 * the Go standard library functions the reference implementation
 * (cockroachdb/datadriven) relies on, so a file means the same to both.
 */

/**
 * Is `code` a character Go's `unicode.IsSpace` accepts (what
 * `strings.TrimSpace` strips)? JavaScript's `trim` differs slightly (it
 * strips U+FEFF, keeps U+0085), and a blank-looking line must end an output
 * block in both implementations or neither.
 */
function isGoSpace(code: number): boolean {
  if (code <= 32) return code === 32 || (code >= 9 && code <= 13);
  if (code < 0x85) return false;
  return (
    code === 0x85 ||
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000
  );
}

/** Go's `strings.TrimSpace`. */
export function goTrimSpace(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isGoSpace(text.charCodeAt(start))) start++;
  while (end > start && isGoSpace(text.charCodeAt(end - 1))) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

/** A line that ends a single-separator output block: empty or only whitespace. */
export function isBlankLine(line: string): boolean {
  return goTrimSpace(line) === "";
}

/** The line that separates input from expected output (and, doubled, brackets output with blank lines). */
export const SEPARATOR = "----";

/**
 * A file split into lines. `lines` hold each line without its `\n` (a `\r`
 * of a CRLF file stays, so joining reproduces the bytes); `finalNewline`
 * says whether the last line ended with `\n`. `"a\nb"` and `"a\nb\n"` are
 * both `["a", "b"]`, differing only in `finalNewline`.
 */
export interface SplitText {
  lines: string[];
  finalNewline: boolean;
}

export function splitLines(text: string): SplitText {
  if (text === "") return { lines: [], finalNewline: false };
  const finalNewline = text.endsWith("\n");
  const body = finalNewline ? text.slice(0, -1) : text;
  return { lines: body.split("\n"), finalNewline };
}

export function joinLines({ lines, finalNewline }: SplitText): string {
  if (lines.length === 0) return "";
  return lines.join("\n") + (finalNewline ? "\n" : "");
}

/** A line as Go's line scanner returns it: without a trailing `\r`. */
export function logicalLine(raw: string): string {
  return raw.endsWith("\r") ? raw.slice(0, -1) : raw;
}

/**
 * An output as the engine compares it: Go appends a final `\n` to any
 * non-empty output that lacks one, so `"ok"` and `"ok\n"` are the same output.
 */
export function normalizeOutput(output: string): string {
  return output !== "" && !output.endsWith("\n") ? `${output}\n` : output;
}
