/** Fuzzing the Jepsen JSON reader and the EDN forms it sits beside: malformed input is a UsageError naming the file, nothing else. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { UsageError } from "../../../src/errors/index.js";
import { importHistoryFile } from "../../../src/history/import/index.js";
import { mutated } from "../fuzz/mutate.js";

const fixtures = fileURLToPath(new URL("../../fixtures/jepsen/", import.meta.url));
const texts = ["export.json", "knossos-list.edn", "paper-example.edn", "si-without-g-single.edn"].map(
  (name) => readFileSync(join(fixtures, name), "utf8"),
);

const dir = mkdtempSync(join(tmpdir(), "crucible-fuzz-jepsen-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const path = join(dir, "history");

describe("Jepsen history forms fuzz (fast-check)", () => {
  it("mutated JSON exports, Knossos lists and Elle histories: ops or a UsageError naming the file", async () => {
    await fc.assert(
      fc.asyncProperty(mutated(texts), async (text) => {
        writeFileSync(path, text);
        try {
          const { ops } = await importHistoryFile(path);
          for (const [i, op] of ops.entries()) expect(op.index).toBe(i);
        } catch (error) {
          if (!(error instanceof UsageError)) throw error;
          expect(error.message.startsWith(path)).toBe(true);
        }
      }),
      { numRuns: 400, seed: 15, timeout: 2000 },
    );
  }, 60_000);
});
