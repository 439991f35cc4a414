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
 * Requests go to one endpoint at a time; one that cannot be reached (nothing
 * sent) is skipped for the next. An answer that may follow a sent request
 * (timeout, reset) is an {@link EtcdRequestError} with `maybeApplied: true`:
 * the caller decides (a lock wrapper treats it as "lease state unknown").
 * Int64 fields (lease ids, revisions) are decimal strings, as the gateway
 * writes them: a lease id does not fit a JS number.
 */
import { Agent, request } from "node:http";
import { postJson } from "./_internals/http.js";
import { errorText } from "./_internals/outcome.js";

export interface EtcdLeaseClientOptions {
  /** `host:port` or `http://host:port` of each member; each wrapper gets every member's. */
  readonly endpoints: readonly string[];
  /** Bound on one request. Default 2,000 ms. */
  readonly requestTimeoutMs?: number;
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
  readonly #maxBytes: number;
  /** The endpoint tried first; moves on when one cannot be reached. */
  #current = 0;

  constructor(options: EtcdLeaseClientOptions) {
    if (options.endpoints.length === 0) throw new RangeError("etcdLeaseClient: no endpoints");
    this.endpoints = [...options.endpoints];
    this.#endpoints = options.endpoints.map(parseEndpoint);
    this.#timeoutMs = options.requestTimeoutMs ?? 2_000;
    this.#maxBytes = options.maxResponseBytes ?? 16 * 1024 * 1024;
  }

  /** POST one request; tries every endpoint once while nothing could be sent. */
  async call<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    const text = JSON.stringify(body);
    const errors: string[] = [];
    for (let attempt = 0; attempt < this.#endpoints.length; attempt++) {
      const index = (this.#current + attempt) % this.#endpoints.length;
      const endpoint = this.#endpoints[index]!;
      const outcome = await postJson({
        agent: this.#agent,
        host: endpoint.host,
        port: endpoint.port,
        path,
        body: text,
        signal: signal ?? AbortSignal.timeout(this.#timeoutMs),
        timeoutMs: this.#timeoutMs,
        maxResponseBytes: this.#maxBytes,
      });
      const where = `${endpoint.host}:${endpoint.port}${path}`;
      if (outcome.kind === "not-sent") {
        errors.push(`${where}: ${outcome.message}`);
        if (signal?.aborted) break;
        continue;
      }
      // After an unknown outcome the next call starts at the next member (this one may be dead or cut off).
      this.#current = outcome.kind === "unknown" ? (index + 1) % this.#endpoints.length : index;
      if (outcome.kind === "unknown")
        throw new EtcdRequestError(`${where}: ${outcome.message}`, { maybeApplied: true });
      let answer: { error?: string; message?: string; code?: number; header?: unknown };
      try {
        answer = JSON.parse(outcome.body);
      } catch {
        throw new EtcdRequestError(
          `${where}: HTTP ${outcome.status}, not JSON: ${outcome.body.slice(0, 200)}`,
          {
            maybeApplied: true,
          },
        );
      }
      if (outcome.status !== 200 || answer.error !== undefined) {
        const code = typeof answer.code === "number" ? answer.code : undefined;
        throw new EtcdRequestError(
          `${where}: HTTP ${outcome.status}: ${answer.message ?? answer.error ?? outcome.body.slice(0, 200)}`,
          // A lease not found, an invalid argument: etcd refused before proposing.
          { maybeApplied: !(code === GRPC_NOT_FOUND || code === 3), code },
        );
      }
      return answer as T;
    }
    throw new EtcdRequestError(`no etcd endpoint reachable: ${errors.join("; ")}`, { maybeApplied: false });
  }

  /** Grant a lease of `ttlSeconds`; its id. */
  async grant(ttlSeconds: number, signal?: AbortSignal): Promise<string> {
    if (!(Number.isInteger(ttlSeconds) && ttlSeconds >= 1))
      throw new RangeError(`grant: ttlSeconds must be an integer >= 1, got ${ttlSeconds}`);
    const answer = await this.call<{ ID?: string }>("/v3/lease/grant", { TTL: ttlSeconds }, signal);
    if (answer.ID === undefined)
      throw new EtcdRequestError("lease grant: no ID in the answer", { maybeApplied: true });
    return answer.ID;
  }

  /** Refresh a lease once; its remaining TTL in seconds, 0 when the lease is gone (expired or revoked). */
  async keepAliveOnce(lease: string, signal?: AbortSignal): Promise<number> {
    const answer = await this.call<{ result?: { TTL?: string } }>(
      "/v3/lease/keepalive",
      { ID: lease },
      signal,
    );
    return Number(answer.result?.TTL ?? 0);
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
   * create_revision == 0). Either way, the key's create revision: ours when
   * `created`, the existing key's otherwise.
   */
  async createIfAbsent(
    key: string,
    value: string,
    lease: string,
    signal?: AbortSignal,
  ): Promise<{ created: boolean; createRevision: string }> {
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
    if (answer.succeeded === true) return { created: true, createRevision: answer.header?.revision ?? "0" };
    const existing = answer.responses?.[0]?.response_range?.kvs?.[0];
    return { created: false, createRevision: existing?.create_revision ?? "0" };
  }

  /** Delete one key; how many were deleted. */
  async deleteKey(key: string, signal?: AbortSignal): Promise<number> {
    const answer = await this.call<{ deleted?: string }>("/v3/kv/deleterange", { key: b64(key) }, signal);
    return Number(answer.deleted ?? 0);
  }

  /**
   * Resolve once `key` (with `prefix`, any key under it) is deleted at or after revision `fromRevision`
   * (`"deleted"`), or when `timeoutMs` passes or `signal` aborts first
   * (`"timeout"`). A watch stream on one endpoint; when it breaks, the
   * answer is `"broken"` and the caller re-reads the state (a recipe
   * re-ranks its queue anyway).
   */
  watchDelete(
    key: string,
    fromRevision: string,
    options: { timeoutMs: number; signal?: AbortSignal; prefix?: boolean },
  ): Promise<"deleted" | "timeout" | "broken"> {
    const endpoint = this.#endpoints[this.#current]!;
    return new Promise((resolve) => {
      let settled = false;
      let buffered = "";
      const finish = (outcome: "deleted" | "timeout" | "broken"): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
        req.destroy();
        resolve(outcome);
      };
      const onAbort = () => finish("timeout");
      const timer = setTimeout(() => finish("timeout"), options.timeoutMs);
      options.signal?.addEventListener("abort", onAbort, { once: true });
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
      req.on("error", () => finish("broken"));
      req.on("response", (response) => {
        if (response.statusCode !== 200) {
          response.resume();
          finish("broken");
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
                error?: unknown;
              };
              if (message.error !== undefined || message.result?.canceled) finish("broken");
              if (message.result?.events?.some((event) => event.type === "DELETE")) finish("deleted");
            } catch {
              finish("broken");
            }
          }
        });
        response.on("end", () => finish("broken"));
        response.on("error", () => finish("broken"));
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
