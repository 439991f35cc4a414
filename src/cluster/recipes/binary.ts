/**
 * The generic recipe: any server binary. You give the command line of node i
 * and a readiness probe; the fixture does ports, dirs, logs and teardown.
 *
 * ```ts
 * const server = binary({
 *   name: "my-kv",
 *   command: "./my-kv",
 *   args: (node) => ["--port", String(node.port), "--data", node.dataDir],
 *   ready: (node) => httpProbe({ url: `http://${node.host}:${node.port}/health` }),
 * });
 * await using cluster = await startCluster(server, 3);
 * ```
 */
import type { Probe } from "../probes.js";
import { tcpProbe } from "../probes.js";
import type { Launch, NodeSpec, Recipe, RecipeFaults, RecipeVariant } from "../recipe.js";

export interface BinaryOptions {
  /** The cluster's name; default "binary". */
  name?: string;
  /** The executable (a path or a name on PATH). */
  command: string;
  /** Arguments of node i; default none. */
  args?: (node: NodeSpec) => readonly string[];
  /** Environment added for every node (a function for per-node values). */
  env?: Readonly<Record<string, string>> | ((node: NodeSpec) => Readonly<Record<string, string>>);
  /** Readiness probe; default: a TCP connect to the client port. */
  ready?: (node: NodeSpec) => Probe;
  /** Client URL; default `http://host:port`. */
  url?: (node: NodeSpec) => string;
  /** Extra port names after "client" (e.g. ["peer"]); default none. */
  extraPorts?: readonly string[];
  variants?: readonly RecipeVariant[];
  startOrder?: "parallel" | "sequential";
  readyTimeoutMs?: number;
  stopGraceMs?: number;
  setup?: (node: NodeSpec) => Promise<void>;
  meta?: (node: NodeSpec) => Record<string, unknown>;
  /** What network and clock faults need to know about the system (peer addressing, clock reader, ...). */
  faults?: RecipeFaults;
}

export function binary(options: BinaryOptions): Recipe {
  return {
    name: options.name ?? "binary",
    portNames: ["client", ...(options.extraPorts ?? [])],
    variants: options.variants,
    startOrder: options.startOrder,
    readyTimeoutMs: options.readyTimeoutMs,
    stopGraceMs: options.stopGraceMs,
    setup: options.setup,
    meta: options.meta,
    ...(options.faults ? { faults: options.faults } : {}),
    launch(node): Launch {
      const env = typeof options.env === "function" ? options.env(node) : options.env;
      return { command: options.command, args: options.args?.(node) ?? [], env };
    },
    ready: (node) => options.ready?.(node) ?? tcpProbe({ host: node.host, port: node.port }),
    url: (node) => options.url?.(node) ?? `http://${node.host}:${node.port}`,
  };
}
