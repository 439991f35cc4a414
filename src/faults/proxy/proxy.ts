/**
 * A userspace TCP fault proxy: one listening port on 127.0.0.1 that forwards
 * every connection to a target, and can break the link in the ways a real
 * network breaks. No root needed.
 *
 * ```ts
 * await using proxy = await startProxy({ target: { host: "127.0.0.1", port: node.port }, random: rnd.fork("p1") });
 * // point the client at proxy.port instead of node.port
 * proxy.partition();            // requests and responses stall, new connections hang
 * proxy.heal();                 // everything flows again, stalled data is delivered
 * ```
 *
 * Directions: `up` is client → target, `down` is target → client. Every
 * control takes an optional `direction` (default both).
 *
 * What a client experiences, fault by fault (and why this choice):
 * - **partition / dropOneWay: stall.** The proxy stops reading from the
 *   sender, so data sits in kernel buffers and nothing reaches the receiver;
 *   the sender's writes succeed until its buffers fill, and requests hang until
 *   the client's own timeout, as with Jepsen's iptables DROP. After `heal()`
 *   the stalled bytes are delivered, as TCP retransmission delivers them after
 *   a real partition heals — so a request the client gave up on may still take
 *   effect late (an `info` op, exactly the case checkers must allow). Bytes are
 *   never discarded mid-stream, because a real TCP stream never loses bytes
 *   silently: it delivers them or dies. New connections are accepted (refusing
 *   would tell the client too much) but not forwarded: the proxy dials the
 *   target only once neither direction is dropped, as a SYN would only get
 *   through then.
 * - **loss: drop the chunk and reset the connection.** TCP hides single lost
 *   packets (it retransmits), so chunk loss on a TCP link is only visible as a
 *   broken connection: the chunk never arrives and both sides see ECONNRESET.
 *   The client cannot tell whether its request got through before — the
 *   indeterminate outcome a real lossy network produces. Which chunks are lost
 *   comes from the seeded `random` (forked per connection and direction), so a
 *   seed replays the same losses for the same traffic.
 * - **latency: per-chunk delay** of `delayMs ± jitterMs` (uniform), never
 *   reordering chunks of one connection (TCP is a byte stream).
 * - **bandwidth**: chunks leave at `bytesPerSec` on average, shared by all
 *   connections of the direction; a full queue pauses the sender (flow control).
 * - **reset**: RST on both sides of every current connection (`resetAndDestroy`).
 * - **hold / deliver / release**: buffer every chunk until told to deliver it
 *   — the deterministic message interception of Materialize's coordtest. A
 *   *message* is one chunk as read from the socket: on loopback with a
 *   request/response protocol, one request or one response (a large message
 *   may arrive as several chunks; several pipelined ones may coalesce).
 *   Held bytes are capped (`maxHeldBytes`); past the cap the connection is
 *   reset and an event reported, never buffered without bound.
 *
 * A target that refuses or resets makes the proxy reset the client's
 * connection (the client sees ECONNRESET rather than ECONNREFUSED: the proxy
 * had already accepted).
 *
 * The unfaulted path forwards each chunk as it is read, with backpressure, like
 * `pipe`: see `bench/proxy.ts` for its cost.
 */
import net, { type Server, type Socket } from "node:net";
import type { Random } from "../../random/random.js";
import { type Counters, LinkState, Stream, type StreamHost } from "./_internals/stream.js";
import type {
  Direction,
  DirectionFaults,
  Directions,
  HeldMessage,
  ProxyEvent,
  ProxyFaults,
  ProxyStats,
  ProxyTarget,
} from "./types.js";

export interface StartProxyOptions {
  /** Address to listen on. Default `127.0.0.1`: nothing outside the machine can reach the proxy. */
  readonly listenHost?: string;
  /** Port to listen on. Default 0: a free port chosen by the kernel. */
  readonly listenPort?: number;
  /** Where connections are forwarded. */
  readonly target: ProxyTarget;
  /** A label for events and errors. Default `proxy-><host>:<port>` of the target. */
  readonly name?: string;
  /**
   * The seeded stream for jitter and loss. Give each proxy its own fork; each
   * connection direction forks it again (`c<id>/up`), so connections do not
   * shift each other's draws.
   */
  readonly random: Random;
  /** Cap on bytes held by `hold()` over all connections. Default 16 MiB. */
  readonly maxHeldBytes?: number;
  /** Per connection direction: queued bytes (latency, bandwidth) above which the sender is paused. Default 4 MiB. */
  readonly maxQueuedBytes?: number;
  /** Called for resets the proxy causes by itself (loss, hold overflow, target failure). */
  readonly onEvent?: (event: ProxyEvent) => void;
  /** Bound on `close()` waiting for sockets to close. Default 5000 ms. */
  readonly closeTimeoutMs?: number;
}

export interface LatencyOptions {
  /** Added delay per chunk, ms. */
  readonly delayMs: number;
  /** Uniform jitter: each chunk waits `delayMs ± jitterMs` (never below 0). Default 0. */
  readonly jitterMs?: number;
  readonly direction?: Directions;
}

export interface LossOptions {
  /** Probability in [0, 1] that a chunk is lost (and its connection reset). 0 turns loss off. */
  readonly probability: number;
  readonly direction?: Directions;
}

export interface BandwidthOptions {
  /** Average rate, bytes per second, shared by all connections of the direction. `Infinity` lifts the limit. */
  readonly bytesPerSec: number;
  readonly direction?: Directions;
}

export interface HoldOptions {
  readonly direction?: Directions;
}

export interface ReleaseOptions {
  /**
   * Ids of held messages (see `held()`) to deliver first, in this order; the
   * rest follow in arrival order. Messages of one connection direction must
   * keep their arrival order (reordering bytes inside a TCP stream would
   * corrupt it, which no network does). Default: arrival order.
   */
  readonly order?: readonly number[];
}

export interface WaitForHeldOptions {
  /** Resolve once at least this many messages are held. */
  readonly count: number;
  readonly timeoutMs: number;
}

/** A running proxy. Dispose it (`await using`) or call `close()`. */
export interface FaultProxy extends AsyncDisposable {
  readonly name: string;
  /** The listening host. */
  readonly host: string;
  /** The listening port (the kernel's choice when `listenPort` was 0). */
  readonly port: number;
  /** `host:port` to give clients instead of the target's. */
  readonly address: string;
  readonly target: ProxyTarget;
  /** Stall both directions (see the module doc). */
  partition(): void;
  /** Stall one direction; the other keeps flowing. Adds to what is already dropped. */
  dropOneWay(direction: Direction): void;
  /** Lift `partition()` / `dropOneWay()` on the direction(s) (default both), leaving other faults in place. */
  undrop(direction?: Directions): void;
  /** Per-chunk delay; `delayMs: 0, jitterMs: 0` turns it off. */
  latency(options: LatencyOptions): void;
  /** Chunk loss, seen by clients as a reset connection. */
  loss(options: LossOptions): void;
  bandwidth(options: BandwidthOptions): void;
  /** RST every current connection, both sides. Returns how many were reset. */
  reset(): number;
  /** Start buffering every chunk of the direction(s) until delivered or released. */
  hold(options?: HoldOptions): void;
  /** The held messages, in arrival order. */
  held(): HeldMessage[];
  /** Resolves once `count` messages are held; rejects after `timeoutMs`. */
  waitForHeld(options: WaitForHeldOptions): Promise<void>;
  /** Deliver exactly the `count` oldest held messages (throws if fewer are held); holding continues. */
  deliver(count: number): void;
  /** Stop holding (all directions) and deliver every held message, in arrival order or the given order. */
  release(options?: ReleaseOptions): void;
  /** Clear every fault; held and delayed data is delivered now, stalled data flows again. */
  heal(): void;
  faults(): ProxyFaults;
  stats(): ProxyStats;
  /**
   * Take over a connection that another listener accepted, exactly as if
   * this proxy's own server had (the socket paused, nothing read yet): the
   * mesh's shared inbound address hands each connection to its dialer's link
   * proxy this way.
   */
  adopt(socket: Socket): void;
  /** Stop listening, destroy every connection, and wait until every socket has closed. Idempotent. */
  close(): Promise<void>;
}

interface HeldEntry {
  readonly id: number;
  readonly stream: Stream;
  readonly connection: Connection;
  readonly chunk: Buffer;
}

class Connection {
  upstream: Socket | undefined;
  up: Stream | undefined;
  down: Stream | undefined;
  dialed = false;
  private openSockets = 1;
  private resolveClosed!: () => void;
  readonly closed = new Promise<void>((resolve) => {
    this.resolveClosed = resolve;
  });

  constructor(
    readonly id: number,
    readonly client: Socket,
  ) {}

  socketOpened(): void {
    this.openSockets++;
  }

  /** Returns true when this was the last open socket. */
  socketClosed(): boolean {
    this.openSockets--;
    if (this.openSockets > 0) return false;
    this.up?.close();
    this.down?.close();
    this.resolveClosed();
    return true;
  }

  resetBoth(): void {
    this.up?.close();
    this.down?.close();
    resetSocket(this.client);
    if (this.upstream) resetSocket(this.upstream);
  }

  destroyBoth(): void {
    this.up?.close();
    this.down?.close();
    this.client.destroy();
    this.upstream?.destroy();
  }
}

function resetSocket(socket: Socket): void {
  if (socket.destroyed) return;
  try {
    socket.resetAndDestroy();
  } catch {
    // A socket without a handle cannot send RST; destroying it is the best left.
    socket.destroy();
  }
}

function directionsOf(directions: Directions | undefined): Direction[] {
  if (directions === undefined || directions === "both") return ["up", "down"];
  if (directions !== "up" && directions !== "down")
    throw new Error(`proxy: bad direction ${String(directions)}`);
  return [directions];
}

function newCounters(): Counters {
  return { bytesReceived: 0, bytesDelivered: 0, chunksReceived: 0 };
}

const PREVIEW_BYTES = 64;

class TcpProxy implements FaultProxy, StreamHost {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly address: string;
  readonly target: ProxyTarget;
  private readonly links: Record<Direction, LinkState> = { up: new LinkState(), down: new LinkState() };
  private readonly counters: Record<Direction, Counters> = { up: newCounters(), down: newCounters() };
  private readonly connections = new Map<number, Connection>();
  private heldEntries: HeldEntry[] = [];
  private heldBytes = 0;
  private queuedBytes = 0;
  private nextConnectionId = 1;
  private nextMessageId = 1;
  private connectionsAccepted = 0;
  private manualResets = 0;
  private lossResets = 0;
  private heldOverflowResets = 0;
  private upstreamErrors = 0;
  private heldWaiters = new Set<{ count: number; resolve: () => void }>();
  private closing: Promise<void> | undefined;
  private readonly maxHeldBytes: number;
  private readonly maxQueuedBytes: number;
  private readonly closeTimeoutMs: number;

  constructor(
    private readonly server: Server,
    private readonly options: StartProxyOptions,
    host: string,
    port: number,
  ) {
    this.host = host;
    this.port = port;
    this.address = `${host}:${port}`;
    this.target = { host: options.target.host, port: options.target.port };
    this.name = options.name ?? `proxy->${options.target.host}:${options.target.port}`;
    this.maxHeldBytes = options.maxHeldBytes ?? 16 * 1024 * 1024;
    this.maxQueuedBytes = options.maxQueuedBytes ?? 4 * 1024 * 1024;
    this.closeTimeoutMs = options.closeTimeoutMs ?? 5000;
    server.on("connection", (socket: Socket) => this.accept(socket));
  }

  // ---- connections -------------------------------------------------------

  adopt(socket: Socket): void {
    this.accept(socket);
  }

  private accept(client: Socket): void {
    if (this.closing) {
      client.destroy();
      return;
    }
    this.connectionsAccepted++;
    const connection = new Connection(this.nextConnectionId++, client);
    this.connections.set(connection.id, connection);
    client.setNoDelay(true);
    client.on("error", () => {
      // Mirror an abort by the client (RST) to the target, as the network would.
      if (connection.upstream) resetSocket(connection.upstream);
    });
    client.on("close", () => this.socketClosed(connection));
    if (!this.links.up.dropped && !this.links.down.dropped) this.dial(connection);
  }

  /** Connect to the target: only when a SYN could get through (neither direction dropped). */
  private dial(connection: Connection): void {
    if (connection.dialed || connection.client.destroyed) return;
    connection.dialed = true;
    const upstream = net.connect({
      host: this.target.host,
      port: this.target.port,
      allowHalfOpen: true,
      noDelay: true,
    });
    connection.upstream = upstream;
    connection.socketOpened();
    upstream.on("error", (error: NodeJS.ErrnoException) => {
      this.upstreamErrors++;
      this.emit({
        type: "upstream-error",
        connectionId: connection.id,
        detail: `${this.target.host}:${this.target.port}: ${error.code ?? error.message}`,
      });
      resetSocket(connection.client);
    });
    upstream.on("close", () => this.socketClosed(connection));
    connection.up = new Stream(
      this,
      connection.id,
      "up",
      this.links.up,
      connection.client,
      upstream,
      this.counters.up,
      this.maxQueuedBytes,
    );
    connection.down = new Stream(
      this,
      connection.id,
      "down",
      this.links.down,
      upstream,
      connection.client,
      this.counters.down,
      this.maxQueuedBytes,
    );
    connection.up.updateFlow();
    connection.down.updateFlow();
  }

  private socketClosed(connection: Connection): void {
    if (!connection.socketClosed()) {
      // One side is gone for good: if it went without a clean close, make sure the other follows.
      if (connection.client.destroyed && connection.upstream && !connection.upstream.destroyed) {
        if (connection.client.errored) resetSocket(connection.upstream);
      } else if (connection.upstream?.destroyed && !connection.client.destroyed) {
        if (connection.upstream.errored) resetSocket(connection.client);
      }
      return;
    }
    this.connections.delete(connection.id);
    this.dropHeldOf(connection);
  }

  private dropHeldOf(connection: Connection): void {
    if (!this.heldEntries.some((entry) => entry.connection === connection)) return;
    const kept: HeldEntry[] = [];
    for (const entry of this.heldEntries) {
      if (entry.connection === connection) {
        this.heldBytes -= entry.chunk.length;
        entry.stream.heldCount--;
      } else {
        kept.push(entry);
      }
    }
    this.heldEntries = kept;
  }

  private emit(event: Omit<ProxyEvent, "proxy">): void {
    this.options.onEvent?.({ proxy: this.name, ...event });
  }

  // ---- StreamHost ----------------------------------------------------------

  holdChunk(stream: Stream, chunk: Buffer): void {
    const connection = this.connections.get(stream.connectionId);
    if (!connection) return;
    if (this.heldBytes + chunk.length > this.maxHeldBytes) {
      this.heldOverflowResets++;
      this.emit({
        type: "held-overflow-reset",
        connectionId: connection.id,
        direction: stream.direction,
        detail: `held bytes would exceed maxHeldBytes=${this.maxHeldBytes}; connection reset`,
      });
      this.dropHeldOf(connection);
      connection.resetBoth();
      return;
    }
    this.heldEntries.push({ id: this.nextMessageId++, stream, connection, chunk });
    this.heldBytes += chunk.length;
    stream.heldCount++;
    for (const waiter of this.heldWaiters) {
      if (this.heldEntries.length >= waiter.count) waiter.resolve();
    }
  }

  lossReset(stream: Stream): void {
    const connection = this.connections.get(stream.connectionId);
    if (!connection) return;
    this.lossResets++;
    this.emit({
      type: "loss-reset",
      connectionId: connection.id,
      direction: stream.direction,
      detail: "a chunk was lost; connection reset",
    });
    this.dropHeldOf(connection);
    connection.resetBoth();
  }

  randomFor(stream: Stream): Random {
    return this.options.random.fork(`c${stream.connectionId}/${stream.direction}`);
  }

  queuedDelta(bytes: number): void {
    this.queuedBytes += bytes;
  }

  // ---- controls ------------------------------------------------------------

  /** Apply a change of link state to every live stream and dial connections waiting for the network. */
  private changed(): void {
    this.links.up.refresh();
    this.links.down.refresh();
    const canDial = !this.links.up.dropped && !this.links.down.dropped;
    for (const connection of this.connections.values()) {
      if (!connection.dialed) {
        if (canDial) this.dial(connection);
        continue;
      }
      for (const stream of [connection.up, connection.down]) {
        if (!stream) continue;
        stream.pump();
        stream.updateFlow();
      }
    }
  }

  partition(): void {
    this.links.up.dropped = true;
    this.links.down.dropped = true;
    this.changed();
  }

  dropOneWay(direction: Direction): void {
    for (const d of directionsOf(direction)) this.links[d].dropped = true;
    this.changed();
  }

  undrop(direction?: Directions): void {
    for (const d of directionsOf(direction)) this.links[d].dropped = false;
    this.changed();
  }

  latency(options: LatencyOptions): void {
    const jitterMs = options.jitterMs ?? 0;
    if (!(options.delayMs >= 0 && jitterMs >= 0 && Number.isFinite(options.delayMs + jitterMs))) {
      throw new Error(`proxy.latency: delayMs and jitterMs must be finite and >= 0`);
    }
    for (const d of directionsOf(options.direction)) {
      this.links[d].delayMs = options.delayMs;
      this.links[d].jitterMs = jitterMs;
    }
    this.changed();
  }

  loss(options: LossOptions): void {
    if (!(options.probability >= 0 && options.probability <= 1)) {
      throw new Error(`proxy.loss: probability must be in [0, 1], got ${options.probability}`);
    }
    for (const d of directionsOf(options.direction)) this.links[d].lossProbability = options.probability;
    this.changed();
  }

  bandwidth(options: BandwidthOptions): void {
    if (!(options.bytesPerSec > 0)) throw new Error(`proxy.bandwidth: bytesPerSec must be > 0`);
    for (const d of directionsOf(options.direction)) this.links[d].bytesPerSec = options.bytesPerSec;
    this.changed();
  }

  reset(): number {
    let count = 0;
    for (const connection of [...this.connections.values()]) {
      this.dropHeldOf(connection);
      connection.resetBoth();
      count++;
    }
    this.manualResets += count;
    return count;
  }

  hold(options?: HoldOptions): void {
    for (const d of directionsOf(options?.direction)) this.links[d].holding = true;
    this.changed();
  }

  held(): HeldMessage[] {
    return this.heldEntries.map((entry) => ({
      id: entry.id,
      connectionId: entry.connection.id,
      direction: entry.stream.direction,
      bytes: entry.chunk.length,
      preview: Buffer.from(entry.chunk.subarray(0, PREVIEW_BYTES)),
    }));
  }

  waitForHeld(options: WaitForHeldOptions): Promise<void> {
    if (this.heldEntries.length >= options.count) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        count: options.count,
        resolve: () => {
          clearTimeout(timer);
          this.heldWaiters.delete(waiter);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.heldWaiters.delete(waiter);
        reject(
          new Error(
            `${this.name}: ${this.heldEntries.length} of ${options.count} messages held after ${options.timeoutMs} ms`,
          ),
        );
      }, options.timeoutMs);
      this.heldWaiters.add(waiter);
    });
  }

  deliver(count: number): void {
    if (!(Number.isInteger(count) && count >= 0)) throw new Error(`proxy.deliver: bad count ${count}`);
    if (count > this.heldEntries.length) {
      throw new Error(
        `${this.name}: deliver(${count}) but only ${this.heldEntries.length} messages are held`,
      );
    }
    const batch = this.heldEntries.slice(0, count);
    this.heldEntries = this.heldEntries.slice(count);
    for (const entry of batch) this.deliverEntry(entry);
  }

  release(options?: ReleaseOptions): void {
    const order = this.releaseOrder(options?.order ?? []);
    this.links.up.holding = false;
    this.links.down.holding = false;
    this.heldEntries = [];
    for (const entry of order) this.deliverEntry(entry);
    this.changed();
  }

  private releaseOrder(ids: readonly number[]): HeldEntry[] {
    const byId = new Map(this.heldEntries.map((entry) => [entry.id, entry]));
    const chosen: HeldEntry[] = [];
    for (const id of ids) {
      const entry = byId.get(id);
      if (!entry) throw new Error(`${this.name}: release order names ${id}, which is not held`);
      byId.delete(id);
      chosen.push(entry);
    }
    const lastIdOfStream = new Map<Stream, number>();
    for (const entry of chosen) {
      const last = lastIdOfStream.get(entry.stream);
      if (last !== undefined && last > entry.id) {
        throw new Error(
          `${this.name}: release order puts message ${entry.id} after ${last} of the same connection direction; ` +
            "bytes of one TCP stream cannot be reordered",
        );
      }
      lastIdOfStream.set(entry.stream, entry.id);
    }
    const rest = this.heldEntries.filter((entry) => byId.has(entry.id));
    for (const entry of rest) {
      const last = lastIdOfStream.get(entry.stream);
      if (last !== undefined && last > entry.id) {
        throw new Error(
          `${this.name}: release order delivers message ${last} before the earlier message ${entry.id} ` +
            "of the same connection direction; list it too",
        );
      }
    }
    return [...chosen, ...rest];
  }

  private deliverEntry(entry: HeldEntry): void {
    this.heldBytes -= entry.chunk.length;
    entry.stream.heldCount--;
    entry.stream.transmit(entry.chunk);
    entry.stream.maybeEnd();
  }

  heal(): void {
    const held = this.heldEntries;
    this.heldEntries = [];
    this.links.up.clear();
    this.links.down.clear();
    for (const connection of this.connections.values()) {
      connection.up?.makeAllDue();
      connection.down?.makeAllDue();
    }
    for (const entry of held) this.deliverEntry(entry);
    this.changed();
  }

  faults(): ProxyFaults {
    return { up: describe(this.links.up), down: describe(this.links.down) };
  }

  stats(): ProxyStats {
    return {
      connectionsAccepted: this.connectionsAccepted,
      connectionsOpen: this.connections.size,
      up: { ...this.counters.up },
      down: { ...this.counters.down },
      heldMessages: this.heldEntries.length,
      heldBytes: this.heldBytes,
      queuedBytes: this.queuedBytes,
      manualResets: this.manualResets,
      lossResets: this.lossResets,
      heldOverflowResets: this.heldOverflowResets,
      upstreamErrors: this.upstreamErrors,
    };
  }

  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    openProxies.delete(this);
    const serverClosed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const waiter of this.heldWaiters) waiter.resolve();
    this.heldEntries = [];
    this.heldBytes = 0;
    const closed = [...this.connections.values()].map((connection) => {
      connection.destroyBoth();
      return connection.closed;
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), this.closeTimeoutMs);
    });
    const outcome = await Promise.race([Promise.all([serverClosed, ...closed]), timedOut]);
    clearTimeout(timer);
    if (outcome === "timeout") {
      throw new Error(
        `${this.name}: ${this.connections.size} connections still open ${this.closeTimeoutMs} ms after close()`,
      );
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function describe(link: LinkState): DirectionFaults {
  return {
    dropped: link.dropped,
    holding: link.holding,
    delayMs: link.delayMs,
    jitterMs: link.jitterMs,
    lossProbability: link.lossProbability,
    bytesPerSec: link.bytesPerSec,
  };
}

/**
 * Start a proxy listening on `listenHost:listenPort` (default 127.0.0.1, a
 * free port) that forwards to `target`. Resolves once it is listening.
 */
export async function startProxy(options: StartProxyOptions): Promise<FaultProxy> {
  const listenHost = options.listenHost ?? "127.0.0.1";
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: listenHost, port: options.listenPort ?? 0 }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  // Errors after listening (e.g. EMFILE on accept) must not crash the runner.
  server.on("error", () => {});
  const address = server.address();
  if (address === null || typeof address === "string") {
    server.close();
    throw new Error(`proxy: unexpected listening address ${String(address)}`);
  }
  const proxy = new TcpProxy(server, options, listenHost, address.port);
  openProxies.add(proxy);
  return proxy;
}

/** Proxies started and not closed yet, for leak checks. */
const openProxies = new Set<FaultProxy>();

/** The listening addresses of proxies not closed yet. */
export function openProxyAddresses(): string[] {
  return [...openProxies].map((proxy) => `${proxy.host}:${proxy.port}`);
}
