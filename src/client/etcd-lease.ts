/**
 * An etcd lease and lock client over the same HTTP/JSON gateway as the
 * register client (./etcd.ts, `postJson`): lease grant, keepalive, revoke,
 * time-to-live, the list of leases; a transaction that creates a key only
 * when it does not exist (compare `create_revision == 0`), range by prefix
 * sorted by create revision, delete, and a watch that waits for one key's
 * delete. `crucible demo-lock` (etcd's concurrency recipe), the
 * `lease-revoke` nemesis and the contract tests use it.
 *
 *   const etcd = etcdLeaseClient({ endpoints: ["127.0.0.1:2379", "127.0.0.1:2381"] });
 *   const lease = await etcd.grant(5);
 *   const mine = await etcd.createIfAbsent("locks/job/" + lease, "a2", lease);
 *
 * Requests fail over (docs/locks.md, "Losing an etcd member"): a member
 * that cannot be reached, resets, or has no leader is left for the next,
 * a slow one is joined by the next, and a watch resumes on another member
 * from its start revision; each request within a deadline. A request that
 * no member answered in time is an {@link EtcdRequestError}, with
 * `maybeApplied: true` when one attempt may have reached etcd: the caller
 * decides (a lock wrapper treats it as "lease state unknown").
 * Int64 fields (lease ids, revisions) are decimal strings, as the gateway
 * writes them: a lease id does not fit a JS number.
 */
import { Agent, request } from "node:http";
import { abortableSleep } from "../cluster/sleep.js";
import { type HttpOutcome, postJson } from "./_internals/http.js";
import { errorText } from "./_internals/outcome.js";

export interface EtcdLeaseClientOptions {
  /** `host:port` or `http://host:port` of each member; each wrapper gets every member's. */
  readonly endpoints: readonly string[];
  /**
   * How long one member is asked alone: then the next is asked too (a
   * hedge; the first answer wins), or, for a grant, the attempt is given
   * up. Default 2,000 ms.
   */
  readonly requestTimeoutMs?: number;
  /**
   * Bound on one request across its attempts: it fails over from member to
   * member until one answers or this passes (or the caller's signal
   * aborts). Default twice `requestTimeoutMs`.
   */
  readonly failoverMs?: number;
  /** Largest response accepted. Default 16 MiB (a range over a prefix of many keys). */
  readonly maxResponseBytes?: number;
}

/** One key as a range returns it. */
export interface EtcdKeyValue {
  readonly key: string;
  readonly value: string;
  /** Decimal string; "0" never (a key that exists was created at some revision). */
  readonly createRevision: string;
  readonly modRevision: string;
  /** Lease id, "0" when none. */
  readonly lease: string;
}

/** A request failed; `maybeApplied` when it may have reached etcd (the caller cannot assume it did not happen). */
export class EtcdRequestError extends Error {
  readonly maybeApplied: boolean;
  /** etcd's gRPC code, when it answered with one (5: not found, e.g. "requested lease not found"). */
  readonly code: number | undefined;
  constructor(message: string, options: { maybeApplied: boolean; code?: number }) {
    super(message);
    this.name = "EtcdRequestError";
    this.maybeApplied = options.maybeApplied;
    this.code = options.code;
  }
}

/** gRPC NOT_FOUND: etcd's "requested lease not found". */
export const GRPC_NOT_FOUND = 5;

/**
 * gRPC codes with which a member says it cannot serve the request now, where
 * another member (or the same one a moment later) may: 14 unavailable ("no
 * leader", "leader changed", "request timed out", "server stopped"), 4
 * deadline exceeded, 8 resource exhausted ("too many requests").
 */
const FAILOVER_GRPC_CODES = new Set([4, 8, 14]);
/** HTTP statuses of a gateway whose member cannot serve: bad gateway, unavailable, gateway timeout. */
const FAILOVER_HTTP_STATUSES = new Set([502, 503, 504]);
/**
 * A hedged attempt lives this many hedge intervals: long enough for a slow
 * member to answer while the others are asked, short enough that a request
 * parked in a member (etcd's `waitLeader` sleeps a whole election timeout
 * when it saw no leader) gives way to a fresh one, which finds the new
 * leader at once.
 */
const HEDGED_ATTEMPT_FACTOR = 4;
/** At most this many attempts of one request in flight at one member (a fresh one beside a parked one). */
const HEDGED_PER_MEMBER = 2;
/** Pause after every endpoint failed once, before the next round. */
const ROUND_PAUSE_MS = 50;

type Answer =
  | { readonly kind: "ok"; readonly value: unknown }
  | { readonly kind: "failover"; readonly message: string; readonly code: number | undefined }
  | {
      readonly kind: "error";
      readonly message: string;
      readonly maybeApplied: boolean;
      readonly code: number | undefined;
    };

/** What one member's HTTP answer means: the result, "try another member", or a final error. */
function parseAnswer(status: number, body: string): Answer {
  let answer: { error?: string; message?: string; code?: number };
  try {
    answer = JSON.parse(body);
  } catch {
    const message = `HTTP ${status}, not JSON: ${body.slice(0, 200)}`;
    return FAILOVER_HTTP_STATUSES.has(status)
      ? { kind: "failover", message, code: undefined }
      : { kind: "error", message, maybeApplied: true, code: undefined };
  }
  if (status === 200 && answer.error === undefined) return { kind: "ok", value: answer };
  const code = typeof answer.code === "number" ? answer.code : undefined;
  const message = `HTTP ${status}: ${answer.message ?? answer.error ?? body.slice(0, 200)}`;
  if (
    (code !== undefined && FAILOVER_GRPC_CODES.has(code)) ||
    (code === undefined && FAILOVER_HTTP_STATUSES.has(status))
  )
    return { kind: "failover", message, code };
  // A lease not found, an invalid argument: etcd refused before proposing.
  return { kind: "error", message, maybeApplied: !(code === GRPC_NOT_FOUND || code === 3), code };
}

/** `AbortSignal.timeout` of any non-negative number of ms (it throws on a fraction, and deadlines are sums of `performance.now()`). */
export const timeoutSignal = (ms: number): AbortSignal => AbortSignal.timeout(Math.max(0, Math.ceil(ms)));

const b64 = (text: string): string => Buffer.from(text, "utf8").toString("base64");
const unb64 = (text: string | undefined): string =>
  text === undefined ? "" : Buffer.from(text, "base64").toString("utf8");

/** The end of the range of keys that start with `prefix` (prefix with its last byte + 1). */
export function prefixRangeEnd(prefix: string): string {
  const bytes = Buffer.from(prefix, "utf8");
  for (let i = bytes.length - 1; i >= 0; i--) {
    if (bytes[i]! < 0xff) {
      const end = Buffer.from(bytes.subarray(0, i + 1));
      end[i] = bytes[i]! + 1;
      return end.toString("base64");
    }
  }
  // All 0xff (or empty): every key from the prefix on; "\0" means "to the end" for etcd.
  return Buffer.from([0]).toString("base64");
}

interface RawKv {
  key?: string;
  value?: string;
  create_revision?: string;
  mod_revision?: string;
  lease?: string;
}

const toKv = (kv: RawKv): EtcdKeyValue => ({
  key: unb64(kv.key),
  value: unb64(kv.value),
  createRevision: kv.create_revision ?? "0",
  modRevision: kv.mod_revision ?? "0",
  lease: kv.lease ?? "0",
});

interface Endpoint {
  readonly host: string;
  readonly port: number;
}

function parseEndpoint(text: string): Endpoint {
  const match = /^(?:http:\/\/)?([^:/]+):(\d{1,5})\/?$/.exec(text.trim());
  const port = Number(match?.[2]);
  if (!match || !(port > 0 && port < 65536))
    throw new RangeError(`etcd endpoint ${JSON.stringify(text)}: expected host:port or http://host:port`);
  return { host: match[1]!, port };
}

export class EtcdLeaseClient {
  readonly endpoints: readonly string[];
  readonly #endpoints: readonly Endpoint[];
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 4 });
  readonly #timeoutMs: number;
  readonly #failoverMs: number;
  readonly #maxBytes: number;
  /** The endpoint tried first; moves on when one fails (cannot be reached, does not answer, has no leader). */
  #current = 0;

  constructor(options: EtcdLeaseClientOptions) {
    if (options.endpoints.length === 0) throw new RangeError("etcdLeaseClient: no endpoints");
    this.endpoints = [...options.endpoints];
    this.#endpoints = options.endpoints.map(parseEndpoint);
    this.#timeoutMs = options.requestTimeoutMs ?? 2_000;
    this.#failoverMs = options.failoverMs ?? 2 * this.#timeoutMs;
    this.#maxBytes = options.maxResponseBytes ?? 16 * 1024 * 1024;
  }

  /**
   * POST one request, failing over: a transport error (refused, reset) or
   * an answer that says the member cannot serve it now (gRPC unavailable:
   * "no leader", "leader changed", "request timed out"; deadline exceeded;
   * HTTP 502–504) moves on to the next endpoint at once, round after round,
   * until one answers or the request's deadline passes: `signal`, and at
   * most `failoverMs` from now.
   *
   * A member that is slow to answer is not given up on at once: every
   * `requestTimeoutMs` the next member is asked too (a hedge; round-robin,
   * at most two attempts in flight per member, each living four intervals),
   * and the first answer wins. That matters after a leader's death: a
   * follower holds a keepalive until it knows the new leader, and one that
   * saw no leader for a moment sleeps a whole election timeout before it
   * looks again (etcd 3.4's `waitLeader`): measured with 3 members and
   * etcd's defaults, one member answered ~1.4 s after the kill and the
   * other ~2.4 s, every request parked in it answering at once. A fresh
   * attempt after the election is answered at once. With `hedge: false` (a
   * grant: a second one would make a second lease) one attempt at a time,
   * abandoned after `requestTimeoutMs`.
   *
   * A retry may repeat a request that was applied (a reset after sending).
   * Every request this client sends is safe to repeat: a keepalive, a range
   * and a revoke are idempotent, a create-if-absent answers with the key
   * it created the first time (see {@link createIfAbsent}'s `lease`), and a
   * grant repeated makes a lease nobody keeps alive, which expires.
   */
  call<T>(path: string, body: unknown, signal?: AbortSignal, options: { hedge?: boolean } = {}): Promise<T> {
    const text = JSON.stringify(body);
    const hedge = options.hedge ?? true;
    const deadline = performance.now() + this.#failoverMs;
    const done = new AbortController();
    const overall = AbortSignal.any([
      ...(signal ? [signal] : []),
      timeoutSignal(this.#failoverMs),
      done.signal,
    ]);
    const count = this.#endpoints.length;
    return new Promise<T>((resolve, reject) => {
      /** The last failure per endpoint, for the message. */
      const failures = new Map<number, string>();
      /** Attempts in flight per member. */
      const inFlight = new Map<number, number>();
      let inFlightCount = 0;
      let maybeApplied = false;
      let lastCode: number | undefined;
      let cursor = this.#current;
      let failedSincePause = 0;
      let settled = false;
      let hedgeTimer: NodeJS.Timeout | undefined;
      let pauseTimer: NodeJS.Timeout | undefined;
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(hedgeTimer);
        clearTimeout(pauseTimer);
        overall.removeEventListener("abort", onAbort);
        done.abort();
        outcome();
      };
      const giveUp = () =>
        settle(() => {
          const reasons = [...failures.values()].join("; ");
          const why = signal?.aborted ? "aborted" : `within ${this.#failoverMs} ms`;
          reject(
            new EtcdRequestError(
              maybeApplied || failures.size === 0
                ? `no etcd endpoint answered ${why}: ${reasons || errorText(signal?.reason)}`
                : `no etcd endpoint reachable: ${reasons}`,
              { maybeApplied, ...(lastCode !== undefined && { code: lastCode }) },
            ),
          );
        });
      const onAbort = () => {
        // The attempts in flight end with "aborted"; the last one to end gives up (or at once if none).
        if (inFlightCount === 0) giveUp();
      };
      const launch = (): void => {
        clearTimeout(hedgeTimer);
        if (settled || overall.aborted) return;
        let index: number | undefined;
        for (let k = 0; k < count && index === undefined; k++)
          if ((inFlight.get((cursor + k) % count) ?? 0) < HEDGED_PER_MEMBER) index = (cursor + k) % count;
        if (index === undefined) return; // every member is being asked already
        cursor = (index + 1) % count;
        inFlight.set(index, (inFlight.get(index) ?? 0) + 1);
        inFlightCount++;
        const endpoint = this.#endpoints[index]!;
        const remainingMs = Math.max(1, Math.ceil(deadline - performance.now()));
        const attempt = index;
        void postJson({
          agent: this.#agent,
          host: endpoint.host,
          port: endpoint.port,
          path,
          body: text,
          signal: overall,
          timeoutMs: Math.min(hedge ? HEDGED_ATTEMPT_FACTOR * this.#timeoutMs : this.#timeoutMs, remainingMs),
          maxResponseBytes: this.#maxBytes,
        }).then((outcome) => finished(attempt, endpoint, outcome));
        if (hedge) hedgeTimer = setTimeout(launch, this.#timeoutMs);
      };
      const finished = (index: number, endpoint: Endpoint, outcome: HttpOutcome): void => {
        inFlight.set(index, inFlight.get(index)! - 1);
        inFlightCount--;
        if (settled) return;
        const where = `${endpoint.host}:${endpoint.port}${path}`;
        let failure: { message: string; maybeApplied: boolean; code?: number | undefined };
        if (outcome.kind === "response") {
          const answer = parseAnswer(outcome.status, outcome.body);
          if (answer.kind === "ok") {
            this.#current = index;
            settle(() => resolve(answer.value as T));
            return;
          }
          if (answer.kind === "error") {
            this.#current = index;
            settle(() =>
              reject(
                new EtcdRequestError(`${where}: ${answer.message}`, {
                  maybeApplied: answer.maybeApplied,
                  ...(answer.code !== undefined && { code: answer.code }),
                }),
              ),
            );
            return;
          }
          failure = { message: answer.message, maybeApplied: true, code: answer.code };
        } else failure = { message: outcome.message, maybeApplied: outcome.kind === "unknown" };
        // An attempt cut off by the deadline says less than what that member said before.
        if (!(overall.aborted && failures.has(index))) failures.set(index, `${where}: ${failure.message}`);
        maybeApplied ||= failure.maybeApplied;
        lastCode = failure.code ?? lastCode;
        // This member is dead, cut off or leaderless: the next request starts at the next one too.
        if (this.#current === index) this.#current = (index + 1) % count;
        if (overall.aborted) {
          if (inFlightCount === 0) giveUp();
          return;
        }
        // Ask the next member now; after a whole round of failures, pause a little so refusals do not spin.
        if (++failedSincePause < count) {
          launch();
          return;
        }
        failedSincePause = 0;
        clearTimeout(pauseTimer);
        pauseTimer = setTimeout(launch, Math.min(ROUND_PAUSE_MS, Math.max(0, deadline - performance.now())));
      };
      // An abort listener added to an aborted signal never fires: a request aborted before it began ends now.
      if (overall.aborted) giveUp();
      else {
        overall.addEventListener("abort", onAbort, { once: true });
        launch();
      }
    });
  }

  /** Grant a lease of `ttlSeconds`; its id. */
  async grant(ttlSeconds: number, signal?: AbortSignal): Promise<string> {
    if (!(Number.isInteger(ttlSeconds) && ttlSeconds >= 1))
      throw new RangeError(`grant: ttlSeconds must be an integer >= 1, got ${ttlSeconds}`);
    const answer = await this.call<{ ID?: string }>("/v3/lease/grant", { TTL: ttlSeconds }, signal, {
      hedge: false,
    });
    if (answer.ID === undefined)
      throw new EtcdRequestError("lease grant: no ID in the answer", { maybeApplied: true });
    return answer.ID;
  }

  /** Refresh a lease once; its remaining TTL in seconds, 0 when the lease is gone (expired or revoked). */
  async keepAliveOnce(lease: string, signal?: AbortSignal): Promise<number> {
    try {
      const answer = await this.call<{ result?: { TTL?: string } }>(
        "/v3/lease/keepalive",
        { ID: lease },
        signal,
      );
      return Number(answer.result?.TTL ?? 0);
    } catch (error) {
      // "requested lease not found", if a member says it as an error rather than TTL 0.
      if (error instanceof EtcdRequestError && error.code === GRPC_NOT_FOUND) return 0;
      throw error;
    }
  }

  /** Remaining TTL in seconds, -1 when the lease is gone; with the keys attached to it. */
  async timeToLive(lease: string, signal?: AbortSignal): Promise<{ ttl: number; keys: string[] }> {
    const answer = await this.call<{ TTL?: string; keys?: string[] }>(
      "/v3/lease/timetolive",
      { ID: lease, keys: true },
      signal,
    );
    return { ttl: Number(answer.TTL ?? -1), keys: (answer.keys ?? []).map(unb64) };
  }

  /** Revoke a lease (its keys are deleted with it); false when it was gone already. */
  async revoke(lease: string, signal?: AbortSignal): Promise<boolean> {
    try {
      await this.call("/v3/lease/revoke", { ID: lease }, signal);
      return true;
    } catch (error) {
      if (error instanceof EtcdRequestError && error.code === GRPC_NOT_FOUND) return false;
      throw error;
    }
  }

  /**
   * Revoke `lease` and say at which revision: the revoke deletes the lease's
   * keys, so every key it held was created below that revision (a fencing
   * token below it was obtained under this lease or earlier). Undefined when
   * the lease was already gone.
   */
  async revokeAt(lease: string, signal?: AbortSignal): Promise<string | undefined> {
    try {
      const answer = await this.call<{ header?: { revision?: string } }>(
        "/v3/lease/revoke",
        { ID: lease },
        signal,
      );
      return answer.header?.revision ?? "0";
    } catch (error) {
      if (error instanceof EtcdRequestError && error.code === GRPC_NOT_FOUND) return undefined;
      throw error;
    }
  }

  /** Every lease the cluster has (of every user: see {@link leasesUnder} for this test's). */
  async leases(signal?: AbortSignal): Promise<string[]> {
    const answer = await this.call<{ leases?: { ID: string }[] }>("/v3/lease/leases", {}, signal);
    return (answer.leases ?? []).map((lease) => lease.ID);
  }

  /** Keys under `prefix`, oldest create revision first (the concurrency recipe's queue order). */
  async rangePrefix(
    prefix: string,
    signal?: AbortSignal,
  ): Promise<{ kvs: EtcdKeyValue[]; revision: string }> {
    const answer = await this.call<{ kvs?: RawKv[]; header?: { revision?: string } }>(
      "/v3/kv/range",
      { key: b64(prefix), range_end: prefixRangeEnd(prefix), sort_target: "CREATE", sort_order: "ASCEND" },
      signal,
    );
    return { kvs: (answer.kvs ?? []).map(toKv), revision: answer.header?.revision ?? "0" };
  }

  /** The leases behind the keys under `prefix` (never any other lease of the cluster), deduplicated. */
  async leasesUnder(prefix: string, signal?: AbortSignal): Promise<string[]> {
    const { kvs } = await this.rangePrefix(prefix, signal);
    return [...new Set(kvs.map((kv) => kv.lease).filter((lease) => lease !== "0"))];
  }

  /**
   * Put `key` attached to `lease` only if it does not exist (compare
   * create_revision == 0). Either way, the key's create revision and lease:
   * ours when `created`, the existing key's otherwise. A request repeated
   * after a failover (its first attempt applied, the answer lost) answers
   * `created: false` with our own lease: the caller tells "mine" by it.
   */
  async createIfAbsent(
    key: string,
    value: string,
    lease: string,
    signal?: AbortSignal,
  ): Promise<{ created: boolean; createRevision: string; lease: string }> {
    const k = b64(key);
    const answer = await this.call<{
      succeeded?: boolean;
      header?: { revision?: string };
      responses?: { response_range?: { kvs?: RawKv[] } }[];
    }>(
      "/v3/kv/txn",
      {
        compare: [{ key: k, target: "CREATE", result: "EQUAL", create_revision: "0" }],
        success: [{ request_put: { key: k, value: b64(value), lease } }],
        failure: [{ request_range: { key: k } }],
      },
      signal,
    );
    if (answer.succeeded === true)
      return { created: true, createRevision: answer.header?.revision ?? "0", lease };
    const existing = answer.responses?.[0]?.response_range?.kvs?.[0];
    return {
      created: false,
      createRevision: existing?.create_revision ?? "0",
      lease: existing?.lease ?? "0",
    };
  }

  /** One key, undefined when it does not exist (a linearizable range). */
  async get(key: string, signal?: AbortSignal): Promise<EtcdKeyValue | undefined> {
    const answer = await this.call<{ kvs?: RawKv[] }>("/v3/kv/range", { key: b64(key) }, signal);
    const kv = answer.kvs?.[0];
    return kv === undefined ? undefined : toKv(kv);
  }

  /** Delete one key; how many were deleted. */
  async deleteKey(key: string, signal?: AbortSignal): Promise<number> {
    const answer = await this.call<{ deleted?: string }>("/v3/kv/deleterange", { key: b64(key) }, signal);
    return Number(answer.deleted ?? 0);
  }

  /**
   * Resolve once `key` (with `prefix`, any key under it) is deleted at or
   * after revision `fromRevision` (`"deleted"`), or when `timeoutMs` passes
   * or `signal` aborts first (`"timeout"`).
   *
   * The stream goes to the preferred member. When its connection fails (the
   * member died, reset, refused), the watch is re-established on the next
   * member from the same `fromRevision`, so a delete while it was
   * disconnected is still delivered; before that, a single key is looked up
   * with a range, and a key already gone is `"deleted"` at once. `"broken"`:
   * etcd canceled the watch (a compacted start revision) or every member
   * failed; the caller re-reads the state (a recipe re-ranks its queue).
   */
  async watchDelete(
    key: string,
    fromRevision: string,
    options: { timeoutMs: number; signal?: AbortSignal; prefix?: boolean },
  ): Promise<"deleted" | "timeout" | "broken"> {
    const until = performance.now() + options.timeoutMs;
    const bounded = options.signal
      ? AbortSignal.any([options.signal, timeoutSignal(options.timeoutMs)])
      : timeoutSignal(options.timeoutMs);
    let index = this.#current;
    for (let attempt = 0; attempt < this.#endpoints.length; attempt++) {
      const remainingMs = until - performance.now();
      if (bounded.aborted || remainingMs <= 0) return "timeout";
      if (attempt > 0 && !options.prefix) {
        // Re-established after a break: the key may have gone while no stream was open.
        const present = await this.get(key, bounded).then(
          (kv) => kv !== undefined,
          () => undefined,
        );
        if (bounded.aborted) return "timeout";
        if (present === false) return "deleted";
        index = this.#current;
      }
      const outcome = await this.#watchOnce(this.#endpoints[index]!, key, fromRevision, {
        timeoutMs: until - performance.now(),
        signal: bounded,
        prefix: options.prefix === true,
      });
      if (outcome !== "disconnected") return outcome;
      if (this.#current === index) this.#current = (index + 1) % this.#endpoints.length;
      index = (index + 1) % this.#endpoints.length;
      await abortableSleep(Math.min(ROUND_PAUSE_MS, until - performance.now()), bounded);
    }
    return "broken";
  }

  /** One watch stream on one member; `"disconnected"` when its connection failed (try another member). */
  #watchOnce(
    endpoint: Endpoint,
    key: string,
    fromRevision: string,
    options: { timeoutMs: number; signal: AbortSignal; prefix: boolean },
  ): Promise<"deleted" | "timeout" | "broken" | "disconnected"> {
    if (options.signal.aborted) return Promise.resolve("timeout");
    return new Promise((resolve) => {
      let settled = false;
      let buffered = "";
      const finish = (outcome: "deleted" | "timeout" | "broken" | "disconnected"): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        options.signal.removeEventListener("abort", onAbort);
        req.destroy();
        resolve(outcome);
      };
      const onAbort = () => finish("timeout");
      const timer = setTimeout(() => finish("timeout"), Math.max(0, options.timeoutMs));
      options.signal.addEventListener("abort", onAbort, { once: true });
      const body = JSON.stringify({
        create_request: {
          key: b64(key),
          start_revision: fromRevision,
          ...(options.prefix ? { range_end: prefixRangeEnd(key) } : {}),
        },
      });
      // Its own connection (no agent): a watch holds its socket for as long as it waits.
      const req = request({
        host: endpoint.host,
        port: endpoint.port,
        method: "POST",
        path: "/v3/watch",
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      });
      req.on("error", () => finish("disconnected"));
      req.on("response", (response) => {
        if (response.statusCode !== 200) {
          response.resume();
          finish(FAILOVER_HTTP_STATUSES.has(response.statusCode ?? 0) ? "disconnected" : "broken");
          return;
        }
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          buffered += chunk;
          // Bounded: a watch of one key sees small messages; a runaway stream is a broken one.
          if (buffered.length > this.#maxBytes) finish("broken");
          let newline = buffered.indexOf("\n");
          while (newline >= 0) {
            const line = buffered.slice(0, newline).trim();
            buffered = buffered.slice(newline + 1);
            newline = buffered.indexOf("\n");
            if (line === "") continue;
            try {
              const message = JSON.parse(line) as {
                result?: { events?: { type?: string }[]; canceled?: boolean };
                error?: { grpc_code?: number; http_code?: number };
              };
              if (message.result?.events?.some((event) => event.type === "DELETE")) finish("deleted");
              if (message.error !== undefined) {
                const code = message.error.grpc_code;
                finish(code !== undefined && FAILOVER_GRPC_CODES.has(code) ? "disconnected" : "broken");
              }
              if (message.result?.canceled) finish("broken");
            } catch {
              finish("broken");
            }
          }
        });
        // The member went away mid-stream (killed, restarted): another one carries on.
        response.on("end", () => finish("disconnected"));
        response.on("error", () => finish("disconnected"));
        response.on("aborted", () => finish("disconnected"));
      });
      req.end(body);
    });
  }

  /** Close the kept-alive sockets. */
  close(): void {
    this.#agent.destroy();
  }
}

export function etcdLeaseClient(options: EtcdLeaseClientOptions): EtcdLeaseClient {
  return new EtcdLeaseClient(options);
}

/** For messages: what a failed request said. */
export const describeEtcdError = (error: unknown): string => errorText(error);
