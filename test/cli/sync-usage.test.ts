import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { main } from "../../src/cli/main.js";

let stderr: string;
let store: string;

beforeEach(() => {
  stderr = "";
  store = mkdtempSync(join(tmpdir(), "crucible-sync-usage-"));
  process.exitCode = undefined;
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
});

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
  rmSync(store, { recursive: true, force: true });
});

describe("crucible run --workload sync: bad input exits 64 naming the flag", () => {
  it("a target that is not a sync target", async () => {
    expect(await main(["run", "--workload", "sync", "--target", "etcd", "--store", store])).toBe(64);
    expect(stderr).toContain("--workload sync runs against demo-sync, yjs, not --target etcd");
  });

  it("a demo-sync server mode for the yjs target", async () => {
    expect(await main(["run", "--target", "yjs", "--demo-mode", "row-lww", "--store", store])).toBe(64);
    expect(stderr).toContain("--demo-mode for yjs must be one of correct, drop-offline-edits, not row-lww");
  });

  it("a register demo mode for demo-sync", async () => {
    expect(await main(["run", "--target", "demo-sync", "--demo-mode", "stale-reads", "--store", store])).toBe(
      64,
    );
    expect(stderr).toContain("--demo-mode for demo-sync must be one of correct, row-lww");
  });

  it("one actor", async () => {
    expect(
      await main(["run", "--workload", "sync", "--target", "demo-sync", "--actors", "1", "--store", store]),
    ).toBe(64);
    expect(stderr).toContain("--actors must be at least 2");
  });

  it("an unknown scenario", async () => {
    expect(await main(["run", "--workload", "sync", "--scenario", "meteor", "--store", store])).toBe(64);
    expect(stderr).toContain('got "meteor"');
  });
});
