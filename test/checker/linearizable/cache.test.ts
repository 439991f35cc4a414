import { describe, expect, it } from "vitest";
import { generateRegisterHistory } from "../../../src/checker/linearizable/generate.js";
import { checkLinearizable } from "../../../src/checker/linearizable/index.js";
import { models } from "../../../src/checker/models/index.js";
import { Random } from "../../../src/random/random.js";

describe("the search cache stays small on long unpartitioned histories", () => {
  it("a 60,000-op 10-key history checked as one partition is decided with a cache of a few MB", () => {
    const history = generateRegisterHistory({
      random: new Random(100),
      ops: 60_000,
      keys: 10,
      concurrency: 10,
    });
    const result = checkLinearizable(history, models.kv!, {
      partition: false,
      fastPath: false,
      timeLimitMs: 60_000,
    });
    expect(result.valid).toBe(true);
    expect(result.stats.partitions).toBe(1);
    expect(result.stats.cacheFull).toBe(false);
    // A whole-history bitset per entry needed ~7.5 KB per entry (hundreds of MB here); windows need a few words.
    expect(result.stats.peakCacheBytes).toBeLessThan(32 * 2 ** 20);
    expect(result.stats.cacheEntries).toBeGreaterThan(5_000);
  });

  it("a small cache cap still gives the right verdict (the search continues uncached)", () => {
    const history = generateRegisterHistory({
      random: new Random(8),
      // Enough backtracking (a pair is recorded only when the search leaves it) to pass the cap.
      ops: 6000,
      keys: 3,
      concurrency: 6,
      casShare: 0.2,
      spread: 4,
    });
    const capped = checkLinearizable(history, models.kv!, {
      partition: false,
      fastPath: false,
      maxCacheBytes: 64 * 1024,
    });
    expect(capped.valid).toBe(true);
    expect(capped.stats.cacheFull).toBe(true);
    expect(capped.stats.peakCacheBytes).toBeLessThanOrEqual(64 * 1024);
  });

  it("records a (set, state) pair only when the search backtracks out of it", () => {
    // One process: every op follows the last, so the search linearizes them in order and never backtracks.
    const sequential = generateRegisterHistory({ random: new Random(3), ops: 2000, keys: 3, concurrency: 1 });
    const result = checkLinearizable(sequential, models.kv!, { partition: false, fastPath: false });
    expect(result.valid).toBe(true);
    expect(result.stats.steps).toBe(2000);
    expect(result.stats.cacheEntries).toBe(0);
    // With overlapping ops it does backtrack, and what it left is recorded (and prunes: the verdict holds).
    const concurrent = generateRegisterHistory({ random: new Random(8), ops: 3000, keys: 3, concurrency: 6 });
    const searched = checkLinearizable(concurrent, models.kv!, { partition: false, fastPath: false });
    expect(searched.valid).toBe(true);
    expect(searched.stats.cacheEntries).toBeGreaterThan(0);
    expect(searched.stats.steps).toBeGreaterThan(3000);
  });
});
