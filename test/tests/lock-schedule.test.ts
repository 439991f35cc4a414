/**
 * The lock workload's handover schedule (no --nemesis given): each round
 * revokes the holder's lease, pauses the successor a second into its hold
 * for the nemesis interval, and resumes it; and the CLI gives the lock
 * workload that default, while an explicit --nemesis keeps the seeded mix.
 */
import { describe, expect, it } from "vitest";
import { defaultNemesisFor, LOCK_DEFAULT_NEMESIS, runOptionsFromFlags } from "../../src/cli/run.js";
import type { FaultKind } from "../../src/faults/schedule.js";
import type { Nemesis } from "../../src/faults/types.js";
import { nemesis, simulate } from "../../src/generator/index.js";
import { Random } from "../../src/random/random.js";
import {
  LOCK_HANDOVER_GAP_MS,
  LOCK_HANDOVER_KINDS,
  LOCK_HOLD_S,
  LOCK_LOSS_WINDOW_MS,
  LOCK_TTL_S,
  lockHandoverPauseMs,
  lockHandoverSchedule,
  lockMixSchedule,
} from "../../src/tests/lock.js";

const flags = {
  timeLimit: 20_000,
  concurrency: 1,
  store: "store",
  nemesisInterval: 5_000,
  target: "etcd",
  demoMode: "linearizable",
  keep: false,
  json: false,
};

const stubNemesis: Nemesis = {
  name: "actors",
  fs: ["actor-pause", "actor-resume", "lease-revoke", "actor-kill", "actor-stop", "actor-start"],
  async invoke() {
    return { type: "ok", value: null };
  },
};

describe("the lock workload's default faults", () => {
  it("no --nemesis: the lock workload gets loss events on its handover schedule, other workloads kill,pause", () => {
    const lock = runOptionsFromFlags({ ...flags, workload: "lock" });
    expect(lock.nemesis).toEqual(LOCK_DEFAULT_NEMESIS);
    expect(lock.nemesisExplicit).toBe(false);
    expect(LOCK_HANDOVER_KINDS).toEqual(LOCK_DEFAULT_NEMESIS);
    const register = runOptionsFromFlags({ ...flags });
    expect(register.nemesis).toEqual(["kill", "pause"]);
    expect(register.nemesisExplicit).toBe(false);
    expect(defaultNemesisFor("sync")).toEqual(["kill", "pause"]);
    const explicit = runOptionsFromFlags({ ...flags, workload: "lock", nemesis: ["actor-kill"] });
    expect(explicit.nemesis).toEqual(["actor-kill"]);
    expect(explicit.nemesisExplicit).toBe(true);
    expect(runOptionsFromFlags({ ...flags, workload: "lock", nemesis: [] }).nemesisExplicit).toBe(true);
  });

  it("each round: sleep, revoke the holder, sleep 1 s, pause the (new) holder, sleep the interval, resume", () => {
    const schedule = lockHandoverSchedule({
      intervalMs: 5_000,
      timeLimitMs: 20_000,
      actorNemesis: stubNemesis,
    });
    const steps = (schedule.generator as unknown[]).map((step) =>
      typeof step === "object" && step !== null && "f" in step
        ? (step as { f: string; value: unknown })
        : "sleep",
    );
    // 20 s over rounds of 11 s: 2 rounds cover it, one more so the time limit, not the schedule, ends it.
    expect(steps.length).toBe(3 * 6);
    expect(steps.slice(0, 6)).toEqual([
      "sleep",
      { f: "lease-revoke", value: { leases: "holder" } },
      "sleep",
      { f: "actor-pause", value: { actors: "holder" } },
      "sleep",
      { f: "actor-resume", value: "all" },
    ]);
    expect(LOCK_HANDOVER_GAP_MS).toBeLessThan(2_000);
    // The pause: the interval, clamped so an unsafe child outlives the window and the lease is lost.
    expect(lockHandoverPauseMs(5_000)).toBe(5_000);
    expect(lockHandoverPauseMs(30_000)).toBe(
      LOCK_HOLD_S * 1000 - LOCK_HANDOVER_GAP_MS - LOCK_LOSS_WINDOW_MS - 1_000,
    );
    expect(lockHandoverPauseMs(100)).toBe(LOCK_TTL_S * 1000 + 500);
    // The final phase resumes every paused actor before waiting for recovery.
    const final = schedule.finalGenerator as unknown as { f: string }[];
    expect(final.map((op) => op.f)).toEqual(["actor-resume", "wait-for-recovery"]);
    expect(schedule.kinds).toEqual(["lease-revoke", "actor-pause"]);
    expect(() => lockHandoverSchedule({ intervalMs: 0, timeLimitMs: 1, actorNemesis: stubNemesis })).toThrow(
      /intervalMs must be > 0/,
    );
  });

  it("an explicit --nemesis: every kind dealt, actor faults aimed at a fresh holder, pauses clamped; same seed, same ops", () => {
    const kinds: FaultKind[] = ["actor-pause", "actor-kill", "lease-revoke", "kill", "partition"];
    const mix = (seed: number, intervalMs = 5_000) =>
      lockMixSchedule({
        kinds,
        nodeNames: ["n1", "n2", "n3"],
        actorNames: ["a1", "a2", "a3", "a4"],
        intervalMs,
        timeLimitMs: 60_000,
        random: new Random(seed).fork("nemesis-schedule"),
        actorNemesis: stubNemesis,
      });
    const invokes = (seed: number, intervalMs?: number) =>
      simulate(nemesis(mix(seed, intervalMs).generator), {
        seed: 1,
        concurrency: 1,
        nemesis: true,
      }).history.filter((op) => op.process === "nemesis" && op.type === "invoke");
    const starts: Record<string, string> = {
      "actor-pause": "actor-pause",
      "actor-kill": "actor-kill",
      "lease-revoke": "lease-revoke",
      kill: "kill",
      "start-partition": "partition",
    };
    for (const seed of [1, 2, 3, 4, 5]) {
      const ops = invokes(seed);
      expect(invokes(seed)).toEqual(ops);
      // The first five faults are the five kinds, whatever the seed.
      const dealt = ops.map((op) => starts[op.f]).filter((kind) => kind !== undefined);
      expect(new Set(dealt.slice(0, kinds.length))).toEqual(new Set(kinds));
      for (const [i, op] of ops.entries()) {
        if (op.f === "actor-pause" || op.f === "actor-kill")
          expect(op.value).toEqual({ actors: "fresh-holder" });
        if (op.f === "lease-revoke") expect(op.value).toEqual({ leases: "fresh-holder" });
        // The wait for the acquisition is an op of its own just before, so the fault's invocation is when it strikes.
        if (op.f === "actor-pause" || op.f === "actor-kill" || op.f === "lease-revoke") {
          expect(ops[i - 1]?.f).toBe("await-acquisition");
          expect(op.time - ops[i - 1]!.time).toBeLessThan(100e6);
        }
        // Node faults as every schedule draws them: a node list, or "primary" (resolved when it runs).
        if (op.f === "kill") expect(Array.isArray(op.value) || op.value === "primary").toBe(true);
        if (op.f === "actor-pause") {
          expect(ops[i + 1]?.f).toBe("actor-resume");
          const pausedMs = (ops[i + 1]!.time - op.time) / 1e6;
          expect(pausedMs).toBeGreaterThanOrEqual(lockHandoverPauseMs(5_000));
          expect(pausedMs).toBeLessThan(lockHandoverPauseMs(5_000) + 100);
        }
      }
    }
    // A long interval does not lengthen a pause past what leaves an unsafe child running beyond the window.
    const long = invokes(1, 20_000);
    const pause = long.findIndex((op) => op.f === "actor-pause");
    expect((long[pause + 1]!.time - long[pause]!.time) / 1e6).toBeLessThan(lockHandoverPauseMs(20_000) + 100);
    expect(lockHandoverPauseMs(20_000)).toBeLessThan(LOCK_HOLD_S * 1000 - LOCK_LOSS_WINDOW_MS);
    expect(lockHandoverPauseMs(20_000)).toBeGreaterThanOrEqual(LOCK_TTL_S * 1000 + 500);
    expect(mix(1).kinds).toEqual(kinds);
    expect((mix(1).finalGenerator as unknown as { f: string }[]).map((op) => op.f)).toContain("actor-resume");
  });
});
