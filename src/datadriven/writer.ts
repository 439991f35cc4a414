/**
 * Writing datadriven files: the exact round trip, and the rewrite that
 * replaces expected outputs while leaving every other byte alone (comments,
 * blank lines, continuation lines, input, CRLF line ends, a missing final
 * newline). Output that contains a blank line (or starts with a `----`
 * line) is written in the double-separator form; output that is already
 * correct is left in whatever form it was written.
 */
import { UsageError } from "../errors/index.js";
import { type DataDrivenFile, type DirectiveEntry, readExpectedBlock } from "./parser.js";
import { isBlankLine, joinLines, normalizeOutput, SEPARATOR } from "./text.js";

export { normalizeOutput };

/** The file's text, byte for byte as it was parsed. */
export function writeDataDriven(file: DataDrivenFile): string {
  return joinLines(file.text);
}

/** True when `output` must be bracketed by a double separator to survive a parse. */
export function needsDoubleSeparator(output: string): boolean {
  const lines = outputLines(normalizeOutput(output));
  return lines.some(isBlankLine) || lines[0] === SEPARATOR;
}

/**
 * The lines that represent `output` below a `----` line. Throws a
 * `UsageError` (at `where`) for the rare output the format cannot hold:
 * one with a `----` line that would be read as the closing pair.
 */
export function formatOutputBlock(output: string, where?: string): string[] {
  const normalized = normalizeOutput(output);
  const lines = outputLines(normalized);
  const block = needsDoubleSeparator(normalized) ? [SEPARATOR, ...lines, SEPARATOR, SEPARATOR] : lines;
  // Prove it: read the block back exactly as the parser will.
  let readBack: string | undefined;
  try {
    const read = readExpectedBlock(block, 0, () => where ?? "<output>");
    if (read.outputEnd === block.length) readBack = read.expected;
  } catch {
    readBack = undefined;
  }
  if (readBack !== normalized)
    throw new UsageError(
      "the output cannot be written in the datadriven format: it contains '----' lines that would be read as the end of the block",
      where,
    );
  return block;
}

/**
 * The file's text with the expected output of some directives replaced.
 * `outputs` maps a directive entry of `file` to its new output; entries not
 * in the map, and entries whose output already matches, keep their bytes.
 */
export function rewriteDataDriven(
  file: DataDrivenFile,
  outputs: ReadonlyMap<DirectiveEntry, string>,
): string {
  const source = file.text.lines;
  const lines: string[] = [];
  let copied = 0;
  // Directives are in file order and their output regions do not overlap: copy what lies between them.
  for (const entry of file.directives) {
    const output = outputs.get(entry);
    if (output === undefined || normalizeOutput(output) === entry.directive.expected) continue;
    const block = formatOutputBlock(output, entry.directive.pos);
    const anchor = entry.separatorIndex ?? entry.directive.line - 1;
    const eol = (source[anchor] ?? "").endsWith("\r") ? "\r" : "";
    const written = (entry.form === "none" ? [SEPARATOR, ...block] : block).map((line) => line + eol);
    // The last line of a file without a final newline has no line end at all.
    const last = written.length - 1;
    if (entry.outputEnd === source.length && !file.text.finalNewline && eol !== "" && last >= 0)
      written[last] = written[last]!.slice(0, -eol.length);
    for (let index = copied; index < entry.outputStart; index++) lines.push(source[index]!);
    for (const line of written) lines.push(line);
    copied = entry.outputEnd;
  }
  for (let index = copied; index < source.length; index++) lines.push(source[index]!);
  return joinLines({ lines, finalNewline: file.text.finalNewline });
}

function outputLines(normalized: string): string[] {
  return normalized === "" ? [] : normalized.slice(0, -1).split("\n");
}
