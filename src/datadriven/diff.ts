/**
 * A small line-based unified diff, enough to show why an expected output
 * does not match (`--- expected` / `+++ actual`, hunks with context). It is
 * an LCS over lines with the common prefix and suffix stripped first, and a
 * bound on the table it builds: past the bound the middle is shown as one
 * replaced block, which is still a correct (if less minimal) diff.
 */

export interface UnifiedDiffOptions {
  /** Label of the old side; default `expected`. */
  fromLabel?: string;
  /** Label of the new side; default `actual`. */
  toLabel?: string;
  /** Unchanged lines shown around each change; default 3 (as `diff -u`). */
  contextLines?: number;
  /** Largest LCS table (old lines × new lines) built before falling back to one block; default 4,000,000 cells. */
  maxTableCells?: number;
}

type Edit = { op: " " | "-" | "+"; line: string };

/** The unified diff of two texts, `""` when they are equal. A missing final newline is marked as `diff` does. */
export function unifiedDiff(from: string, to: string, options: UnifiedDiffOptions = {}): string {
  if (from === to) return "";
  const context = options.contextLines ?? 3;
  const a = splitForDiff(from);
  const b = splitForDiff(to);
  const edits = diffLines(a, b, options.maxTableCells ?? 4_000_000);

  const out = [`--- ${options.fromLabel ?? "expected"}`, `+++ ${options.toLabel ?? "actual"}`];
  let index = 0;
  while (index < edits.length) {
    // Find the next change, then grow the hunk while changes are within 2×context of each other.
    while (index < edits.length && edits[index]!.op === " ") index++;
    if (index >= edits.length) break;
    const start = Math.max(0, index - context);
    let end = index;
    for (;;) {
      while (end < edits.length && edits[end]!.op !== " ") end++;
      let nextChange = end;
      while (nextChange < edits.length && edits[nextChange]!.op === " ") nextChange++;
      if (nextChange < edits.length && nextChange - end <= 2 * context) end = nextChange;
      else break;
    }
    end = Math.min(edits.length, end + context);
    // Hunk header: 1-based start lines and lengths on each side.
    let oldLine = 1;
    let newLine = 1;
    for (let k = 0; k < start; k++) {
      if (edits[k]!.op !== "+") oldLine++;
      if (edits[k]!.op !== "-") newLine++;
    }
    const hunk = edits.slice(start, end);
    const oldCount = hunk.filter((edit) => edit.op !== "+").length;
    const newCount = hunk.filter((edit) => edit.op !== "-").length;
    out.push(`@@ -${rangeText(oldLine, oldCount)} +${rangeText(newLine, newCount)} @@`);
    for (const edit of hunk) out.push(edit.op + edit.line);
    index = end;
  }
  return `${out.join("\n")}\n`;
}

function rangeText(line: number, count: number): string {
  // As GNU diff: an empty range names the line before it.
  if (count === 0) return `${line - 1},0`;
  return count === 1 ? `${line}` : `${line},${count}`;
}

function splitForDiff(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  else lines[lines.length - 1] += "\n\\ No newline at end of file";
  return lines;
}

function diffLines(a: readonly string[], b: readonly string[], maxTableCells: number): Edit[] {
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix++;
  let suffix = 0;
  while (
    suffix < a.length - prefix &&
    suffix < b.length - prefix &&
    a[a.length - 1 - suffix] === b[b.length - 1 - suffix]
  )
    suffix++;
  const head: Edit[] = a.slice(0, prefix).map((line) => ({ op: " ", line }));
  const tail: Edit[] = a.slice(a.length - suffix).map((line) => ({ op: " ", line }));
  const midA = a.slice(prefix, a.length - suffix);
  const midB = b.slice(prefix, b.length - suffix);
  return [...head, ...lcsEdits(midA, midB, maxTableCells), ...tail];
}

function lcsEdits(a: readonly string[], b: readonly string[], maxTableCells: number): Edit[] {
  const n = a.length;
  const m = b.length;
  if (n * m > maxTableCells) {
    return [...a.map((line): Edit => ({ op: "-", line })), ...b.map((line): Edit => ({ op: "+", line }))];
  }
  // lengths[i][j] = LCS of a[i..] and b[j..], stored flat.
  const width = m + 1;
  const lengths = new Uint32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lengths[i * width + j] =
        a[i] === b[j]
          ? lengths[(i + 1) * width + j + 1]! + 1
          : Math.max(lengths[(i + 1) * width + j]!, lengths[i * width + j + 1]!);
    }
  }
  const edits: Edit[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      edits.push({ op: " ", line: a[i]! });
      i++;
      j++;
    } else if (lengths[(i + 1) * width + j]! >= lengths[i * width + j + 1]!) {
      edits.push({ op: "-", line: a[i]! });
      i++;
    } else {
      edits.push({ op: "+", line: b[j]! });
      j++;
    }
  }
  while (i < n) edits.push({ op: "-", line: a[i++]! });
  while (j < m) edits.push({ op: "+", line: b[j++]! });
  return edits;
}
