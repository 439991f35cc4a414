/**
 * One direction of one proxied connection: reads chunks from `src`, applies
 * the faults of its `LinkState`, writes them to `dst`.
 *
 * The fast path (no fault on the link, nothing queued) writes each chunk as it
 * arrives and pauses `src` while `dst` is full, exactly what `pipe` does, so
 * an unfaulted link costs one function call per chunk and no allocation.
 * Any fault switches to the slow path: hold → loss → latency/bandwidth queue →
 * write, with chunks kept in arrival order.
 */
import type { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import type { Random } from "../../../random/random.js";
import type { Direction } from "../types.js";

/** The faults configured on one direction of a proxy, shared by all its connections. */
export class LinkState {
  dropped = false;
  holding = false;
  delayMs = 0;
  jitterMs = 0;
  lossProbability = 0;
  /** `Infinity` when unlimited. */
  bytesPerSec = Number.POSITIVE_INFINITY;
  /** Bandwidth is shared by every connection of the direction: the time the link is busy until. */
  linkFreeAtMs = 0;
  /** No fault at all: streams may take the fast path. */
  clean = true;

  refresh(): void {
    this.clean =
      !this.dropped &&
      !this.holding &&
      this.delayMs === 0 &&
      this.jitterMs === 0 &&
      this.lossProbability === 0 &&
      this.bytesPerSec === Number.POSITIVE_INFINITY;
  }

  clear(): void {
    this.dropped = false;
    this.holding = false;
    this.delayMs = 0;
    this.jitterMs = 0;
    this.lossProbability = 0;
    this.bytesPerSec = Number.POSITIVE_INFINITY;
    this.linkFreeAtMs = 0;
    this.refresh();
  }
}

/** Mutable per-direction counters, summed over the proxy's connections. */
export interface Counters {
  bytesReceived: number;
  bytesDelivered: number;
  chunksReceived: number;
}

/** What a stream needs from its proxy. */
export interface StreamHost {
  /** Take a chunk into the hold buffer (or reset the connection when the buffer is full). */
  holdChunk(stream: Stream, chunk: Buffer): void;
  /** The loss fault dropped a chunk: reset the connection. */
  lossReset(stream: Stream): void;
  /** The seeded stream of random choices for this connection direction. */
  randomFor(stream: Stream): Random;
  /** Keep the proxy-wide queued-bytes figure. */
  queuedDelta(bytes: number): void;
}

interface QueuedChunk {
  chunk: Buffer;
  dueAtMs: number;
}

export class Stream {
  /** Held chunks of this stream not yet delivered (the proxy keeps the chunks). */
  heldCount = 0;
  queuedBytes = 0;
  private queue: (QueuedChunk | undefined)[] = [];
  private head = 0;
  private srcEnded = false;
  private endSent = false;
  private waitingDrain = false;
  private queueFull = false;
  private srcPaused = true;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private lastDueAtMs = 0;
  private random: Random | undefined;

  constructor(
    private readonly host: StreamHost,
    readonly connectionId: number,
    readonly direction: Direction,
    readonly link: LinkState,
    private readonly src: Socket,
    private readonly dst: Socket,
    private readonly counters: Counters,
    private readonly maxQueuedBytes: number,
  ) {
    src.on("data", this.onData);
    src.on("end", this.onEnd);
    dst.on("drain", this.onDrain);
  }

  rng(): Random {
    this.random ??= this.host.randomFor(this);
    return this.random;
  }

  private readonly onData = (chunk: Buffer): void => {
    const counters = this.counters;
    counters.bytesReceived += chunk.length;
    counters.chunksReceived++;
    if (this.link.clean && this.head === this.queue.length) {
      counters.bytesDelivered += chunk.length;
      if (!this.dst.write(chunk)) {
        this.waitingDrain = true;
        this.srcPaused = true;
        this.src.pause();
      }
      return;
    }
    if (this.link.holding) {
      this.host.holdChunk(this, chunk);
      return;
    }
    this.transmit(chunk);
  };

  private readonly onEnd = (): void => {
    this.srcEnded = true;
    this.maybeEnd();
  };

  private readonly onDrain = (): void => {
    this.waitingDrain = false;
    this.pump();
    this.updateFlow();
  };

  /**
   * Send a chunk down the rest of the slow path (loss, latency, bandwidth).
   * Called for fresh chunks and for chunks released from the hold buffer.
   */
  transmit(chunk: Buffer): void {
    if (this.closed) return;
    const link = this.link;
    if (link.lossProbability > 0 && this.rng().chance(link.lossProbability)) {
      this.host.lossReset(this);
      return;
    }
    let dueAtMs = 0;
    if (link.delayMs > 0 || link.jitterMs > 0) {
      let delayMs = link.delayMs;
      if (link.jitterMs > 0) delayMs += (this.rng().float() * 2 - 1) * link.jitterMs;
      dueAtMs = performance.now() + Math.max(0, delayMs);
    }
    // Never overtake an earlier chunk: jitter changes spacing, not order (TCP is a byte stream).
    if (dueAtMs < this.lastDueAtMs) dueAtMs = this.lastDueAtMs;
    this.lastDueAtMs = dueAtMs;
    this.queue.push({ chunk, dueAtMs });
    this.queuedBytes += chunk.length;
    this.host.queuedDelta(chunk.length);
    if (this.queuedBytes > this.maxQueuedBytes && !this.queueFull) {
      // A slow link pushes back on the sender (TCP flow control) instead of buffering without bound.
      this.queueFull = true;
      this.updateFlow();
    }
    this.pump();
  }

  /** Deliver what is due; arm a timer for the rest. */
  pump(): void {
    const link = this.link;
    while (this.head < this.queue.length) {
      if (this.closed || link.dropped || this.waitingDrain) break;
      const item = this.queue[this.head]!;
      const nowMs = performance.now();
      let sendAtMs = item.dueAtMs;
      const limited = link.bytesPerSec !== Number.POSITIVE_INFINITY;
      if (limited && link.linkFreeAtMs > sendAtMs) sendAtMs = link.linkFreeAtMs;
      if (sendAtMs > nowMs) {
        this.schedule(sendAtMs - nowMs);
        break;
      }
      this.queue[this.head] = undefined;
      this.head++;
      const bytes = item.chunk.length;
      this.queuedBytes -= bytes;
      this.host.queuedDelta(-bytes);
      if (limited) link.linkFreeAtMs = Math.max(link.linkFreeAtMs, nowMs) + (bytes * 1000) / link.bytesPerSec;
      this.counters.bytesDelivered += bytes;
      if (!this.dst.write(item.chunk)) this.waitingDrain = true;
    }
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (this.queueFull && this.queuedBytes <= this.maxQueuedBytes / 2) this.queueFull = false;
    this.maybeEnd();
    this.updateFlow();
  }

  private schedule(delayMs: number): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.pump();
      },
      Math.max(1, Math.ceil(delayMs)),
    );
  }

  /** Forward the sender's FIN once everything before it went through (and not across a partition). */
  maybeEnd(): void {
    if (!this.srcEnded || this.endSent || this.closed || this.link.dropped) return;
    if (this.head !== this.queue.length || this.heldCount > 0) return;
    this.endSent = true;
    this.dst.end();
  }

  /** Pause or resume reading from the sender to match the link's state and our buffers. */
  updateFlow(): void {
    const pause = this.closed || this.link.dropped || this.waitingDrain || this.queueFull;
    if (pause === this.srcPaused) return;
    this.srcPaused = pause;
    if (pause) this.src.pause();
    else this.src.resume();
  }

  /** The network healed: what was delayed is due now. */
  makeAllDue(): void {
    for (let i = this.head; i < this.queue.length; i++) this.queue[i]!.dueAtMs = 0;
    this.lastDueAtMs = 0;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  /** Stop everything: the connection is gone. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.host.queuedDelta(-this.queuedBytes);
    this.queuedBytes = 0;
    this.queue = [];
    this.head = 0;
    this.src.off("data", this.onData);
    this.src.off("end", this.onEnd);
    this.dst.off("drain", this.onDrain);
  }
}
