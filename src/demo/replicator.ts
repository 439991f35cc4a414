/**
 * Leader → follower replication, one {@link Replicator} per follower.
 *
 * Push-based and one request at a time: the leader sends the durable entries
 * the follower lacks (at most `maxBatchEntries` per request), or, when the
 * follower is so far behind that the entries left the leader's in-memory
 * window, a snapshot of the whole store. When idle it sends a heartbeat every
 * `heartbeatMs`, which is how it learns where a restarted follower is. The
 * follower answers with its last durable index, and the leader continues from
 * there: there is no election and no term, because the leader is static.
 *
 * `replicationDelayMs` holds each entry back until that long after it became
 * durable on the leader, which widens the window in which a follower serves
 * stale reads (in `stale-reads` mode); `replicationDelayTicks` does the same
 * by the leader's logical clock, for deterministic scenario tests. A snapshot
 * ignores both delays: it only happens for followers that are far behind anyway.
 *
 * Every request goes to the URL this node was given for that peer, so a fault
 * injector can put a proxy on each link.
 */
import type { Agent } from "node:http";
import { describeError } from "../errors/index.js";
import { PostError, peerAgent, postJson } from "./http.js";
import type { FollowerProgress, LogEntry, ReplicateRequest, ReplicateResponse } from "./protocol.js";

/** A log entry and when it became durable on the leader: `performance.now()` ms, and the logical clock. */
export interface TimedEntry extends LogEntry {
  durableAtMs: number;
  durableAtTick: number;
}

/** What a replicator needs from the leader's state. */
export interface ReplicationSource {
  readonly leaderName: string;
  durableIndex(): number;
  /** The leader's logical clock (advanced by `POST /clock/tick`). */
  logicalClock(): number;
  /** The lowest index still in the in-memory window; older entries are only in the snapshot. */
  firstRetainedIndex(): number;
  /** A durable entry from the window; undefined outside it. */
  entryAt(index: number): TimedEntry | undefined;
  /** The durable store and the index it reflects. */
  durableSnapshot(): { index: number; data: [string, unknown][] };
}

export interface ReplicatorOptions {
  follower: string;
  url: URL;
  delayMs: number;
  /**
   * Also hold each entry back until the leader's logical clock advanced this
   * many ticks past the moment it became durable (0 = off). Deterministic, for
   * datadriven tests: a follower stays stale until the test says `tick`.
   */
  delayTicks: number;
  heartbeatMs: number;
  /** Per request; a paused or partitioned follower costs this long per attempt. */
  timeoutMs: number;
  maxBatchEntries: number;
  log: (line: string) => void;
}

const BACKOFF_MS_MIN = 25;
const BACKOFF_MS_MAX = 1000;
const MAX_RESPONSE_BYTES = 64 * 1024;

export class Replicator {
  readonly #source: ReplicationSource;
  readonly #options: ReplicatorOptions;
  readonly #agent: Agent = peerAgent(1);
  readonly #abort = new AbortController();
  #nextIndex: number;
  #matchIndex = 0;
  #lastError: string | undefined;
  #forceSnapshot = false;
  #stopped = false;
  #wake: (() => void) | undefined;
  #done: Promise<void> = Promise.resolve();

  constructor(source: ReplicationSource, options: ReplicatorOptions) {
    this.#source = source;
    this.#options = options;
    // Optimistic: assume the follower is up to date; its first answer corrects us.
    this.#nextIndex = source.durableIndex() + 1;
  }

  start(): void {
    this.#done = this.#run();
  }

  /** New durable entries: wake the loop if it sleeps. */
  notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  progress(): FollowerProgress {
    return {
      url: this.#options.url.href,
      matchIndex: this.#matchIndex,
      nextIndex: this.#nextIndex,
      lastError: this.#lastError,
    };
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort.abort();
    this.notify();
    await this.#done;
    this.#agent.destroy();
  }

  async #run(): Promise<void> {
    let backoffMs = 0;
    let lastSentMs = Number.NEGATIVE_INFINITY;
    const endpoint = new URL("/replicate", this.#options.url);
    while (!this.#stopped) {
      const nowMs = performance.now();
      const { request, waitMs } = this.#nextRequest(nowMs, lastSentMs);
      if (request === undefined) {
        await this.#sleep(waitMs, true);
        continue;
      }
      lastSentMs = nowMs;
      try {
        const result = await postJson({
          url: endpoint,
          body: JSON.stringify(request),
          agent: this.#agent,
          timeoutMs: this.#options.timeoutMs,
          signal: this.#abort.signal,
          maxResponseBytes: MAX_RESPONSE_BYTES,
        });
        if (result.status !== 200) throw new Error(`HTTP ${result.status}: ${result.body.slice(0, 200)}`);
        const response = JSON.parse(result.body) as ReplicateResponse;
        this.#matchIndex = response.lastIndex;
        this.#nextIndex = response.lastIndex + 1;
        // A follower ahead of us holds entries we never made durable (another leader's data dir): overwrite it.
        this.#forceSnapshot = response.lastIndex > this.#source.durableIndex();
        if (this.#lastError !== undefined)
          this.#options.log(`replication to ${this.#options.follower} resumed`);
        this.#lastError = undefined;
        backoffMs = 0;
      } catch (error) {
        if (this.#stopped) break;
        const message = error instanceof PostError ? error.message : describeError(error);
        if (this.#lastError === undefined) {
          this.#options.log(`replication to ${this.#options.follower} failing: ${message}`);
        }
        this.#lastError = message;
        backoffMs = Math.min(BACKOFF_MS_MAX, Math.max(BACKOFF_MS_MIN, backoffMs * 2));
        await this.#sleep(backoffMs, false);
      }
    }
  }

  /** Decide what to send now, or how long to wait before looking again. */
  #nextRequest(nowMs: number, lastSentMs: number): { request: ReplicateRequest | undefined; waitMs: number } {
    const source = this.#source;
    const leader = source.leaderName;
    const durable = source.durableIndex();
    let waitMs = this.#options.heartbeatMs - (nowMs - lastSentMs);
    if (this.#forceSnapshot || this.#nextIndex < source.firstRetainedIndex()) {
      const snapshot = source.durableSnapshot();
      return {
        request: { leader, prevIndex: snapshot.index, entries: [], snapshot },
        waitMs: 0,
      };
    }
    if (this.#nextIndex <= durable) {
      const entries: LogEntry[] = [];
      const last = Math.min(durable, this.#nextIndex + this.#options.maxBatchEntries - 1);
      for (let index = this.#nextIndex; index <= last; index++) {
        const entry = source.entryAt(index);
        if (entry === undefined) break;
        // Held back by ticks: wait for a tick (which notifies) or the heartbeat, whichever comes first.
        if (entry.durableAtTick + this.#options.delayTicks > source.logicalClock()) break;
        const eligibleAtMs = entry.durableAtMs + this.#options.delayMs;
        if (eligibleAtMs > nowMs) {
          waitMs = Math.min(waitMs, eligibleAtMs - nowMs);
          break;
        }
        entries.push({ i: entry.i, k: entry.k, v: entry.v });
      }
      if (entries.length > 0) {
        return { request: { leader, prevIndex: this.#nextIndex - 1, entries }, waitMs: 0 };
      }
    }
    if (waitMs <= 0) {
      return { request: { leader, prevIndex: this.#nextIndex - 1, entries: [] }, waitMs: 0 };
    }
    return { request: undefined, waitMs };
  }

  /** Sleep up to `ms`; `wakeable` sleeps end early on {@link notify} (new entries). Every sleep ends on stop. */
  #sleep(ms: number, wakeable: boolean): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const signal = this.#abort.signal;
      const finish = (): void => {
        clearTimeout(timer);
        signal.removeEventListener("abort", finish);
        if (this.#wake === finish) this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(finish, Math.max(1, Math.ceil(ms)));
      signal.addEventListener("abort", finish, { once: true });
      if (wakeable) this.#wake = finish;
    });
  }
}
