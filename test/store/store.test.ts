import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createRunDir, safeTestName } from "../../src/store/store.js";

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("store: a test's name never escapes the store", () => {
  it.each(["..", ".", "../..", "../x", "...", "/", ""])("name %j stays inside", (name) => {
    expect(safeTestName(name)).not.toMatch(/^\.|\//);
    dir = mkdtempSync(join(tmpdir(), "crucible-store-"));
    const store = join(dir, "store");
    const runDir = createRunDir(store, name, new Date(0));
    expect(dirname(dirname(runDir))).toBe(store);
    expect(readdirSync(dir)).toEqual(["store"]);
  });
});
