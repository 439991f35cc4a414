/**
 * The layers of src/ and the direction of their imports (docs/architecture.md,
 * "Layers and what each may import"). A file may import its own folder and any
 * folder of a lower layer. Folders that share a layer are independent and do
 * not import each other. An upward import is allowed only when it is
 * type-only and listed in ALLOWED_TYPE_IMPORTS below (and in the doc) with
 * the reason.
 *
 * The check is a regex over the source, not a compiler pass: top-level
 * `import`/`export ... from` statements (at column 0, as the formatter writes
 * them) and `import("...")` with a literal path. Every relative specifier must
 * resolve to a file in src/, so a statement the regex misreads fails loudly
 * instead of passing quietly.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

/** Bottom first. A folder is the first path segment under src/; `index.ts` is the package entry. */
const LAYERS: readonly (readonly string[])[] = [
  ["errors"],
  // Finding the package's own programs (dist/ or the source through tsx), for the systems under test and the CLI.
  ["programs"],
  // Leaves: the seeded random streams, and the shipped systems under test (not part of the engine).
  ["random", "demo", "demo-sync", "yjs-sync"],
  ["history", "store"],
  ["checker", "generator"],
  ["cluster"],
  // Client-side processes of the system under test (lock wrappers, CLI users), on the cluster's process machinery.
  ["actors"],
  ["client"],
  ["faults"],
  ["report", "sync"],
  ["runner"],
  ["control"],
  ["datadriven", "tests"],
  ["cli", "index.ts"],
];

interface AllowedImport {
  readonly from: string;
  readonly to: string;
  readonly reason: string;
}

/** Type-only upward imports, each with its reason; the same list is in docs/architecture.md. */
const ALLOWED_TYPE_IMPORTS: readonly AllowedImport[] = [
  {
    from: "history/results.ts",
    to: "checker/types.ts",
    reason:
      "a run's results.json records the checkers' verdicts; CheckResult and Validity are defined by the checkers that produce them",
  },
];

interface ImportEdge {
  /** The importing file, relative to src/ (`runner/runner.ts`). */
  readonly from: string;
  /** The imported file, relative to src/ (`errors/index.ts`). */
  readonly to: string;
  readonly typeOnly: boolean;
  readonly line: number;
}

const SRC = resolve("src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** `./x.js` from `src/a/b.ts` → `a/x.ts`; undefined when no such file exists. */
function resolveSpecifier(fromFile: string, specifier: string): string | undefined {
  const base = resolve(dirname(join(SRC, fromFile)), specifier);
  for (const candidate of [base.replace(/\.js$/, ".ts"), `${base}.ts`, join(base, "index.ts")]) {
    if (existsSync(candidate)) return relative(SRC, candidate);
  }
  return undefined;
}

const STATEMENT = /^(import|export)\s+(type\s+)?(?:([^;"]*?)\s+from\s+)?"([^"]+)"/gm;
const DYNAMIC = /(typeof\s+)?\bimport\(\s*"([^"]+)"\s*\)/g;

/** The relative imports of one file (`from` relative to src/). Throws on one that resolves to no file. */
function parseImports(from: string, text: string, resolveTo = resolveSpecifier): ImportEdge[] {
  const lineOf = (offset: number): number => text.slice(0, offset).split("\n").length;
  const edges: ImportEdge[] = [];
  const add = (specifier: string, typeOnly: boolean, offset: number): void => {
    if (!specifier.startsWith(".")) return;
    const to = resolveTo(from, specifier);
    if (to === undefined)
      throw new Error(`${from}:${lineOf(offset)}: ${specifier} resolves to no file in src/`);
    edges.push({ from, to, typeOnly, line: lineOf(offset) });
  };
  for (const match of text.matchAll(STATEMENT)) {
    const clause = match[3] ?? "";
    const names = /^\{([^}]*)\}$/.exec(clause.trim())?.[1];
    const everyNameIsType =
      names !== undefined &&
      names.split(",").filter((name) => name.trim() !== "").length > 0 &&
      names
        .split(",")
        .filter((name) => name.trim() !== "")
        .every((name) => /^type\s/.test(name.trim()));
    add(match[4]!, match[2] !== undefined || everyNameIsType, match.index);
  }
  for (const match of text.matchAll(DYNAMIC)) add(match[2]!, match[1] !== undefined, match.index);
  return edges;
}

/** The folder of a file relative to src/: its first segment, or the file itself at the top. */
function folderOf(file: string): string {
  const slash = file.indexOf("/");
  return slash === -1 ? file : file.slice(0, slash);
}

function rankOf(folder: string): number | undefined {
  const rank = LAYERS.findIndex((layer) => layer.includes(folder));
  return rank === -1 ? undefined : rank;
}

/** Every import that breaks the layering, in words; empty when all is well. */
function layerViolations(
  edges: readonly ImportEdge[],
  allowed: readonly AllowedImport[] = ALLOWED_TYPE_IMPORTS,
): string[] {
  const violations: string[] = [];
  for (const edge of edges) {
    const fromFolder = folderOf(edge.from);
    const toFolder = folderOf(edge.to);
    if (fromFolder === toFolder) continue;
    const fromRank = rankOf(fromFolder);
    const toRank = rankOf(toFolder);
    if (fromRank === undefined || toRank === undefined) {
      violations.push(
        `${edge.from}:${edge.line}: ${fromRank === undefined ? fromFolder : toFolder} is in no layer`,
      );
      continue;
    }
    if (toRank < fromRank) continue;
    const listed = (entry: { from: string; to: string }): boolean =>
      entry.from === edge.from && entry.to === edge.to;
    if (edge.typeOnly && allowed.some(listed)) continue;
    const direction = toRank === fromRank ? "sideways (same layer)" : "upward";
    violations.push(
      `${edge.from}:${edge.line}: ${edge.typeOnly ? "type-only" : "value"} import of ${edge.to} goes ${direction}, ${fromFolder} → ${toFolder}`,
    );
  }
  return violations;
}

const allEdges = (): ImportEdge[] =>
  sourceFiles(SRC).flatMap((path) => parseImports(relative(SRC, path), readFileSync(path, "utf8")));

describe("import direction", () => {
  it("every import in src/ goes downward, or is a listed type-only exception", () => {
    expect(layerViolations(allEdges())).toEqual([]);
  });

  it("every folder of src/ has a layer", () => {
    const folders = new Set(sourceFiles(SRC).map((path) => folderOf(relative(SRC, path))));
    expect([...folders].filter((folder) => rankOf(folder) === undefined)).toEqual([]);
  });

  it("every allowed exception is still used and still type-only (a stale entry is deleted)", () => {
    const edges = allEdges();
    for (const entry of ALLOWED_TYPE_IMPORTS) {
      const used = edges.filter((edge) => edge.from === entry.from && edge.to === entry.to);
      expect(used.length, `${entry.from} → ${entry.to}`).toBeGreaterThan(0);
      expect(
        used.every((edge) => edge.typeOnly),
        `${entry.from} → ${entry.to}`,
      ).toBe(true);
    }
  });

  it("docs/architecture.md lists the same exceptions", () => {
    const doc = readFileSync("docs/architecture.md", "utf8");
    for (const entry of ALLOWED_TYPE_IMPORTS) expect(doc).toContain(`\`${entry.from}\` → \`${entry.to}\``);
  });

  it("fails on a new upward import, and on a sideways one", () => {
    const edge = (from: string, to: string, typeOnly = false): ImportEdge => ({
      from,
      to,
      typeOnly,
      line: 3,
    });
    expect(layerViolations([edge("history/op.ts", "runner/runner.ts")])).toEqual([
      "history/op.ts:3: value import of runner/runner.ts goes upward, history → runner",
    ]);
    // Type-only is not enough: it must be listed.
    expect(layerViolations([edge("generator/types.ts", "faults/types.ts", true)])).toHaveLength(1);
    expect(layerViolations([edge("checker/compose.ts", "generator/index.ts")])).toEqual([
      "checker/compose.ts:3: value import of generator/index.ts goes sideways (same layer), checker → generator",
    ]);
    // A listed exception covers the type-only import, not a value import of the same file.
    expect(layerViolations([edge("history/results.ts", "checker/types.ts", true)])).toEqual([]);
    expect(layerViolations([edge("history/results.ts", "checker/types.ts", false)])).toHaveLength(1);
    expect(
      layerViolations([edge("runner/runner.ts", "errors/index.ts"), edge("cli/main.ts", "runner/spec.ts")]),
    ).toEqual([]);
    expect(layerViolations([edge("newfolder/x.ts", "errors/index.ts")])).toEqual([
      "newfolder/x.ts:3: newfolder is in no layer",
    ]);
  });

  it("parses import and export forms, type-only ones apart", () => {
    const text = [
      'import { a } from "../errors/index.js";',
      'import type { B } from "../history/op.js";',
      'import { type C, type D } from "../history/op.js";',
      'import {\n  e,\n  type F,\n} from "./sibling.js";',
      'export * from "../random/random.js";',
      'export type { G } from "../checker/types.js";',
      'import "./side-effect.js";',
      'import { h } from "node:fs";',
      ' * import { fromADocComment } from "../cli/main.js";',
      'const lazy = await import("../report/html.js");',
      'type Lazy = typeof import("../report/html.js");',
    ].join("\n");
    const edges = parseImports("runner/x.ts", text, (_from, specifier) => specifier);
    expect(edges.map((edge) => [edge.to, edge.typeOnly, edge.line])).toEqual([
      ["../errors/index.js", false, 1],
      ["../history/op.js", true, 2],
      ["../history/op.js", true, 3],
      ["./sibling.js", false, 4],
      ["../random/random.js", false, 8],
      ["../checker/types.js", true, 9],
      ["./side-effect.js", false, 10],
      ["../report/html.js", false, 13],
      ["../report/html.js", true, 14],
    ]);
    expect(() => parseImports("runner/x.ts", 'import { z } from "./missing.js";')).toThrow(
      /resolves to no file/,
    );
  });
});
