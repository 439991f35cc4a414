/**
 * One demo node: its store, its log, and what it does with an op depending on
 * its role and the cluster's mode. The HTTP layer is in `server.ts`.
 *
 * How an op is made linearizable on the leader. The leader keeps two views of
 * the store: `data`, exactly what is durable (fsynced), and an overlay of
 * writes appended to the log but not yet fsynced. Ops are evaluated in arrival
 * order against the newest view (overlay over data), which fixes their order;
 * an op is *answered* only once everything it depends on is durable: a write
 * or successful cas once its own record is, a read or failed cas once every
 * record appended before it is. So no client ever observes a write that a
 * crash could still erase, and a kill -9 loses only unacknowledged writes,
 * whose clients saw a broken connection (an `info` op: may or may not have
 * happened). Replication sends only durable entries, so followers never hold
 * anything the leader could lose.
 *
 * Roles: the leader is static (`--leader`), there is no election; while it is
 * down, ops fail (connection refused) or time out, which is still
 * linearizable. In `linearizable` mode followers forward every op to the
 * leader. In `stale-reads` mode followers forward writes and cas but answer
 * reads from their local copy, which lags the leader: the anomaly a checker
 * must find.
 */
import type { Agent } from "node:http";
import { PostError, peerAgent, postJson } from "./http.js";
import type {
  DemoMode,
  ErrorResponse,
  FollowerProgress,
  LogEntry,
  OpRequest,
  OpResponse,
  ReplicateRequest,
  ReplicateResponse,
  StateResponse,
} from "./protocol.js";
import { type ReplicationSource, Replicator, type TimedEntry } from "./replicator.js";
import { recover, WriteAheadLog } from "./wal.js";

export interface DemoNodeOptions {
  name: string;
  dataDir: string;
  /** Every other node and the URL this node uses to reach it (possibly a proxy). */
  peers: ReadonlyMap<string, URL>;
  leader: string;
  mode: DemoMode;
  /** Hold entries back this long before replicating them (default 0). */
  replicationDelayMs?: number;
  /** Hold entries back until the leader's logical clock advanced this many ticks (default 0 = off). */
  replicationDelayTicks?: number;
  /** Leader → idle follower heartbeat interval (default 200 ms). */
  heartbeatMs?: number;
  /** How long a follower waits for the leader's answer to a forwarded op (default 5000 ms). */
  forwardTimeoutMs?: number;
  /** Per replication request (default 2000 ms). */
  replicationTimeoutMs?: number;
  /** Compact the log past this size (default 64 MiB). */
  maxLogBytes?: number;
  /** Entries the leader keeps in memory for followers that fall behind (default 10,000); older ones go by snapshot. */
  replicationWindowEntries?: number;
  log: (line: string) => void;
  /** The log could not be written: the process must stop (its durable state is unknown). */
  onFatal: (error: Error) => void;
}

/** An HTTP status and JSON body, for the server to send. */
export interface Reply {
  status: number;
  body: OpResponse | ErrorResponse | string;
}

const MAX_FORWARD_RESPONSE_BYTES = 4 * 1024 * 1024;
const MAX_FORWARD_SOCKETS = 64;
const MAX_BATCH_ENTRIES = 1024;

interface Waiter {
  index: number;
  resolve: () => void;
}

export class DemoNode implements ReplicationSource {
  readonly name: string;
  readonly leaderName: string;
  readonly mode: DemoMode;
  readonly replicationDelayMs: number;
  readonly replicationDelayTicks: number;
  readonly #options: DemoNodeOptions;
  readonly #wal: WriteAheadLog;
  /** The durable store. */
  #data: Map<string, unknown>;
  /** Appended, not yet durable: key → the newest such record. */
  readonly #overlay = new Map<string, LogEntry>();
  #lastIndex: number;
  #durableIndex: number;
  #snapshotIndex: number;
  /** Waiters for durability, in non-decreasing index order (ops wait on the log tail at their arrival). */
  #waiters: Waiter[] = [];
  #waitersHead = 0;
  /** Leader: the replication window. */
  #recent: TimedEntry[] = [];
  #recentFirstIndex: number;
  readonly #windowEntries: number;
  readonly #replicators = new Map<string, Replicator>();
  /** Follower: replication requests are handled one at a time, in order. */
  #replicateChain: Promise<unknown> = Promise.resolve();
  readonly #leaderUrl: URL | undefined;
  readonly #leaderAgent: Agent | undefined;
  #logicalClock = 0;

  private constructor(
    options: DemoNodeOptions,
    wal: WriteAheadLog,
    recovered: Awaited<ReturnType<typeof recover>>,
  ) {
    this.#options = options;
    this.name = options.name;
    this.leaderName = options.leader;
    this.mode = options.mode;
    this.replicationDelayMs = options.replicationDelayMs ?? 0;
    this.replicationDelayTicks = options.replicationDelayTicks ?? 0;
    this.#wal = wal;
    this.#data = recovered.data;
    this.#lastIndex = recovered.lastIndex;
    this.#durableIndex = recovered.lastIndex;
    this.#snapshotIndex = recovered.snapshotIndex;
    this.#windowEntries = options.replicationWindowEntries ?? 10_000;
    const retained = recovered.entries.slice(-this.#windowEntries);
    this.#recent = retained.map((entry) => ({
      ...entry,
      durableAtMs: Number.NEGATIVE_INFINITY,
      durableAtTick: Number.NEGATIVE_INFINITY,
    }));
    this.#recentFirstIndex = recovered.lastIndex - retained.length + 1;
    if (this.isLeader) {
      this.#leaderUrl = undefined;
      this.#leaderAgent = undefined;
    } else {
      const url = options.peers.get(options.leader);
      if (url === undefined) throw new Error(`leader ${options.leader} is not among the peers`);
      this.#leaderUrl = new URL("/op", url);
      this.#leaderAgent = peerAgent(MAX_FORWARD_SOCKETS);
    }
  }

  /** Recover from the data dir, open the log, and (on the leader) start replicating. */
  static async start(options: DemoNodeOptions): Promise<DemoNode> {
    const recovered = await recover(options.dataDir);
    if (recovered.tornBytes > 0) {
      options.log(`truncated a torn log tail of ${recovered.tornBytes} bytes`);
    }
    options.log(
      `recovered ${recovered.entries.length} log entries after snapshot ${recovered.snapshotIndex}; last index ${recovered.lastIndex}`,
    );
    let node: DemoNode | undefined;
    const wal = await WriteAheadLog.open({
      dir: options.dataDir,
      ...(options.maxLogBytes === undefined ? {} : { maxLogBytes: options.maxLogBytes }),
      onDurable: (entries) => {
        if (node !== undefined) node.#onDurable(entries);
      },
      snapshotSource: () => node!.#compacting(),
      onFatal: options.onFatal,
    });
    node = new DemoNode(options, wal, recovered);
    if (node.isLeader) node.#startReplicators();
    return node;
  }

  get isLeader(): boolean {
    return this.name === this.leaderName;
  }

  get role(): "leader" | "follower" {
    return this.isLeader ? "leader" : "follower";
  }

  // ---- ops -------------------------------------------------------------------------------------

  /**
   * Handle a validated op. `forwarded`: it came from a follower, so this node
   * must be the leader (never forward twice). `signal` fires when the client
   * goes away, so a forward in flight is abandoned.
   */
  async handleOp(op: OpRequest, context: { forwarded: boolean; signal: AbortSignal }): Promise<Reply> {
    if (this.isLeader) return { status: 200, body: await this.#leaderOp(op) };
    if (context.forwarded) {
      return this.#error(503, "fail", `not the leader (the leader is ${this.leaderName})`);
    }
    if (op.f === "read" && this.mode === "stale-reads") {
      return { status: 200, body: { type: "ok", value: this.#latest(String(op.key)), node: this.name } };
    }
    return this.#forward(op, context.signal);
  }

  async #leaderOp(op: OpRequest): Promise<OpResponse> {
    const key = String(op.key);
    switch (op.f) {
      case "read": {
        const value = this.#latest(key);
        await this.#waitDurable(this.#lastIndex);
        return { type: "ok", value, node: this.name };
      }
      case "write": {
        await this.#waitDurable(this.#propose(key, op.value));
        return { type: "ok", value: op.value, node: this.name };
      }
      case "cas": {
        const [expected, replacement] = op.value as [unknown, unknown];
        const current = this.#latest(key);
        if (!sameValue(current, expected)) {
          // The answer depends on writes that may not be durable yet: wait for them too.
          await this.#waitDurable(this.#lastIndex);
          return { type: "fail", value: op.value, node: this.name, error: "compare failed" };
        }
        await this.#waitDurable(this.#propose(key, replacement));
        return { type: "ok", value: op.value, node: this.name };
      }
    }
  }

  async #forward(op: OpRequest, signal: AbortSignal): Promise<Reply> {
    const timeoutMs = this.#options.forwardTimeoutMs ?? 5000;
    try {
      const result = await postJson({
        url: this.#leaderUrl!,
        body: JSON.stringify(op),
        agent: this.#leaderAgent!,
        timeoutMs,
        signal,
        maxResponseBytes: MAX_FORWARD_RESPONSE_BYTES,
        headers: { "x-forwarded-by": this.name },
      });
      // The leader's answer, passed through as is (it names itself as the node that answered).
      return { status: result.status, body: result.body };
    } catch (error) {
      if (!(error instanceof PostError)) throw error;
      const { kind, message } = error.failure;
      const leader = this.leaderName;
      if (kind === "refused") return this.#error(503, "fail", `leader ${leader} unreachable: ${message}`);
      if (kind === "timeout") return this.#error(504, "info", `leader ${leader} did not answer: ${message}`);
      return this.#error(502, "info", `forwarding to leader ${leader} broke: ${message}`);
    }
  }

  #error(status: number, type: "fail" | "info", error: string): Reply {
    return { status, body: { type, error, node: this.name } };
  }

  /** The newest value of a key, durable or not; `null` when never written. */
  #latest(key: string): unknown {
    const pending = this.#overlay.get(key);
    if (pending !== undefined) return pending.v;
    return this.#data.has(key) ? this.#data.get(key) : null;
  }

  #propose(key: string, value: unknown): number {
    const entry: LogEntry = { i: ++this.#lastIndex, k: key, v: value };
    this.#overlay.set(key, entry);
    this.#wal.append(entry);
    return entry.i;
  }

  #waitDurable(index: number): Promise<void> {
    if (index <= this.#durableIndex) return Promise.resolve();
    return new Promise((resolve) => {
      this.#waiters.push({ index, resolve });
    });
  }

  #onDurable(entries: LogEntry[]): void {
    const nowMs = performance.now();
    for (const entry of entries) {
      this.#data.set(entry.k, entry.v);
      if (this.#overlay.get(entry.k) === entry) this.#overlay.delete(entry.k);
      if (this.isLeader)
        this.#recent.push({ ...entry, durableAtMs: nowMs, durableAtTick: this.#logicalClock });
    }
    this.#durableIndex = entries[entries.length - 1]!.i;
    this.#trimWindow();
    this.#resolveWaiters(false);
    for (const replicator of this.#replicators.values()) replicator.notify();
  }

  #resolveWaiters(all: boolean): void {
    const waiters = this.#waiters;
    let head = this.#waitersHead;
    while (head < waiters.length && (all || waiters[head]!.index <= this.#durableIndex)) {
      waiters[head]!.resolve();
      head++;
    }
    // Compact the queue now and then rather than shifting on every resolve.
    if (head > 1024 && head * 2 > waiters.length) {
      this.#waiters = waiters.slice(head);
      head = 0;
    }
    this.#waitersHead = head;
  }

  #trimWindow(): void {
    const excess = this.#recent.length - this.#windowEntries;
    // Trim in chunks (amortized O(1) per entry), keeping at least the window.
    if (excess > this.#windowEntries / 2) {
      this.#recent.splice(0, excess);
      this.#recentFirstIndex += excess;
    }
  }

  #compacting(): { index: number; data: Map<string, unknown> } {
    this.#snapshotIndex = this.#durableIndex;
    return { index: this.#durableIndex, data: this.#data };
  }

  // ---- replication: leader side ----------------------------------------------------------------

  #startReplicators(): void {
    for (const [follower, url] of this.#options.peers) {
      const replicator = new Replicator(this, {
        follower,
        url,
        delayMs: this.replicationDelayMs,
        delayTicks: this.replicationDelayTicks,
        heartbeatMs: this.#options.heartbeatMs ?? 200,
        timeoutMs: this.#options.replicationTimeoutMs ?? 2000,
        maxBatchEntries: MAX_BATCH_ENTRIES,
        log: this.#options.log,
      });
      this.#replicators.set(follower, replicator);
      replicator.start();
    }
  }

  durableIndex(): number {
    return this.#durableIndex;
  }

  firstRetainedIndex(): number {
    return this.#recentFirstIndex;
  }

  entryAt(index: number): TimedEntry | undefined {
    if (index > this.#durableIndex) return undefined;
    return this.#recent[index - this.#recentFirstIndex];
  }

  durableSnapshot(): { index: number; data: [string, unknown][] } {
    return { index: this.#durableIndex, data: [...this.#data] };
  }

  // ---- replication: follower side --------------------------------------------------------------

  /** Apply a leader's request; requests are serialized so the log only ever grows in order. */
  handleReplicate(request: ReplicateRequest): Promise<ReplicateResponse> {
    const run = this.#replicateChain.then(() => this.#applyReplicate(request));
    this.#replicateChain = run.catch(() => undefined);
    return run;
  }

  async #applyReplicate(request: ReplicateRequest): Promise<ReplicateResponse> {
    if (request.snapshot !== undefined) {
      const { index, data } = request.snapshot;
      const store = new Map(data);
      await this.#wal.installSnapshot(index, store);
      this.#data = store;
      this.#overlay.clear();
      this.#lastIndex = index;
      this.#durableIndex = index;
      this.#snapshotIndex = index;
      this.#resolveWaiters(true);
      this.#options.log(`installed a snapshot at index ${index} from ${request.leader}`);
      return { ok: true, lastIndex: index };
    }
    let ok = true;
    for (const entry of request.entries) {
      if (entry.i <= this.#lastIndex) continue; // Already have it: a resend after a timeout.
      if (entry.i !== this.#lastIndex + 1) {
        ok = false; // A gap: the leader must resend from our last index.
        break;
      }
      this.#propose(entry.k, entry.v);
    }
    await this.#waitDurable(this.#lastIndex);
    return { ok, lastIndex: this.#durableIndex };
  }

  // ---- introspection ---------------------------------------------------------------------------

  /** Advance the logical clock; entries held back by `replicationDelayTicks` may now go out. */
  tick(n: number): void {
    this.#logicalClock += n;
    for (const replicator of this.#replicators.values()) replicator.notify();
  }

  logicalClock(): number {
    return this.#logicalClock;
  }

  clock(): { name: string; logical: number; wallMs: number } {
    return { name: this.name, logical: this.#logicalClock, wallMs: Date.now() };
  }

  state(): StateResponse {
    const keys = [...this.#data.keys()].sort();
    const data: Record<string, unknown> = {};
    for (const key of keys) data[key] = this.#data.get(key);
    let replication: Record<string, FollowerProgress> | undefined;
    if (this.isLeader) {
      replication = {};
      for (const [follower, replicator] of this.#replicators) replication[follower] = replicator.progress();
    }
    return {
      name: this.name,
      role: this.role,
      mode: this.mode,
      leader: this.leaderName,
      lastIndex: this.#lastIndex,
      durableIndex: this.#durableIndex,
      snapshotIndex: this.#snapshotIndex,
      data,
      clock: { logical: this.#logicalClock, wallMs: Date.now() },
      replication,
      replicationDelayMs: this.replicationDelayMs,
      replicationDelayTicks: this.replicationDelayTicks,
    };
  }

  /** Stop replicating, flush the log, release connections. */
  async close(): Promise<void> {
    await Promise.all([...this.#replicators.values()].map((replicator) => replicator.stop()));
    await this.#wal.close();
    this.#leaderAgent?.destroy();
  }
}

/** Value equality for cas: structural, via JSON (so `[1,2]` equals `[1,2]`; `null` is "no value"). */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}
