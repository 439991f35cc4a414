/**
 * A recipe says how to run one kind of server as a cluster of real processes:
 * which ports each node needs, the command line of node i, when a node is
 * ready, and (optionally) a one-time setup and how to find the leader.
 *
 * The fixture ({@link ./fixture.ts}) does everything else the same way for
 * every recipe: temp dirs, free ports (retrying on "address already in use"),
 * process groups, logs, readiness deadlines, restart, teardown, no orphans.
 * Recipes are plain objects, so a user's own recipe is as capable as ours:
 * start with `binary(...)`, or write a `Recipe` by hand.
 */

import type { Probe } from "./probes.js";
import type { NodeTls } from "./tls.js";
import type { Cluster, Node } from "./types.js";

/** One configuration variant of a recipe; the fixture picks one with the seed. */
export interface RecipeVariant {
  /** Printed and stored as `cluster.variant`; pass it back as `options.variant` to replay. */
  readonly name: string;
  /** What is different, in words. */
  readonly description?: string;
  /** Extra server arguments this variant adds (recipes may also read the name). */
  readonly args?: readonly string[];
  /** Extra environment this variant adds. */
  readonly env?: Readonly<Record<string, string>>;
}

/** What a recipe knows about one node while planning it. */
export interface NodeSpec {
  /** "n1", "n2", ... */
  readonly name: string;
  readonly index: number;
  readonly host: string;
  /** Ports by the recipe's `portNames`; the first name is the client port. */
  readonly ports: Readonly<Record<string, number>>;
  /** The client port (`ports[portNames[0]]`). */
  readonly port: number;
  /** The node's own temp dir (0700); the data dir is inside it. */
  readonly dir: string;
  readonly dataDir: string;
  readonly logPath: string;
  readonly cluster: ClusterSpec;
  /** The node's TLS files when the cluster runs with TLS on (`{ tls: true }`); the recipe turns it on. */
  readonly tls?: NodeTls;
}

/** What a recipe knows about the whole cluster while planning a node. */
export interface ClusterSpec {
  readonly recipe: string;
  readonly size: number;
  readonly nodes: readonly NodeSpec[];
  /** The cluster's temp dir (0700). */
  readonly runDir: string;
  readonly variant: RecipeVariant | undefined;
  /** A string unique to this cluster start (seeded), e.g. for etcd's cluster token. */
  readonly token: string;
}

/** How to exec a node's server. */
export interface Launch {
  readonly command: string;
  readonly args: readonly string[];
  /** Added to the runner's environment (before the user's per-node overrides). */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
}

/**
 * How a node addresses its peers, which decides what a proxy mesh between
 * the nodes can cut: `"per-peer"` when each node is told its own address for
 * each peer (every link, one-way too, can be cut), `"per-node"` when a node
 * advertises one address to all its peers (a node can only be cut off as a
 * whole, one way), `"none"` when node-to-node traffic cannot be proxied.
 */
export type PeerAddressing = "per-peer" | "per-node" | "none";

/**
 * What network and clock faults need to know about a recipe. All optional: a
 * recipe without them still gets client-link faults, and clock faults it
 * cannot verify are reported `unknown`. Ours fill them in (demo, Redis, etcd);
 * so can a user's own recipe.
 */
export interface RecipeFaults {
  /** How the recipe's nodes address their peers, for the proxy mesh. Default `"none"`. */
  readonly peerAddressing?: PeerAddressing;
  /** Which nodes open connections to which (`from` dials `to`); default every ordered pair. Redis: replicas dial n1. */
  dials?(nodeNames: readonly string[]): readonly { readonly from: string; readonly to: string }[];
  /**
   * The launch of a node that must listen on its own host, not loopback: in
   * a network namespace a server bound to 127.0.0.1 cannot be reached.
   * Default: the launch unchanged (the server already binds `node.host`).
   */
  bindHost?(node: NodeSpec, launch: Launch): Launch;
  /** Read a node's wall clock in ms since the epoch, to verify clock faults; undefined when it cannot tell. */
  readClockMs?(node: Node, signal: AbortSignal): Promise<number | undefined>;
}

/**
 * A ready connection of the system's own kind for tests (a `pg` client, an
 * etcd key-value client, a RESP connection): what `server.client()` gives.
 */
export interface RecipeConnector<C> {
  /** Open a connection to `node`, over TLS when the node has it (`node.meta.tls`). */
  connect(node: Node): Promise<C>;
  /** Close it; must not throw and must not wait long on a dead or paused server. */
  close(connection: C): Promise<void>;
}

export interface Recipe<C = unknown> {
  /** "etcd", "redis", ...: the cluster's name. */
  readonly name: string;
  /** True when the recipe starts its servers with TLS on when the node spec has `tls`. */
  readonly tls?: boolean;
  /** Ready connections for tests ({@link RecipeConnector}); `sql` marks a SQL server (`server.sqlConn()`). */
  readonly connector?: RecipeConnector<C> & { readonly sql?: boolean };
  /** Names of the ports each node needs; the first is the client port. Default `["client"]`. */
  readonly portNames?: readonly string[];
  /** Configuration variants to choose from with the seed; none means no choice. */
  readonly variants?: readonly RecipeVariant[];
  /**
   * "parallel" starts all nodes at once and waits for all (etcd needs a
   * quorum to answer); "sequential" waits for each before the next (a Redis
   * replica after its primary). Default "parallel".
   */
  readonly startOrder?: "parallel" | "sequential";
  /** Readiness timeout when the options give none. Default 30 s. */
  readonly readyTimeoutMs?: number;
  /** Grace between SIGTERM and SIGKILL in `node.stop()`. Default 10 s. */
  readonly stopGraceMs?: number;
  /**
   * How `cluster.stop()` ends a node: this signal, then SIGKILL after
   * `graceMs`. Default: SIGKILL at once (a quorum-less etcd takes ~7 s on
   * SIGTERM). PostgreSQL uses SIGQUIT (immediate shutdown), which still frees
   * its shared memory, where SIGKILL would leak it.
   */
  readonly teardown?: { readonly signal: NodeJS.Signals; readonly graceMs: number };
  /**
   * How many nodes a run starts when the user does not say (`--nodes`):
   * PostgreSQL runs one, the replicated systems three. Default 3.
   */
  readonly defaultSize?: number;
  /** Throw (with a sentence) when the recipe cannot run `size` nodes. */
  checkSize?(size: number): void;
  /** Called once per node before its first start (e.g. `initdb`); the dirs exist. */
  setup?(node: NodeSpec): Promise<void>;
  /** The command line of a node; called at every (re)start. */
  launch(node: NodeSpec): Launch;
  /** The readiness probe of a node. */
  ready(node: NodeSpec): Probe;
  /** The node's client URL. */
  url(node: NodeSpec): string;
  /** Recipe-specific facts published as `node.meta`. */
  meta?(node: NodeSpec): Record<string, unknown>;
  /** The current leader or primary, where the recipe can tell. */
  leader?(cluster: Cluster): Promise<Node | undefined>;
  /** What network and clock faults need to know about this system. */
  readonly faults?: RecipeFaults;
}
