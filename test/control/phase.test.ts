import { describe, expect, it } from "vitest";
import { controlledWorkload, cutAtMainPhaseEnd, mainPhase, PhaseSwitch } from "../../src/control/phase.js";
import { any, clients, limit, nemesis, phases, repeat, simulate } from "../../src/generator/index.js";
import type { Op } from "../../src/history/op.js";

const read = { f: "read", value: null };
const cooldown = { f: "cooldown", value: null };
const fault = { f: "kill", value: null };

const invokedFs = (history: readonly Op[]): string[] =>
  history.filter((op) => op.type === "invoke").map((op) => op.f);

/** A completion model that ends the main phase once `afterOps` ops were invoked (the driver's `check`). */
function checkAfter(phaseSwitch: PhaseSwitch, afterOps: number) {
  let invoked = 0;
  return () => {
    invoked++;
    if (invoked === afterOps) phaseSwitch.endMainPhase();
    return { type: "ok" as const, latencyNs: 1_000 };
  };
}

describe("mainPhase", () => {
  it("changes nothing while nobody ends the main phase", () => {
    const phaseSwitch = new PhaseSwitch();
    const wrapped = simulate(limit(30, mainPhase(repeat(read), { phaseSwitch })), {
      seed: 3,
      concurrency: 2,
    });
    const plain = simulate(limit(30, repeat(read)), { seed: 3, concurrency: 2 });
    expect(wrapped.history).toEqual(plain.history);
    expect(phaseSwitch.usedByTest).toBe(true);
  });

  it("ends when the main phase ends, so what the test composed after it runs next", () => {
    const phaseSwitch = new PhaseSwitch();
    const { history, stoppedBy } = simulate(phases(mainPhase(repeat(read), { phaseSwitch }), cooldown), {
      seed: 1,
      concurrency: 1,
      completion: checkAfter(phaseSwitch, 7),
    });
    expect(stoppedBy).toBe("exhausted");
    expect(invokedFs(history)).toEqual([...Array(7).fill("read"), "cooldown"]);
  });

  it("stays ended: a switch only moves forward until reset", () => {
    const phaseSwitch = new PhaseSwitch();
    const gen = mainPhase(repeat(read), { phaseSwitch });
    phaseSwitch.endMainPhase();
    expect(simulate(gen, { seed: 1, concurrency: 2 }).history).toEqual([]);
    phaseSwitch.reset();
    expect(phaseSwitch.phase).toBe("main");
    expect(phaseSwitch.usedByTest).toBe(false);
    expect(invokedFs(simulate(limit(2, gen), { seed: 1, concurrency: 2 }).history)).toEqual(["read", "read"]);
  });
});

describe("the runner-side cuts", () => {
  it("cut the whole workload at check when the test has no mainPhase of its own", () => {
    const phaseSwitch = new PhaseSwitch();
    const { history } = simulate(controlledWorkload(phases(repeat(read), cooldown), phaseSwitch), {
      seed: 1,
      concurrency: 1,
      completion: checkAfter(phaseSwitch, 5),
    });
    // Without mainPhase the whole generator is the main phase (as under a time limit): no cooldown.
    expect(invokedFs(history)).toEqual(Array(5).fill("read"));
  });

  it("let a test that marks its main phase run the rest of its generator", () => {
    const phaseSwitch = new PhaseSwitch();
    const test = phases(mainPhase(repeat(read), { phaseSwitch }), cooldown);
    const { history } = simulate(controlledWorkload(test, phaseSwitch), {
      seed: 1,
      concurrency: 1,
      completion: checkAfter(phaseSwitch, 5),
    });
    expect(invokedFs(history)).toEqual([...Array(5).fill("read"), "cooldown"]);
  });

  it("stop the fault schedule at check, whatever the test", () => {
    const phaseSwitch = new PhaseSwitch();
    const gen = any(
      clients(controlledWorkload(repeat(read), phaseSwitch)),
      nemesis(cutAtMainPhaseEnd(repeat(fault), phaseSwitch)),
    );
    const { history, stoppedBy } = simulate(gen, {
      seed: 2,
      concurrency: 2,
      nemesis: true,
      completion: checkAfter(phaseSwitch, 20),
    });
    expect(stoppedBy).toBe("exhausted");
    expect(invokedFs(history).length).toBe(20);
    expect(invokedFs(history)).toContain("kill");
    expect(phaseSwitch.usedByTest).toBe(false);
  });
});
