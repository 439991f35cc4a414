/**
 * Public types of the userspace TCP fault proxy. See `proxy.ts` for what each
 * fault does to a real TCP client and why.
 */

/**
 * One direction of a proxied link. `up` is client → target (requests), `down`
 * is target → client (responses).
 */
export type Direction = "up" | "down";

/** A direction, or both (the default of every per-direction control). */
export type Directions = Direction | "both";

export interface ProxyTarget {
  readonly host: string;
  readonly port: number;
}

/** Something worth reporting that the proxy did on its own (a reset it caused). */
export interface ProxyEvent {
  /** `unidentified-dialer`: a mesh's shared inbound address could not tell who dialed, and reset the connection. */
  readonly type: "loss-reset" | "held-overflow-reset" | "upstream-error" | "unidentified-dialer";
  readonly proxy: string;
  readonly connectionId: number;
  readonly direction?: Direction;
  readonly detail: string;
}

/** A message held by `hold()`: one chunk as read from the socket. */
export interface HeldMessage {
  /** Proxy-wide sequence number, in arrival order; what `release({ order })` takes. */
  readonly id: number;
  readonly connectionId: number;
  readonly direction: Direction;
  readonly bytes: number;
  /** Up to the first 64 bytes, for display and for tests that pick a message by content. */
  readonly preview: Buffer;
}

export interface DirectionStats {
  /** Bytes read from the sending side. */
  readonly bytesReceived: number;
  /** Bytes handed to the receiving side. */
  readonly bytesDelivered: number;
  /** Chunks read from the sending side. */
  readonly chunksReceived: number;
}

export interface ProxyStats {
  readonly connectionsAccepted: number;
  readonly connectionsOpen: number;
  readonly up: DirectionStats;
  readonly down: DirectionStats;
  /** Messages currently held by `hold()`. */
  readonly heldMessages: number;
  readonly heldBytes: number;
  /** Bytes waiting in latency/bandwidth queues. */
  readonly queuedBytes: number;
  /** Connections reset by `reset()`. */
  readonly manualResets: number;
  /** Connections reset because `loss()` dropped one of their chunks. */
  readonly lossResets: number;
  /** Connections reset because held data went past `maxHeldBytes`. */
  readonly heldOverflowResets: number;
  /** Connections whose target side failed (refused, reset by the target). */
  readonly upstreamErrors: number;
}

/** The faults currently active on one direction, as plain data (for journaling). */
export interface DirectionFaults {
  readonly dropped: boolean;
  readonly holding: boolean;
  readonly delayMs: number;
  readonly jitterMs: number;
  readonly lossProbability: number;
  /** `Infinity` when unlimited. */
  readonly bytesPerSec: number;
}

export interface ProxyFaults {
  readonly up: DirectionFaults;
  readonly down: DirectionFaults;
}
