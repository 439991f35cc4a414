/**
 * The clock nemesis: `bump-clock {nodes, deltaMs}`, `strobe-clock {nodes,
 * deltaMs, periodMs, durationMs}` and `reset-clock {nodes}` on a cluster
 * started with `startFaultCluster({ clock: true })` (libfaketime).
 *
 * Completions carry the {@link ClockReport}: for each node whether the fault
 * verifiably reached it. A fault that reached no node at all (every node a Go
 * binary such as etcd) *fails*, with a note saying why: the history never
 * claims a clock moved when it did not.
 */
import type { Completion, Op } from "../history/op.js";
import type { ClockReport } from "./clock.js";
import { faultToolsOf } from "./fault-cluster.js";
import { numberField, targetNodeNames, targetOf } from "./targets.js";
import type { Nemesis, NemesisContext } from "./types.js";

export const CLOCK_FS = ["bump-clock", "strobe-clock", "reset-clock"] as const;

function completion(report: ClockReport, isHeal: boolean): Completion {
  const { note, ...value } = report;
  if (!isHeal && report.reached.length === 0) {
    // "fail" only when every node is known not to be reached (e.g. a Go binary reading the vDSO);
    // when a node cannot tell its clock, the offset may well have taken effect: unknown, not failed.
    const unknown = report.reach.some((reach) => reach.reached === "unknown");
    return {
      type: unknown ? "info" : "fail",
      value,
      error:
        note ??
        (unknown ? "could not verify the clock fault on any node" : "the clock fault reached no node"),
    };
  }
  return { type: "ok", value, ...(note ? { note } : {}) };
}

export function clockNemesis(): Nemesis {
  return {
    name: "clock",
    fs: CLOCK_FS,
    async invoke(op: Op, ctx: NemesisContext): Promise<Completion> {
      const clock = faultToolsOf(ctx.cluster)?.clock;
      if (!clock) {
        return {
          type: "fail",
          error:
            "no clock fault tools: start the cluster with startFaultCluster({ clock: true }) and install faketime",
        };
      }
      if (op.f === "reset-clock") return completion(await clock.reset(), true);
      const nodes = await targetNodeNames(targetOf(op.value), ctx.cluster);
      if (nodes.length === 0) return { type: "fail", error: `no node to fault: ${JSON.stringify(op.value)}` };
      if (op.f === "bump-clock") {
        return completion(await clock.bump(nodes, numberField(op.value, "deltaMs", 1_000)), false);
      }
      if (op.f === "strobe-clock") {
        const report = await clock.strobe(nodes, {
          deltaMs: numberField(op.value, "deltaMs", 1_000),
          periodMs: numberField(op.value, "periodMs", 50),
          durationMs: Math.min(numberField(op.value, "durationMs", 1_000), 60_000),
          signal: ctx.signal,
        });
        return completion(report, false);
      }
      return { type: "fail", error: `clock nemesis does not know f=${op.f}` };
    },
    async teardown(ctx: NemesisContext): Promise<void> {
      await faultToolsOf(ctx.cluster)?.clock?.reset();
    },
  };
}
