import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { resolveControlledSeed, seedFromEntropyFile } from "../../src/control/seed.js";
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
