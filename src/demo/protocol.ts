/**
 * The demo server's wire protocol: HTTP/1.1 with JSON bodies, so a person can
 * drive a node with curl and the client stays a thin mapping.
 *
 * Client endpoints (any node):
 * - `POST /op` with an {@link OpRequest} → 200 {@link OpResponse} (`ok`, or
 *   `fail` when a compare-and-set did not match: it did not take effect).
 *   Errors carry an {@link ErrorResponse} whose `type` tells the client what
 *   it may conclude: `fail` (503, 400: the op certainly did not happen) or
 *   `info` (504, 502, 500: it may or may not have happened).
 * - `GET /health` → {@link HealthResponse}.
 * - `GET /state` → {@link StateResponse}: the node's store, role, log
 *   position and replication progress (datadriven's `print-state`).
 * - `GET /clock` and `POST /clock/tick {"n":1}` → {@link ClockResponse}: the
 *   node's logical clock (datadriven's `tick`) and its process wall clock, so a
 *   clock fault (libfaketime) can be verified from outside.
 *
 * Internal endpoint (leader → follower): `POST /replicate` with a
 * {@link ReplicateRequest} → {@link ReplicateResponse}.
 *
 * This file holds types only, so the server and the client share them without
 * either importing the other's code.
 */

/** `linearizable`: one leader serves every op. `stale-reads`: any node answers reads from its local copy. */
export type DemoMode = "linearizable" | "stale-reads";

export const DEMO_MODES: readonly DemoMode[] = ["linearizable", "stale-reads"];

export type DemoOpName = "read" | "write" | "cas";

/**
 * One register operation on one key. `value` is what to write (`write`), or
 * `[expected, new]` (`cas`); ignored for `read`. A key that was never written
 * reads as `null`, and a `cas` whose expected value is `null` matches it
 * (Knossos' cas-register model, whose initial value is nil).
 */
export interface OpRequest {
  f: DemoOpName;
  key: string | number;
  value?: unknown;
}

/** The outcome of an op that reached the leader (or, for stale reads, the local copy). */
export interface OpResponse {
  type: "ok" | "fail";
  /** The value read (`read`), written (`write`), or `[expected, new]` (`cas`). */
  value: unknown;
  /** The node that answered (the leader, for forwarded ops). */
  node: string;
  /** Why a `fail` failed, in words. */
  error?: string;
}

/**
 * An op that did not complete normally. `fail`: it certainly did not take
 * effect (not the leader and no leader to forward to, leader refused the
 * connection, malformed request). `info`: unknown (forwarding timed out or
 * the connection broke after the request was sent).
 */
export interface ErrorResponse {
  type: "fail" | "info";
  error: string;
  node: string;
}

export interface HealthResponse {
  ok: true;
  name: string;
  role: "leader" | "follower";
  mode: DemoMode;
  leader: string;
}

export interface ClockResponse {
  name: string;
  /**
   * The logical clock, advanced only by `POST /clock/tick`; starts at 0 on
   * every process start. The leader's clock gates replication when the server
   * runs with `--replication-delay-ticks N`.
   */
  logical: number;
  /** `Date.now()` of the server process: skewed when the node runs under libfaketime. */
  wallMs: number;
}

export interface FollowerProgress {
  url: string;
  /** The highest index the follower confirmed durable (0 = none yet). */
  matchIndex: number;
  /** The next index the leader will send. */
  nextIndex: number;
  /** The last replication error, if the last attempt failed. */
  lastError: string | undefined;
}

export interface StateResponse {
  name: string;
  role: "leader" | "follower";
  mode: DemoMode;
  leader: string;
  /** Index of the last entry appended to the local log (durable or not). */
  lastIndex: number;
  /** Index up to which the local log is fsynced (and applied to `data`). */
  durableIndex: number;
  /** Index covered by the on-disk snapshot (entries up to it were compacted). */
  snapshotIndex: number;
  /** The durable store, keys sorted. */
  data: Record<string, unknown>;
  clock: { logical: number; wallMs: number };
  /** Per follower, on the leader only. */
  replication: Record<string, FollowerProgress> | undefined;
  replicationDelayMs: number;
  replicationDelayTicks: number;
}

/** One log entry: entry `i` sets key `k` to value `v`. Indexes are dense, from 1. */
export interface LogEntry {
  i: number;
  k: string;
  v: unknown;
}

/**
 * Leader → follower. With `entries`: append them after `prevIndex`. With
 * `snapshot`: replace the whole store with it. With neither: a heartbeat that
 * asks the follower where it is.
 */
export interface ReplicateRequest {
  leader: string;
  prevIndex: number;
  entries: LogEntry[];
  snapshot?: { index: number; data: [string, unknown][] };
}

export interface ReplicateResponse {
  /** False when the follower could not append (a gap): the leader resends from `lastIndex + 1`. */
  ok: boolean;
  /** The follower's last durable index after handling the request. */
  lastIndex: number;
}
