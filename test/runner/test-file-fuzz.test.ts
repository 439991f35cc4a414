/**
 * Fuzzing test-file loading (fast-check): generated malformed test
 * definitions (missing fields, wrong types, definition functions that throw
 * any value, even a null-prototype object or one whose toString throws) are
 * a spec or a UsageError naming the file; generated test modules (syntax
 * errors, odd exports, top-level throws) the same through `loadTestFile`; and
 * a few through the real CLI exit 64 with one line, never 0, never a stack.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { stats } from "../../src/checker/stats.js";
import { loadTestFile } from "../../src/cli/run.js";
import { ExitCode, UsageError } from "../../src/errors/index.js";
import { resolveRun, type TestDefinition } from "../../src/runner/spec.js";
import { noopClient, runOptions } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "crucible-test-file-fuzz-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const options = runOptions({ storeDir: dir, nodes: 3 });

/** Values JavaScript code can throw or return that break naive handling. */
const hostile = fc.oneof(
  fc.anything(),
  fc.constant(Object.create(null)),
  fc.constant({
    toString() {
      throw new Error("toString threw");
    },
  }),
  fc.constant(Symbol("s")),
  fc.constant(10n),
  fc.constant(() => 1),
  fc.constant(new Error("boom")),
  fc.constant(Promise.resolve(42)),
);

const good = { name: "t", client: noopClient, generator: [], checker: stats() };
const fieldValue = fc.oneof(hostile, fc.constantFrom(...Object.values(good)));
const spec = fc.dictionary(
  fc.constantFrom(
    "name",
    "client",
    "generator",
    "checker",
    "cluster",
    "nodes",
    "concurrency",
    "timeLimitMs",
    "opTimeoutMs",
    "nemesis",
  ),
  fieldValue,
);
const definition: fc.Arbitrary<unknown> = fc.oneof(
  hostile,
  spec,
  spec.map((fields) => ({ ...good, ...fields })),
  hostile.map((thrown) => () => {
    throw thrown;
  }),
  hostile.map((thrown) => async () => Promise.reject(thrown)),
  hostile.map((returned) => () => returned),
  spec.map((fields) => () => ({ ...good, ...fields })),
);

describe("test-file loading fuzz (fast-check)", () => {
  it("generated definitions: a spec, or a UsageError naming the file", async () => {
    await fc.assert(
      fc.asyncProperty(definition, async (candidate) => {
        try {
          const { spec: resolved } = await resolveRun(candidate as TestDefinition, options, "t.mjs");
          expect(typeof resolved.name).toBe("string");
          expect(typeof resolved.client.open).toBe("function");
        } catch (error) {
          if (!(error instanceof UsageError)) throw error;
          expect(error.message.startsWith("t.mjs: ")).toBe(true);
          expect(error.message).not.toMatch(/\n\s+at /);
        }
      }),
      { numRuns: 3000, seed: 31 },
    );
  }, 60_000);

  const moduleText = fc.oneof(
    fc.jsonValue().map((value) => `export default ${JSON.stringify(value)};`),
    fc.jsonValue().map((value) => `export const test = ${JSON.stringify(value)};`),
    fc.constantFrom(
      "export default",
      "export default {",
      "throw null;",
      "throw Object.create(null);",
      'throw { toString() { throw new Error("x"); } };',
      "export default () => { throw 1n; };",
      "export {};",
      'import "no-such-package-here";',
      "export default { client: {} };",
      "await new Promise((_, reject) => reject(Symbol('s')));",
    ),
    fc.string({ maxLength: 80 }),
  );

  it("generated modules: loadTestFile gives a definition or a UsageError naming the file", async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(moduleText, async (text) => {
        // Each module a new file: Node caches imports by URL.
        const path = join(dir, `m${n++}.mjs`);
        writeFileSync(path, text);
        try {
          const loaded = await loadTestFile(path);
          await resolveRun(loaded, options, path).catch((error: unknown) => {
            if (!(error instanceof UsageError)) throw error;
          });
        } catch (error) {
          if (!(error instanceof UsageError)) throw error;
          expect(error.message.startsWith(`${path}: `)).toBe(true);
        }
      }),
      { numRuns: 300, seed: 32 },
    );
  }, 60_000);

  it("through the CLI: exit 64, one line naming the file, never 0 and never a stack", () => {
    const CLI = resolve("test/cli/fixtures/crucible.ts");
    const modules = [
      "export default 42;",
      "export default () => { throw Object.create(null); };",
      'export default { name: "t", client: { open: async () => ({}) }, generator: [], checker: [], nodes: 0 };',
      "export default {",
    ];
    for (const [i, text] of modules.entries()) {
      const path = join(dir, `cli${i}.mjs`);
      writeFileSync(path, text);
      const result = spawnSync(process.execPath, ["--import", "tsx", CLI, "run", path, "--store", dir], {
        encoding: "utf8",
        timeout: 60_000,
        env: { ...process.env, CI: "1", NO_COLOR: "1" },
      });
      expect({ text, code: result.status }).toEqual({ text, code: ExitCode.usage });
      expect(result.stderr).toContain(path);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
  }, 120_000);
});
