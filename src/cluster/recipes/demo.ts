/**
 * The demo server (src/demo): a small replicated register/kv store written
 * for Crucible, with a fixed leader n1 and a `mode` that makes it correct
 * (`linearizable`) or subtly wrong (`stale-reads`), so the checkers have
 * something to find.
 *
 * Flags: `--name n1 --port P --data-dir D --peers n2=http://127.0.0.1:P2,...
 * --leader n1 --mode M`. Ready when `GET /health` answers 2xx (it also
 * prints `READY <port>`).
 *
 * `peerUrl` lets the fault work put a proxy between nodes: it maps the URL
 * node `from` uses to reach node `to`.
 */
import { demoServerCommand } from "../../demo/launch.js";
import { httpProbe } from "../probes.js";
import type { NodeSpec, Recipe, RecipeFaults, RecipeVariant } from "../recipe.js";

export type DemoMode = "linearizable" | "stale-reads";

export interface DemoOptions {
  /** Default "linearizable". */
  mode?: DemoMode;
  /** Map the URL `from` uses to reach `to` (e.g. to a proxy's port); default the direct URL. */
  peerUrl?: (from: NodeSpec, to: NodeSpec, directUrl: string) => string;
  /** Override the server command (default: `demoServerCommand()` from src/demo/launch.ts). */
  command?: { command: string; args: readonly string[] };
  variants?: readonly RecipeVariant[];
}

export function demo(options: DemoOptions = {}): Recipe {
  let command = options.command;
  // Resolved at setup, not here: building a recipe must not touch the file system.
  const mode = options.mode ?? "linearizable";
  return {
    name: "demo",
    variants: options.variants,
    readyTimeoutMs: 20_000,
    stopGraceMs: 5_000,
    async setup() {
      command ??= demoServerCommand();
    },
    launch(node) {
      if (!command) throw new Error("demo recipe: setup() did not run");
      const peers = node.cluster.nodes
        .filter((peer) => peer.index !== node.index)
        .map((peer) => {
          const direct = `http://${peer.host}:${peer.port}`;
          return `${peer.name}=${options.peerUrl?.(node, peer, direct) ?? direct}`;
        })
        .join(",");
      const args = [
        ...command.args,
        "--name",
        node.name,
        "--port",
        String(node.port),
        "--data-dir",
        node.dataDir,
        "--leader",
        node.cluster.nodes[0]!.name,
        "--mode",
        mode,
      ];
      if (peers) args.push("--peers", peers);
      return { command: command.command, args };
    },
    ready: (node) => httpProbe({ url: `http://${node.host}:${node.port}/health` }),
    url: (node) => `http://${node.host}:${node.port}`,
    meta: (node) => ({ mode, leader: node.cluster.nodes[0]!.name }),
    async leader(cluster) {
      return cluster.nodes[0];
    },
    faults: DEMO_FAULTS,
  };
}

/** Each node is given its own URL for each peer; `GET /clock` tells the wall clock; it binds 127.0.0.1 unless told. */
const DEMO_FAULTS: RecipeFaults = {
  peerAddressing: "per-peer",
  bindHost: (node, launch) =>
    launch.args.includes("--host") ? launch : { ...launch, args: [...launch.args, "--host", node.host] },
  async readClockMs(node, signal) {
    const response = await fetch(`${node.url}/clock`, { signal });
    if (!response.ok) return undefined;
    const body = (await response.json()) as { wallMs?: unknown };
    return typeof body.wallMs === "number" ? body.wallMs : undefined;
  },
};
