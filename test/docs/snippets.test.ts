/**
 * What the docs show compiles: every ```ts / ```typescript block of README.md
 * and docs/*.md is written to its own module under .artifacts/ (inside the
 * project, so `import ... from "crucible"` resolves through the package's own
 * `exports` to dist/'s types, as it does for a user) and type-checked with the
 * compiler API. A block fenced ```ts nocheck is skipped: for a fragment that
 * cannot stand alone; docs/README say why where they use it.
 *
 * dist/ must be built (`npm test` builds it before vitest).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");

interface Snippet {
  /** `docs/faults.md:34`: the fence's line. */
  where: string;
  code: string;
  /** Line of the block's first code line in the markdown file, 1-based. */
  firstLine: number;
  file: string;
}

/** The ts blocks of one markdown file; `nocheck` ones are left out. */
function extractSnippets(markdownPath: string, text: string): Snippet[] {
  const snippets: Snippet[] = [];
  const lines = text.split("\n");
  for (let at = 0; at < lines.length; at++) {
    const fence = /^```(ts|typescript)(?:\s+(.*))?$/.exec(lines[at]!.trim());
    if (!fence) continue;
    const tags = (fence[2] ?? "").split(/\s+/);
    const start = at + 1;
    let end = start;
    while (end < lines.length && lines[end]!.trim() !== "```") end++;
    if (!tags.includes("nocheck")) {
      snippets.push({
        where: `${markdownPath}:${at + 1}`,
        code: lines.slice(start, end).join("\n"),
        firstLine: start + 1,
        file: markdownPath,
      });
    }
    at = end;
  }
  return snippets;
}

function markdownFiles(): string[] {
  const docs = readdirSync(join(ROOT, "docs"))
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => `docs/${name}`);
  return ["README.md", ...docs];
}

describe("doc snippets", () => {
  it("every ts block in README.md and docs/*.md type-checks against the package's exports", () => {
    const snippets = markdownFiles().flatMap((file) =>
      extractSnippets(file, readFileSync(join(ROOT, file), "utf8")),
    );
    expect(snippets.length).toBeGreaterThan(5);
    mkdirSync(join(ROOT, ".artifacts"), { recursive: true });
    const dir = mkdtempSync(join(ROOT, ".artifacts", "doc-snippets-"));
    try {
      const byPath = new Map<string, Snippet>();
      for (const [index, snippet] of snippets.entries()) {
        const path = join(dir, `snippet-${index}.ts`);
        // `export {}` makes each block a module (top-level await, no clashes between blocks).
        writeFileSync(path, `${snippet.code}\nexport {};\n`);
        byPath.set(path, snippet);
      }
      const program = ts.createProgram([...byPath.keys()], {
        target: ts.ScriptTarget.ES2023,
        lib: ["lib.es2023.d.ts", "lib.esnext.disposable.d.ts"],
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: ["node"],
      });
      const problems = ts.getPreEmitDiagnostics(program).map((diagnostic) => {
        const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n");
        const snippet = diagnostic.file && byPath.get(resolve(diagnostic.file.fileName));
        if (!diagnostic.file || !snippet || diagnostic.start === undefined) return message;
        const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
        return `${snippet.file}:${snippet.firstLine + line}: ${message}`;
      });
      expect(problems).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
