import { describe, expect, it } from "vitest";
import { ACTOR_FS } from "../../src/faults/actor-nemesis.js";
import { CLOCK_FS } from "../../src/faults/clock-nemesis.js";
import { FAULT_KINDS, FAULTS, healedKinds, isNeutralNemesisOp, isStarter } from "../../src/faults/index.js";
import { NETWORK_FS } from "../../src/faults/network-nemesis.js";
import { processNemesis } from "../../src/faults/process.js";

describe("the fault vocabulary", () => {
  it("names only ops the nemeses carry out, each kind with the nemesis of what it needs", () => {
    const fsOf = {
      process: processNemesis().fs,
      network: NETWORK_FS,
      clock: CLOCK_FS,
      actors: ACTOR_FS,
    } as const;
    for (const kind of FAULT_KINDS) {
      const info = FAULTS[kind];
      const fs: readonly string[] = fsOf[info.needs];
      for (const f of [...info.starts, ...(info.heal ? [info.heal.f] : [])]) expect(fs).toContain(f);
    }
  });

  it("pairs every kind's start with its heal, and heal-network with every network fault that lasts", () => {
    for (const kind of FAULT_KINDS) {
      const { heal, starts } = FAULTS[kind];
      for (const start of starts) {
        expect(isStarter(start)).toBe(heal !== undefined);
        if (heal) expect(healedKinds(heal.f)).toContain(start);
      }
    }
    expect([...healedKinds("heal-network")].sort()).toEqual([
      "start-bandwidth",
      "start-latency",
      "start-loss",
      "start-partition",
    ]);
    expect(healedKinds("start")).toEqual(["kill", "stop"]);
  });

  it("pairs a custom nemesis by name: stop-X, X-stop and heal-X", () => {
    expect(healedKinds("stop-lease-revocation")).toEqual(["start-lease-revocation"]);
    expect(healedKinds("drain-stop")).toEqual(["drain-start"]);
    expect(healedKinds("heal-disk")).toEqual(["disk"]);
    expect(isStarter("start-lease-revocation") && isStarter("drain-start")).toBe(true);
    // One-shot ops (and names no nemesis emits) neither start nor heal.
    for (const f of ["revoke-lease", "heal", "crash", "partition", "reset-connections"]) {
      expect(isStarter(f)).toBe(false);
      expect(healedKinds(f)).toEqual([]);
    }
    expect(isNeutralNemesisOp("wait-for-recovery")).toBe(true);
  });
});
