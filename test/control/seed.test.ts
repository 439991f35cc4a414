import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runOptionsFromFlags } from "../../src/cli/run.js";
import { resolveControlledSeed, resolveSeed, seedFromEntropyFile } from "../../src/control/seed.js";
import { UsageError } from "../../src/errors/index.js";
import { tempDir } from "./helpers.js";

function entropyFile(bytes: number[]): string {
  const path = join(tempDir("entropy"), "entropy.bin");
  writeFileSync(path, Buffer.from(bytes));
  return path;
}

describe("the seed under external control", () => {
  it("reads the first 6 bytes of an entropy file, big-endian", () => {
    expect(seedFromEntropyFile(entropyFile([0, 0, 0, 0, 1, 2, 99]))).toBe(258);
    expect(seedFromEntropyFile(entropyFile([255, 255, 255, 255, 255, 255]))).toBe(2 ** 48 - 1);
  });

  it("takes --seed first, then CRUCIBLE_SEED, then the entropy file, and says which", () => {
    const file = entropyFile([0, 0, 0, 0, 0, 7]);
    const env = { CRUCIBLE_SEED: "12", CRUCIBLE_ENTROPY_FILE: file };
    expect(resolveControlledSeed({ flagSeed: 5, env })).toEqual({ seed: 5, source: "--seed" });
    expect(resolveControlledSeed({ env })).toEqual({ seed: 12, source: "env CRUCIBLE_SEED" });
    expect(resolveControlledSeed({ env: { CRUCIBLE_ENTROPY_FILE: file } })).toEqual({
      seed: 7,
      source: `file ${file}`,
    });
    expect(resolveControlledSeed({ entropyFile: file, env: {} }).seed).toBe(7);
    expect(resolveControlledSeed({ env: {} }).source).toBe("fresh");
  });

  it("gives the same seed for the same entropy (a driver replays a run by replaying its entropy)", () => {
    const bytes = [1, 2, 3, 4, 5, 6];
    expect(seedFromEntropyFile(entropyFile(bytes))).toBe(seedFromEntropyFile(entropyFile(bytes)));
  });

  it("rejects a malformed CRUCIBLE_SEED, a short file and a missing one as usage errors", () => {
    expect(() => resolveControlledSeed({ env: { CRUCIBLE_SEED: "-3" } })).toThrow(UsageError);
    expect(() => seedFromEntropyFile(entropyFile([1, 2]))).toThrow(/fewer than 6 bytes/);
    expect(() => seedFromEntropyFile("/nonexistent/entropy")).toThrow(UsageError);
  });

  it("reads /dev/urandom when asked (what Antithesis controls)", () => {
    const { seed } = resolveControlledSeed({ entropyFile: "/dev/urandom", env: {} });
    expect(Number.isSafeInteger(seed) && seed >= 0).toBe(true);
  });
});

describe("one resolution for crucible run and crucible antithesis", () => {
  const runFlags = {
    timeLimit: 1000,
    concurrency: 1,
    store: "store",
    nemesis: [],
    nemesisInterval: 1000,
    nodes: 1,
    target: "demo",
    demoMode: "linearizable",
    opTimeout: 1000,
    keep: false,
    json: false,
  };

  it("with an environment, resolveSeed is the controlled resolution, case by case", () => {
    const file = entropyFile([0, 0, 0, 0, 0, 9]);
    const cases = [
      { flagSeed: 5, env: { CRUCIBLE_SEED: "12", CRUCIBLE_ENTROPY_FILE: file } },
      { env: { CRUCIBLE_SEED: "12", CRUCIBLE_ENTROPY_FILE: file } },
      { env: { CRUCIBLE_SEED: " ", CRUCIBLE_ENTROPY_FILE: file } },
      { env: { CRUCIBLE_ENTROPY_FILE: ` ${file} ` } },
      { entropyFile: file, env: { CRUCIBLE_ENTROPY_FILE: "/nonexistent/entropy" } },
      { flagSeed: 0, entropyFile: "/nonexistent/entropy", env: {} },
    ];
    for (const sources of cases) expect(resolveSeed(sources)).toEqual(resolveControlledSeed(sources));
    expect(() => resolveSeed({ env: { CRUCIBLE_SEED: "1.5" } })).toThrow(UsageError);
    expect(() => resolveSeed({ entropyFile: "/nonexistent/entropy" })).toThrow(UsageError);
  });

  it("without one (crucible run), only --seed and the entropy file count, else a fresh seed", () => {
    expect(resolveSeed({ flagSeed: 77 })).toEqual({ seed: 77, source: "--seed" });
    expect(resolveSeed({ entropyFile: entropyFile([0, 0, 0, 0, 0, 3]) }).seed).toBe(3);
    const saved = process.env.CRUCIBLE_SEED;
    process.env.CRUCIBLE_SEED = "12";
    try {
      expect(resolveSeed({}).source).toBe("fresh");
      expect(runOptionsFromFlags({ ...runFlags, seed: 41 }).seed).toBe(41);
      // A leftover CRUCIBLE_SEED does not pin an ordinary run: two runs get two seeds (2^-48 to collide).
      expect(runOptionsFromFlags(runFlags).seed).not.toBe(runOptionsFromFlags(runFlags).seed);
    } finally {
      if (saved === undefined) delete process.env.CRUCIBLE_SEED;
      else process.env.CRUCIBLE_SEED = saved;
    }
  });
});
