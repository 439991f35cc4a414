/**
 * The Cluster and Node interfaces: real processes, whatever starts them.
 *
 * A `Node` hides where its process runs (a local child process today; a
 * process in a network namespace or a host over SSH later), so a test written
 * against it runs against any of them unchanged.
 */

export interface Node {
  /** "n1", "n2", ...: stable across restarts. */
  readonly name: string;
  /** 0-based position in the cluster. */
  readonly index: number;
  readonly host: string;
  /** The client port. */
  readonly port: number;
  /** `host:port` of the client port. */
  readonly address: string;
  /** The client URL (`http://127.0.0.1:port`, `redis://...`, `postgres://...`). */
  readonly url: string;
  /** The pid of the running server process; undefined when it is not running. */
  readonly pid: number | undefined;
  readonly dataDir: string;
  readonly logPath: string;
  /** Recipe-specific facts (peer URL, replica of, ...). */
  readonly meta: Readonly<Record<string, unknown>>;
  /** Everything the node printed so far (stdout and stderr, interleaved). */
  logs(): Promise<string>;
  isRunning(): boolean;
  /** Send a signal to the node's process group (default SIGKILL) and wait for it to exit when the signal ends it. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** SIGSTOP the node's process group. */
  pause(): Promise<void>;
  /** SIGCONT the node's process group. */
  resume(): Promise<void>;
  /** Start a stopped or killed node again: same data dir, same ports; resolves when ready. */
  start(): Promise<void>;
  /** Stop (if running) then start. */
  restart(): Promise<void>;
  /** Graceful stop (SIGTERM, then SIGKILL after a grace period). */
  stop(): Promise<void>;
}

export interface Cluster extends AsyncDisposable {
  /** The recipe's name: "demo", "etcd", "redis", "postgres", or a user's. */
  readonly name: string;
  readonly nodes: readonly Node[];
  node(index: number): Node;
  readonly clientUrls: readonly string[];
  /** The configuration variant chosen (seeded) for this run, when the recipe has variants. */
  readonly variant: string | undefined;
  /** What a reader of the results should know about this cluster (fallbacks taken, faults it cannot cause). */
  readonly notes?: readonly string[];
  /** The current leader/primary, where the recipe can tell. */
  leader?(): Promise<Node | undefined>;
  /** Stop every node and remove temp dirs (unless kept). Idempotent. */
  stop(): Promise<void>;
}
