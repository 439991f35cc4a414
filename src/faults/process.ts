/**
 * Process faults: kill -9 then restart, SIGSTOP then SIGCONT, one node at a
 * time, on a seeded schedule that always heals.
 *
 * The schedule is computed up front from its own seeded stream, as a plain
 * list of ops: `sleep, fault, sleep, heal, sleep, fault, ...`. It does not
 * draw randomness while the run is going, so it cannot drift with the timing
 * of client ops: the same seed gives the same fault sequence, always.
 */
import type { Cluster, Node } from "../cluster/types.js";
import { sleep } from "../generator/index.js";
import type { GeneratorLike } from "../generator/types.js";
import type { Completion, Invocation, Op } from "../history/op.js";
import type { Random } from "../random/random.js";
import { targetNodeNames } from "./targets.js";
import type { Nemesis, NemesisContext, NemesisPackage } from "./types.js";

export type ProcessFaultKind = "kill" | "pause";

export interface ProcessNemesisOptions {
  kinds: readonly ProcessFaultKind[];
  /** Node names the schedule chooses among ("n1", "n2", ...). */
  nodeNames: readonly string[];
  /** Time between a fault and its heal, and between a heal and the next fault. */
  intervalMs: number;
  /** The main phase's length: the schedule is made long enough to cover it. */
  timeLimitMs: number;
  /** The schedule's own stream (e.g. `runRandom.fork("nemesis-schedule")`). */
  random: Random;
}

const HEAL_OF: Record<ProcessFaultKind, string> = { kill: "start", pause: "resume" };

/** The fault schedule as plain ops (exported for tests: same seed, same list). */
export function processFaultSchedule(options: ProcessNemesisOptions): Invocation[] {
  if (options.kinds.length === 0 || options.nodeNames.length === 0) return [];
  if (!(options.intervalMs > 0))
    throw new RangeError(`intervalMs must be positive, got ${options.intervalMs}`);
  // Bounded whatever the time limit: 50,000 fault/heal pairs is far more than any run uses.
  const rounds = Math.min(50_000, Math.ceil(options.timeLimitMs / (2 * options.intervalMs)) + 1);
  const ops: Invocation[] = [];
  for (let round = 0; round < rounds; round++) {
    const kind = options.random.pick(options.kinds);
    const node = options.random.pick(options.nodeNames);
    ops.push({ f: kind, value: [node] }, { f: HEAL_OF[kind], value: "all" });
  }
  return ops;
}

function nodeByName(cluster: Cluster | undefined, name: string): Node {
  const node = cluster?.nodes.find((candidate) => candidate.name === name);
  if (!node) throw new Error(`no node named ${name} in the cluster`);
  return node;
}

/**
 * The nemesis that carries out kill/stop/start/pause/resume ops on cluster
 * nodes. A fault op's value names the nodes (`["n2"]`), or is `"primary"`
 * (resolved now through `cluster.leader()`; the completion's value then names
 * the node hit) or `"all"`. `stop` is a graceful stop (SIGTERM, then SIGKILL
 * after the recipe's grace); `start` and `resume` heal every node this
 * nemesis killed, stopped or paused, whatever their value.
 */
export function processNemesis(): Nemesis {
  const killed = new Set<string>();
  const paused = new Set<string>();
  // All at once: a node of a quorum system (etcd) is only ready once a quorum is back, so
  // restarting a killed majority one by one would wait forever for the first.
  const startAll = async (ctx: NemesisContext): Promise<string[]> => {
    const names = [...killed];
    const outcomes = await Promise.allSettled(names.map((name) => nodeByName(ctx.cluster, name).start()));
    const failed: unknown[] = [];
    outcomes.forEach((outcome, i) => {
      if (outcome.status === "fulfilled") killed.delete(names[i]!);
      else failed.push(outcome.reason);
    });
    if (failed.length > 0)
      throw new AggregateError(failed, `could not restart ${failed.length} of ${names.length} nodes`);
    return names;
  };
  const resumeAll = async (ctx: NemesisContext): Promise<string[]> => {
    const names = [...paused];
    for (const name of names) {
      await nodeByName(ctx.cluster, name).resume();
      paused.delete(name);
    }
    return names;
  };
  return {
    name: "process",
    fs: ["kill", "stop", "start", "pause", "resume"],
    async invoke(op: Op, ctx: NemesisContext): Promise<Completion> {
      const isFault = op.f === "kill" || op.f === "stop" || op.f === "pause";
      const names = isFault ? await targetNodeNames(op.value, ctx.cluster) : [];
      if (isFault && names.length === 0) {
        return {
          type: "fail",
          error: `no node to ${op.f}: target ${JSON.stringify(op.value)} resolved to none`,
        };
      }
      switch (op.f) {
        case "kill":
        case "stop":
          for (const name of names) {
            // A paused node must be resumed by its heal; killing it is still a kill.
            const node = nodeByName(ctx.cluster, name);
            if (op.f === "kill") await node.kill("SIGKILL");
            else await node.stop();
            killed.add(name);
            paused.delete(name);
          }
          return { type: "ok", value: names };
        case "pause": {
          // Only running nodes can be paused; the history must not claim the others were.
          const pausedNow: string[] = [];
          for (const name of names) {
            const node = nodeByName(ctx.cluster, name);
            if (killed.has(name) || !node.isRunning()) continue;
            await node.pause();
            paused.add(name);
            pausedNow.push(name);
          }
          if (pausedNow.length === 0)
            return { type: "fail", error: `none of ${names.join(", ")} is running` };
          return { type: "ok", value: pausedNow };
        }
        case "start":
          return { type: "ok", value: await startAll(ctx) };
        case "resume":
          return { type: "ok", value: await resumeAll(ctx) };
        default:
          return { type: "fail", error: `process nemesis does not know f=${op.f}` };
      }
    },
    async teardown(ctx: NemesisContext): Promise<void> {
      await resumeAll(ctx);
      await startAll(ctx);
    },
  };
}

/** kill/pause faults, one node at a time, healed after `intervalMs`, healed again at the end. */
export function processFaults(options: ProcessNemesisOptions): NemesisPackage {
  const schedule = processFaultSchedule(options);
  const generator: GeneratorLike = schedule.flatMap((op) => [sleep(options.intervalMs), op]);
  return {
    nemesis: processNemesis(),
    generator,
    finalGenerator: [
      { f: "resume", value: "all" },
      { f: "start", value: "all" },
    ],
    kinds: options.kinds,
  };
}
