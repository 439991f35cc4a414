/**
 * The built-in test that `crucible run` runs when given no file: a register
 * workload (read / write / compare-and-set on a handful of keys) against a
 * 3-node demo cluster, with kill -9 and SIGSTOP/SIGCONT faults, checked for
 * linearizability per key.
 *
 * `--target` (`options.extra.target`) swaps the system under test, nothing
 * else: `etcd` (reads per `--read-consistency`), `redis` (a primary and
 * replicas, reads per `--read-from`) or `postgres` (one server). Each target
 * names the test after itself (`etcd-register`, `redis-register`, ...), so
 * their runs are stored apart.
 *
 * It is written exactly as a user's test file would be (see README).
 */

import { unhandledExceptions } from "../checker/exceptions.js";
import { linearizable } from "../checker/linearizable/index.js";
import { kvModel } from "../checker/models/index.js";
import { stats } from "../checker/stats.js";
import { demoClient } from "../client/demo.js";
import { etcdClient } from "../client/etcd.js";
import { postgresClient } from "../client/postgres.js";
import { redisClient } from "../client/redis.js";
import type { Client } from "../client/types.js";
import type { Recipe } from "../cluster/recipe.js";
import { demo } from "../cluster/recipes/demo.js";
import { etcd } from "../cluster/recipes/etcd.js";
import { postgres } from "../cluster/recipes/postgres.js";
import { redis } from "../cluster/recipes/redis.js";
import { UsageError } from "../errors/index.js";
import type { NetworkMode, RecipeHooks } from "../faults/fault-cluster.js";
import type { PartitionShape } from "../faults/schedule.js";
import { limit, repeat, stagger, untilOk } from "../generator/index.js";
import type { GenContext } from "../generator/types.js";
import type { Invocation } from "../history/op.js";
import { nemesisForRun } from "../runner/nemesis-for-run.js";
import { defineTest, type RunOptions } from "../runner/spec.js";
import { readBack } from "./read-back.js";
import { REGISTER_TARGETS } from "./targets.js";

/** Keys of the workload: few, so that ops on one key overlap and the checker has work to do. */
const KEY_COUNT = 5;
/** Values are small (0..4), like Jepsen's register test, so compare-and-set often succeeds. */
const VALUE_COUNT = 5;

/**
 * The partitions this workload draws: each leaves some node that serves
 * reads on the far side from where writes commit — one node cut off
 * (`isolate`; with 3 nodes `halves` is the same cut, with 5 it is a 2/3
 * split), or the leader cut off from everyone (`primaries`). A stale read is
 * observable only across such a cut. The `bridge` and `majorities-ring`
 * shapes keep every node in touch with a majority (and, often, the leader),
 * so for a leader-based register they mostly cut nothing a read can see;
 * they stay in the schedule's defaults for tests that hunt split brains.
 */
export const REGISTER_PARTITION_SHAPES: readonly PartitionShape[] = ["isolate", "halves", "primaries"];

/** Tries of each key's final read before the final phase gives up on it. */
const FINAL_READ_ATTEMPTS_MAX = 20;
/** Mean gap between those tries: 20 × 250 ms outlasts a leader election. */
const FINAL_READ_SPACING_MS = 250;

/** One random register op: read, write or cas on a random key. */
export function registerOp(ctx: GenContext): Invocation {
  const key = ctx.random.int(0, KEY_COUNT - 1);
  const choice = ctx.random.int(0, 2);
  if (choice === 0) return { f: "read", key, value: null };
  if (choice === 1) return { f: "write", key, value: ctx.random.int(0, VALUE_COUNT - 1) };
  return { f: "cas", key, value: [ctx.random.int(0, VALUE_COUNT - 1), ctx.random.int(0, VALUE_COUNT - 1)] };
}

export { REGISTER_TARGETS, type RegisterTarget } from "./targets.js";

/** The part of a register test that depends on the target: what to start, how to talk to it, what to call it. */
interface TargetParts {
  name: string;
  /** The recipe, given the hooks that route its node-to-node links through fault proxies when asked to. */
  recipe: (hooks: RecipeHooks) => Recipe;
  /** How network faults reach this system: "auto" prefers network namespaces (exact per-link cuts, root only). */
  network?: NetworkMode;
  client: Client;
  describe: Record<string, unknown>;
}

function demoParts(options: RunOptions): TargetParts {
  const mode = options.extra.demoMode === "stale-reads" ? "stale-reads" : "linearizable";
  return {
    name: `demo-register-${mode}`,
    recipe: (hooks) => demo({ mode, peerUrl: hooks.peerUrl }),
    client: demoClient(),
    describe: { mode },
  };
}

/** etcd: `options.nodes` members; reads `linearizable` (default) or `serializable` (`extra.readConsistency`). */
function etcdParts(options: RunOptions): TargetParts {
  const readConsistency = options.extra.readConsistency ?? "linearizable";
  if (readConsistency !== "linearizable" && readConsistency !== "serializable") {
    throw new UsageError(`--read-consistency must be linearizable or serializable, not ${readConsistency}`);
  }
  const client = etcdClient({ readConsistency });
  return {
    name: readConsistency === "linearizable" ? "etcd-register" : "etcd-register-serializable",
    // Namespaces when root (each member a host of its own); else proxies, which tell the dialing member by its socket's owner.
    recipe: (hooks) => etcd({ advertisePeerUrl: hooks.advertisePeerUrl }),
    network: "auto",
    client,
    describe: { target: "etcd", readConsistency, keyPrefix: client.keyPrefix },
  };
}

/** Redis: a primary and `options.nodes - 1` replicas; reads from the `primary` (default) or a `replica` (`extra.readFrom`). */
function redisParts(options: RunOptions): TargetParts {
  const readFrom = options.extra.readFrom ?? "primary";
  if (readFrom !== "primary" && readFrom !== "replica") {
    throw new UsageError(`--read-from must be primary or replica, not ${readFrom}`);
  }
  if (readFrom === "replica" && options.nodes < 2) {
    throw new UsageError(`--read-from replica needs a replica: --nodes 2 or more (got ${options.nodes})`);
  }
  const client = redisClient({ readFrom });
  return {
    name: readFrom === "primary" ? "redis-register" : "redis-register-replica-reads",
    recipe: (hooks) => redis({ replicaOfAddress: hooks.replicaOfAddress }),
    client,
    describe: { target: "redis", readFrom, keyPrefix: client.keyPrefix },
  };
}

/** PostgreSQL: one server, each op a SERIALIZABLE transaction on a fresh table. */
function postgresParts(options: RunOptions): TargetParts {
  if (options.nodes !== 1)
    throw new UsageError(`--target postgres runs 1 node (got --nodes ${options.nodes})`);
  const client = postgresClient();
  return {
    name: "postgres-register",
    recipe: () => postgres(),
    client,
    describe: { target: "postgres", isolation: "serializable", table: client.table },
  };
}

function targetParts(options: RunOptions): TargetParts {
  const target = options.extra.target ?? "demo";
  switch (target) {
    case "demo":
      return demoParts(options);
    case "etcd":
      return etcdParts(options);
    case "redis":
      return redisParts(options);
    case "postgres":
      return postgresParts(options);
    default:
      throw new UsageError(
        `unknown target ${JSON.stringify(target)} (targets: ${REGISTER_TARGETS.join(", ")})`,
      );
  }
}

export default defineTest((options) => {
  const parts = targetParts(options);
  // --nemesis kill,pause,partition,latency,clock → the fault schedule and, when network or clock
  // faults are asked for, a cluster started behind proxies / in namespaces / under libfaketime.
  const plan = nemesisForRun(options, { partitionShapes: REGISTER_PARTITION_SHAPES });
  const network = options.extra.network === undefined ? parts.network : undefined;
  return {
    name: parts.name,
    cluster: (ctx) => plan.startCluster({ recipe: parts.recipe, ctx, ...(network && { network }) }),
    client: parts.client,
    // About 200 ops/s in total: plenty of overlap, and a history the checker decides in well under a second;
    // each ok write read back at once by its own client, which races a lagging replica (see read-back.ts).
    generator: readBack(stagger(5, registerOp)),
    ...(plan.nemesis && { nemesis: plan.nemesis }),
    // A final read per key, retried (spaced, bounded) until one succeeds: right after recovery a
    // worker's connection may still be dead, and a final phase with no successful read is no evidence.
    finalGenerator: Array.from({ length: KEY_COUNT }, (_, key) =>
      untilOk(
        limit(
          FINAL_READ_ATTEMPTS_MAX,
          stagger(FINAL_READ_SPACING_MS, repeat({ f: "read", key, value: null })),
        ),
      ),
    ),
    checker: [stats(), unhandledExceptions(), linearizable({ model: kvModel })],
    describe: { workload: "register", keys: KEY_COUNT, values: VALUE_COUNT, ...parts.describe },
  };
});
