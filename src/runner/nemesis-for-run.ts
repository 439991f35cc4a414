/**
 * From the run's options to its faults: `crucible run --nemesis
 * kill,partition --nemesis-interval 5s --network netns` becomes a
 * {@link FaultPlan}, the seeded schedule (`faultSchedule`) and the cluster
 * start that gives those faults what they need (proxies, namespaces,
 * libfaketime). It lives in the runner because it reads the run's options;
 * the faults themselves know nothing of them.
 */
import { type ClusterOptions, startCluster } from "../cluster/fixture.js";
import type { Recipe } from "../cluster/recipe.js";
import type { Cluster } from "../cluster/types.js";
import {
  directHooks,
  type NetworkMode,
  type RecipeHooks,
  startFaultCluster,
} from "../faults/fault-cluster.js";
import { type FaultScheduleOptions, faultSchedule, parseFaultKinds } from "../faults/schedule.js";
import type { NemesisPackage } from "../faults/types.js";
import { type FaultKind, kindsNeed } from "../faults/vocabulary.js";
import { Random } from "../random/random.js";
import { STREAMS } from "../random/streams.js";
import type { ClusterContext, RunOptions } from "./spec.js";

/** What `nemesisForRun` gives the test: the package and the matching cluster start. */
export interface FaultPlan {
  readonly kinds: readonly FaultKind[];
  /** Undefined when no fault was asked for. */
  readonly nemesis: NemesisPackage | undefined;
  /** Whether the cluster needs proxies/namespaces and libfaketime. */
  readonly needsNetwork: boolean;
  readonly needsClock: boolean;
  /**
   * Start the cluster the faults need: `startFaultCluster` when network or
   * clock faults are asked for, plain `startCluster` otherwise. `network`
   * overrides `--network` (`options.extra.network`: proxy | netns | auto).
   * With `options.tls` (`--tls`) the servers start with TLS on.
   */
  startCluster(args: {
    readonly recipe: (hooks: RecipeHooks) => Recipe;
    readonly ctx: ClusterContext;
    readonly network?: NetworkMode;
    readonly cluster?: ClusterOptions;
  }): Promise<Cluster>;
}

/**
 * Turn the run options (`--nemesis`, `--nemesis-interval`, `--time-limit`,
 * `--seed`, `--nodes`, and `extra.network`) into a fault plan. The schedule's
 * stream is `STREAMS.nemesisSchedule` (`nemesis-schedule`) off the root seed, as the
 * process faults always used, so seeds keep replaying.
 */
export function nemesisForRun(options: RunOptions, overrides: Partial<FaultScheduleOptions> = {}): FaultPlan {
  const kinds = parseFaultKinds(options.nemesis);
  const nodeNames = Array.from({ length: options.nodes }, (_, i) => `n${i + 1}`);
  const needsNetwork = kindsNeed(kinds, "network");
  const needsClock = kindsNeed(kinds, "clock");
  const nemesis =
    kinds.length === 0
      ? undefined
      : faultSchedule({
          kinds,
          nodeNames,
          intervalMs: options.nemesisIntervalMs,
          timeLimitMs: options.timeLimitMs,
          random: new Random(options.seed).fork(STREAMS.nemesisSchedule.label),
          ...overrides,
        });
  const extraNetwork = options.extra.network;
  const network: NetworkMode =
    extraNetwork === "proxy" || extraNetwork === "netns" || extraNetwork === "auto" || extraNetwork === "none"
      ? extraNetwork
      : "proxy";
  return {
    kinds,
    nemesis,
    needsNetwork,
    needsClock,
    async startCluster(args) {
      const clusterOptions: ClusterOptions = {
        logDir: args.ctx.logDir,
        random: args.ctx.random,
        keep: args.ctx.options.keep,
        ...(args.ctx.options.tls && { tls: true }),
        ...(args.ctx.options.variant !== undefined && { variant: args.ctx.options.variant }),
        ...args.cluster,
      };
      if (!needsNetwork && !needsClock) {
        return startCluster(args.recipe(directHooks), args.ctx.options.nodes, clusterOptions);
      }
      return startFaultCluster({
        recipe: args.recipe,
        size: args.ctx.options.nodes,
        network: needsNetwork ? (args.network ?? network) : "none",
        clock: needsClock,
        cluster: clusterOptions,
        random: args.ctx.random,
      });
    },
  };
}
