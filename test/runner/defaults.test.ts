import { describe, expect, it } from "vitest";
import { runOptionsFromFlags } from "../../src/cli/run.js";
import {
  CLIENTS_PER_NODE,
  defaultConcurrency,
  defaultOpTimeoutMs,
  OP_TIMEOUT_MS_MAX,
  OP_TIMEOUT_MS_MIN,
} from "../../src/runner/defaults.js";

const flags = {
  timeLimit: 20_000,
  store: "store",
  nemesis: ["partition"],
  nemesisInterval: 5_000,
  target: "demo",
  demoMode: "linearizable",
  keep: false,
  json: false,
};

describe("run options derived from the others when not given (docs/detection.md)", () => {
  it("concurrency is the same number of clients on every node", () => {
    expect(defaultConcurrency(3)).toBe(3 * CLIENTS_PER_NODE);
    expect(defaultConcurrency(5) % 5).toBe(0);
    expect(defaultConcurrency(1)).toBe(CLIENTS_PER_NODE);
    expect(defaultConcurrency(0)).toBe(CLIENTS_PER_NODE);
  });

  it("the op timeout is a fifth of a fault, within its bounds", () => {
    expect(defaultOpTimeoutMs(5_000)).toBe(1_000);
    expect(defaultOpTimeoutMs(60_000)).toBe(OP_TIMEOUT_MS_MAX);
    expect(defaultOpTimeoutMs(100)).toBe(OP_TIMEOUT_MS_MIN);
    // A blocked client comes back several times within each fault at the default interval.
    expect(5_000 / defaultOpTimeoutMs(5_000)).toBeGreaterThanOrEqual(4);
  });

  it("the CLI derives them from --nodes and --nemesis-interval; explicit flags win", () => {
    const derived = runOptionsFromFlags(flags);
    expect(derived.concurrency).toBe(defaultConcurrency(3));
    expect(derived.opTimeoutMs).toBe(1_000);
    const postgres = runOptionsFromFlags({ ...flags, target: "postgres" });
    expect(postgres.concurrency).toBe(defaultConcurrency(1));
    const longFaults = runOptionsFromFlags({ ...flags, nemesisInterval: 10_000, nodes: 5 });
    expect(longFaults.opTimeoutMs).toBe(2_000);
    expect(longFaults.concurrency).toBe(defaultConcurrency(5));
    const explicit = runOptionsFromFlags({ ...flags, concurrency: 4, opTimeout: 300 });
    expect(explicit.concurrency).toBe(4);
    expect(explicit.opTimeoutMs).toBe(300);
  });
});
