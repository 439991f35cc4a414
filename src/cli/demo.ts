/**
 * `crucible demo`: start a real cluster with the fixtures and keep it up
 * until Ctrl-C, printing for each node its address, data dir, log and a
 * ready-to-paste client command (CockroachDB's `cockroach demo`, built on
 * TestServer the same way).
 *
 *   crucible demo                       # 3 demo-server nodes
 *   crucible demo --target etcd         # 3 etcd members
 *   crucible demo --target redis -n 2   # primary + 1 replica
 *   crucible demo --target postgres --keep
 */
import { type Command, InvalidArgumentError, Option } from "commander";
import { type LocalCluster, startCluster } from "../cluster/fixture.js";
import type { Recipe } from "../cluster/recipe.js";
import { demo } from "../cluster/recipes/demo.js";
import { etcd } from "../cluster/recipes/etcd.js";
import { postgres } from "../cluster/recipes/postgres.js";
import { redis } from "../cluster/recipes/redis.js";
import type { Node } from "../cluster/types.js";
import { UsageError } from "../errors/index.js";
import { parseSeed } from "../random/random.js";

export const DEMO_TARGETS = ["demo", "etcd", "redis", "postgres"] as const;
export type DemoTarget = (typeof DEMO_TARGETS)[number];

/** Nodes started when `--nodes` is not given. */
export const DEFAULT_NODES: Readonly<Record<DemoTarget, number>> = {
  demo: 3,
  etcd: 3,
  redis: 2,
  postgres: 1,
};

/** Largest `--nodes`: a demo on a laptop, not a load test. */
export const MAX_DEMO_NODES = 9;

export interface DemoOptions {
  target: DemoTarget;
  nodes?: number;
  keep?: boolean;
  seed?: number;
  /** Variant name to force (replay). */
  variant?: string;
  /** Resolves the wait early (tests); otherwise the demo waits for SIGINT or SIGTERM. */
  signal?: AbortSignal;
  /** Where to print; default stdout. */
  out?: (line: string) => void;
  /** Called once the cluster is up (tests read the nodes from here). */
  onReady?: (cluster: LocalCluster) => void;
}

function recipeFor(target: DemoTarget): Recipe {
  switch (target) {
    case "demo":
      return demo();
    case "etcd":
      return etcd();
    case "redis":
      return redis();
    case "postgres":
      return postgres();
  }
}

/** A command a person can paste to talk to `node`. */
export function clientCommand(target: DemoTarget, node: Node, cluster: LocalCluster): string {
  switch (target) {
    case "demo":
      return (
        `curl -s -X POST ${node.url}/op -H 'content-type: application/json' ` +
        `-d '{"f":"write","key":"x","value":1}'`
      );
    case "etcd":
      return `ETCDCTL_API=3 etcdctl --endpoints=${cluster.clientUrls.join(",")} put x 1   # or: get x`;
    case "redis":
      return `redis-cli -h ${node.host} -p ${node.port}${node.index === 0 ? "" : "   # replica: read-only"}`;
    case "postgres":
      return `psql -h ${node.host} -p ${node.port} -U postgres postgres`;
  }
}

function waitForStop(signal: AbortSignal | undefined): Promise<NodeJS.Signals | "aborted"> {
  return new Promise((resolve) => {
    // Servers and the watchdog are unref'd and signal listeners do not hold the event loop: this timer does.
    const keepAlive = setInterval(() => {}, 2 ** 30);
    const finish = (how: NodeJS.Signals | "aborted") => {
      clearInterval(keepAlive);
      process.removeListener("SIGINT", onInt);
      process.removeListener("SIGTERM", onTerm);
      signal?.removeEventListener("abort", onAbort);
      resolve(how);
    };
    const onInt = () => finish("SIGINT");
    const onTerm = () => finish("SIGTERM");
    const onAbort = () => finish("aborted");
    process.on("SIGINT", onInt);
    process.on("SIGTERM", onTerm);
    if (signal?.aborted) finish("aborted");
    else signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Start the cluster, print how to reach it, wait for Ctrl-C (or `signal`), stop everything. */
export async function runDemo(options: DemoOptions): Promise<void> {
  const out = options.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const size = options.nodes ?? DEFAULT_NODES[options.target];
  const cluster = await startCluster(recipeFor(options.target), size, {
    keep: options.keep,
    seed: options.seed,
    variant: options.variant,
    log: out,
  });
  try {
    const variant = cluster.variant ? `, variant "${cluster.variant}"` : "";
    out(
      `crucible demo: ${cluster.name}, ${size} node${size === 1 ? "" : "s"} (seed ${cluster.seed}${variant})`,
    );
    for (const node of cluster.nodes) {
      const role = typeof node.meta.role === "string" ? `  ${node.meta.role}` : "";
      out(`  ${node.name}  ${node.url}  pid ${node.pid}${role}`);
      out(`      data  ${node.dataDir}`);
      out(`      log   ${node.logPath}`);
      out(`      try   ${clientCommand(options.target, node, cluster)}`);
    }
    out(`Press Ctrl-C to stop everything${options.keep ? ` (the dir ${cluster.runDir} is kept)` : ""}.`);
    options.onReady?.(cluster);
    const how = await waitForStop(options.signal);
    out(`crucible demo: ${how === "aborted" ? "stopping" : `${how}: stopping`}`);
  } finally {
    await cluster.stop();
  }
  out("crucible demo: stopped");
}

function parseNodes(text: string): number {
  const nodes = Number(text);
  if (!/^\d+$/.test(text) || nodes < 1 || nodes > MAX_DEMO_NODES) {
    throw new InvalidArgumentError(`must be an integer from 1 to ${MAX_DEMO_NODES}`);
  }
  return nodes;
}

function parseSeedOption(text: string): number {
  const seed = parseSeed(text);
  if (seed === undefined) throw new InvalidArgumentError("must be a non-negative integer");
  return seed;
}

export function registerDemoCommand(program: Command): void {
  program
    .command("demo")
    .description("start a real cluster (demo server, etcd, Redis or PostgreSQL) and keep it up until Ctrl-C")
    .addOption(new Option("--target <system>", "what to start").choices(DEMO_TARGETS).default("demo"))
    .option("-n, --nodes <n>", "number of nodes (default: demo 3, etcd 3, redis 2, postgres 1)", parseNodes)
    .option("--keep", "keep the temp dirs (data and logs) after stopping", false)
    .option("--seed <n>", "seed for the configuration variant", parseSeedOption)
    .option("--variant <name>", "force a configuration variant (as printed by an earlier run)")
    .action(
      async (flags: {
        target: DemoTarget;
        nodes?: number;
        keep: boolean;
        seed?: number;
        variant?: string;
      }) => {
        if (flags.target === "postgres" && flags.nodes !== undefined && flags.nodes !== 1) {
          throw new UsageError("--target postgres runs 1 node");
        }
        await runDemo({
          target: flags.target,
          nodes: flags.nodes,
          keep: flags.keep,
          seed: flags.seed,
          variant: flags.variant,
        });
      },
    );
}
