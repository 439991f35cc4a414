import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors/index.js";
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

describe("store: a folder that cannot be made is a usage error, at once", () => {
  it("a store under /proc fails with the path (Node's recursive mkdir would spin forever there)", () => {
    expect(() => createRunDir("/proc/crucible-store", "t", new Date(0))).toThrow(UsageError);
    expect(() => createRunDir("/proc/crucible-store", "t", new Date(0))).toThrow(
      "cannot create the store folder",
    );
  });

  it("a store path through a file names it", () => {
    const root = mkdtempSync(join(tmpdir(), "crucible-store-"));
    dir = root;
    writeFileSync(join(root, "file"), "");
    expect(() => createRunDir(join(root, "file", "store"), "t", new Date(0))).toThrow(
      /cannot create the store folder/,
    );
  });
});
