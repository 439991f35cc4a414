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
    expect(result.stats.cacheEntries).toBeGreaterThan(10_000);
  });

  it("a small cache cap still gives the right verdict (the search continues uncached)", () => {
    const history = generateRegisterHistory({
      random: new Random(8),
      ops: 3000,
      keys: 3,
      concurrency: 6,
      casShare: 0.2,
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
});
