/**
 * The network nemesis: partitions, latency, loss, bandwidth limits and
 * connection resets, on whatever network the cluster was started with
 * (`startFaultCluster`: proxies or namespaces). It finds its tools on the
 * cluster, so one package works with either.
 *
 * Ops (values are plain data, so the history says exactly what was asked):
 * - `start-partition {shape, grudge}`: the grudge is computed when the
 *   schedule is generated; `{shape: "primaries"}` is resolved when it runs
 *   (through `cluster.leader()`). Completes with the {@link PartitionReport}:
 *   which links were really cut — never a partition that did not happen.
 *   When nothing could be cut the op *fails* (the fault did not happen).
 * - `stop-partition`.
 * - `start-latency {nodes, delayMs, jitterMs}` / `stop-latency`,
 *   `start-loss {nodes, probability}` / `stop-loss`,
 *   `start-bandwidth {nodes, bytesPerSec}` / `stop-bandwidth`,
 *   `reset-connections {nodes}` (one-shot), `heal-network` (everything).
 *   `nodes` may be `"primary"` or `"all"`; completions name the nodes hit.
 */
import type { Completion, Op } from "../history/op.js";
import { faultToolsOf } from "./fault-cluster.js";
import type { NetworkFaults } from "./network.js";
import { grudgeFrom, primaries } from "./partition.js";
import { numberField, targetNodeNames, targetOf, valueField } from "./targets.js";
import type { Nemesis, NemesisContext } from "./types.js";

export const NETWORK_FS = [
  "start-partition",
  "stop-partition",
  "start-latency",
  "stop-latency",
  "start-loss",
  "stop-loss",
  "start-bandwidth",
  "stop-bandwidth",
  "reset-connections",
  "heal-network",
] as const;

export function networkNemesis(): Nemesis {
  const networkOf = (ctx: NemesisContext): NetworkFaults | undefined => faultToolsOf(ctx.cluster)?.network;
  return {
    name: "network",
    fs: NETWORK_FS,
    async invoke(op: Op, ctx: NemesisContext): Promise<Completion> {
      const network = networkOf(ctx);
      if (!network) {
        return {
          type: "fail",
          error: "no network fault tools: start the cluster with startFaultCluster (network proxy or netns)",
        };
      }
      const nodeNames = ctx.cluster?.nodes.map((node) => node.name) ?? [];
      switch (op.f) {
        case "start-partition": {
          const shape = valueField(op.value, "shape");
          let grudgeSpec = valueField(op.value, "grudge") as Record<string, string[]> | undefined;
          if (shape === "primaries") {
            const leader = await ctx.cluster?.leader?.();
            if (!leader) return { type: "fail", error: "no primary/leader to isolate" };
            grudgeSpec = Object.fromEntries(
              [...primaries(nodeNames, { primaries: [leader.name] })].map(([to, froms]) => [to, [...froms]]),
            );
          }
          if (!grudgeSpec) return { type: "fail", error: "start-partition: value has no grudge" };
          const report = await network.partition(grudgeFrom(nodeNames, grudgeSpec));
          const { note, ...rest } = report;
          if (report.cut.length === 0 && report.partial.length === 0) {
            return {
              type: "fail",
              value: { shape, ...rest },
              error: `nothing could be cut${note ? `: ${note}` : ""}`,
            };
          }
          return { type: "ok", value: { shape, ...rest }, ...(note ? { note } : {}) };
        }
        case "stop-partition":
          await network.healPartition();
          return { type: "ok" };
        case "start-latency":
        case "start-loss":
        case "start-bandwidth":
        case "reset-connections": {
          const nodes = await targetNodeNames(targetOf(op.value), ctx.cluster);
          if (nodes.length === 0)
            return { type: "fail", error: `no node to fault: ${JSON.stringify(op.value)}` };
          const report =
            op.f === "start-latency"
              ? await network.latency(nodes, {
                  delayMs: numberField(op.value, "delayMs", 100),
                  jitterMs: numberField(op.value, "jitterMs", 0),
                })
              : op.f === "start-loss"
                ? await network.loss(nodes, numberField(op.value, "probability", 0.05))
                : op.f === "start-bandwidth"
                  ? await network.bandwidth(nodes, numberField(op.value, "bytesPerSec", 100_000))
                  : await network.reset(nodes);
          const { note, ...rest } = report;
          if (report.applied.length === 0) return { type: "fail", value: rest, error: note ?? "not applied" };
          return { type: "ok", value: rest, ...(note ? { note } : {}) };
        }
        case "stop-latency":
          await network.healLatency();
          return { type: "ok" };
        case "stop-loss":
          await network.healLoss();
          return { type: "ok" };
        case "stop-bandwidth":
          await network.healBandwidth();
          return { type: "ok" };
        case "heal-network":
          await network.healAll();
          return { type: "ok" };
        default:
          return { type: "fail", error: `network nemesis does not know f=${op.f}` };
      }
    },
    async teardown(ctx: NemesisContext): Promise<void> {
      await networkOf(ctx)?.healAll();
    },
  };
}
