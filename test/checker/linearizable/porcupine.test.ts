import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { checkLinearizable } from "../../../src/checker/linearizable/index.js";
import { models } from "../../../src/checker/models/index.js";
import { importHistoryFile } from "../../../src/history/import/index.js";

const dir = join(dirname(fileURLToPath(import.meta.url)), "../../fixtures/porcupine");
const expected = JSON.parse(readFileSync(join(dir, "expected.json"), "utf8")) as {
  etcd: Record<string, boolean>;
  kv: Record<string, boolean>;
};

describe("Porcupine's labelled histories", () => {
  it.each(Object.entries(expected.etcd))("etcd %s → %s", async (name, verdict) => {
    const { ops, suggestedModel } = await importHistoryFile(join(dir, "etcd", name));
    expect(suggestedModel).toBe("cas-register");
    const result = checkLinearizable(ops, models["cas-register"]!, { timeLimitMs: 30_000 });
    expect(result.valid).toBe(verdict);
    if (!verdict) {
      expect(result.explanation).toMatch(/not linearizable|but/);
      expect(result.counterexample?.stuck.length).toBeGreaterThan(0);
    }
  });

  it.each(Object.entries(expected.kv))("kv %s → %s (partitioned per key)", async (name, verdict) => {
    const { ops } = await importHistoryFile(join(dir, "kv", name));
    const result = checkLinearizable(ops, models["porcupine-kv"]!, { timeLimitMs: 30_000 });
    expect(result.valid).toBe(verdict);
    expect(result.stats.partitions).toBeGreaterThan(1);
  });

  it.each(["c01-ok.txt", "c01-bad.txt"])("kv %s gets the same verdict without partitioning", async (name) => {
    const { ops } = await importHistoryFile(join(dir, "kv", name));
    const result = checkLinearizable(ops, models["porcupine-kv"]!, { partition: false, timeLimitMs: 30_000 });
    expect(result.valid).toBe(expected.kv[name]);
    expect(result.stats.partitions).toBe(1);
  });

  it("etcd histories get the same verdicts with the fast path off (it must never decide differently)", async () => {
    for (const name of ["etcd_000.log", "etcd_002.log", "etcd_010.log", "etcd_018.log"]) {
      const { ops } = await importHistoryFile(join(dir, "etcd", name));
      const result = checkLinearizable(ops, models["cas-register"]!, {
        fastPath: false,
        timeLimitMs: 30_000,
      });
      expect(result.valid, name).toBe(expected.etcd[name]);
    }
  });
});
