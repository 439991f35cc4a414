/**
 * A register client for etcd v3, through its HTTP/JSON gateway (no gRPC
 * dependency): `read` is `POST /v3/kv/range`, `write` is `/v3/kv/put`, and
 * `cas` is `/v3/kv/txn` comparing the key's value and putting the new one
 * only when it matches. Keys and values travel base64-encoded; values are
 * the decimal text of the register's integers.
 *
 *   const client = etcdClient({ readConsistency: "serializable" });
 *   const conn = await client.open({ cluster, node, worker: 0, signal });
 *   await conn.invoke(op, { signal: AbortSignal.timeout(1000) });
 *
 * Reads are linearizable by default (etcd confirms leadership with a quorum
 * before answering). `readConsistency: "serializable"` sets
 * `serializable: true` on range requests: the member answers from its own
 * state, which is fast and available without quorum, and may be stale: the
 * register test finds that under a partition.
 *
 * What a completion means:
 * - `ok`: etcd applied the op (a read carries the value, `null` for no key).
 * - `fail`: it did not happen: a cas whose compare failed, a refused
 *   connection or an abort before the connection was up (nothing sent), an
 *   error etcd raises before proposing (invalid argument, too many requests).
 * - `info`: unknown: timeout, abort or reset after sending, "request timed
 *   out", "leader changed", a gateway error. Unknown reads are `fail`
 *   unless `failUnknownReads: false` (see `_internals/outcome.ts`).
 *
 * Each connection keeps one socket alive (a node:http Agent with one socket),
 * matching the runner's one connection per worker.
 */
import type { Agent } from "node:http";
import type { Node } from "../cluster/types.js";
import type { Completion, Op } from "../history/op.js";
import { type HttpOutcome, oneSocketAgent, postJson } from "./_internals/http.js";
import { uniqueToken } from "./_internals/namespace.js";
import { definiteFailure, type OutcomeRules, unknownOutcome } from "./_internals/outcome.js";
import { admitRegisterCall, parseStoredValue, type RegisterCall } from "./_internals/register-op.js";
import { nodeCa } from "./_internals/tls.js";
import type { Client, ClientConnection, ClientOpenContext, InvokeContext } from "./types.js";

export type EtcdReadConsistency = "linearizable" | "serializable";

export interface EtcdClientOptions {
  /** The client's name in test specs and results. Default `"etcd"`. */
  name?: string;
  /** `linearizable` (default) or `serializable` (`serializable: true` on range: local, maybe stale). */
  readConsistency?: EtcdReadConsistency;
  /**
   * Prefix of every key, so that runs sharing one etcd never see each
   * other's keys. Default `crucible/<unique token>/`, fresh per client.
   */
  keyPrefix?: string;
  /** Report a read whose outcome is unknown as `fail`. Default true. */
  failUnknownReads?: boolean;
  /** Upper bound on one request in case the caller's signal never fires. Default 60,000 ms. */
  requestTimeoutMsMax?: number;
  /** Largest response accepted. Default 1 MiB (a register's answer is a few hundred bytes). */
  maxResponseBytes?: number;
  /** The client URL to use for a node. Default `node.url` (`http://127.0.0.1:port`). */
  urlOf?: (node: Node) => string;
}

/** The concrete client: the key prefix is exposed so tests and tools can find the keys. */
export interface EtcdClient extends Client {
  readonly keyPrefix: string;
  readonly readConsistency: EtcdReadConsistency;
}

/**
 * gRPC codes etcd returns before it proposes anything, so the op certainly
 * did not happen: 3 invalid argument, 7 permission denied, 8 resource
 * exhausted ("too many requests"), 16 unauthenticated. Every other error,
 * notably 14 unavailable ("request timed out", "leader changed"), may
 * follow a proposal that still commits.
 */
const DEFINITE_GRPC_CODES = new Set([3, 7, 8, 16]);

export function etcdClient(options: EtcdClientOptions = {}): EtcdClient {
  const readConsistency = options.readConsistency ?? "linearizable";
  if (readConsistency !== "linearizable" && readConsistency !== "serializable") {
    throw new RangeError(
      `etcdClient: readConsistency must be linearizable or serializable, got ${readConsistency}`,
    );
  }
  const keyPrefix = options.keyPrefix ?? `crucible/${uniqueToken()}/`;
  const failUnknownReads = options.failUnknownReads ?? true;
  const requestTimeoutMs = options.requestTimeoutMsMax ?? 60_000;
  const maxResponseBytes = options.maxResponseBytes ?? 1024 * 1024;
  return {
    name: options.name ?? "etcd",
    keyPrefix,
    readConsistency,
    async open(ctx: ClientOpenContext): Promise<ClientConnection> {
      const node = ctx.node ?? ctx.cluster?.nodes[0];
      if (node === undefined) throw new Error("etcdClient needs a node to talk to (no node, no cluster)");
      const url = new URL(options.urlOf ? options.urlOf(node) : node.url);
      const ca = url.protocol === "https:" ? nodeCa(node) : undefined;
      return new EtcdConnection({
        host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
        port: Number(url.port || (url.protocol === "https:" ? 443 : 80)),
        ...(ca && { ca }),
        rules: { node: node.name, failUnknownReads },
        keyPrefix,
        serializable: readConsistency === "serializable",
        requestTimeoutMs,
        maxResponseBytes,
      });
    },
  };
}

interface EtcdConnectionConfig {
  host: string;
  port: number;
  /** The cluster's CA when the node speaks TLS (`https://`). */
  ca?: Buffer;
  rules: OutcomeRules;
  keyPrefix: string;
  serializable: boolean;
  requestTimeoutMs: number;
  maxResponseBytes: number;
}

const base64 = (text: string): string => Buffer.from(text, "utf8").toString("base64");

/** The gateway's request for a register call: path and JSON body. */
export function etcdRequest(
  call: RegisterCall,
  options: { keyPrefix: string; serializable: boolean },
): { path: string; body: string } {
  const key = base64(`${options.keyPrefix}${call.key}`);
  switch (call.f) {
    case "read":
      return {
        path: "/v3/kv/range",
        body: JSON.stringify(options.serializable ? { key, serializable: true } : { key }),
      };
    case "write":
      return { path: "/v3/kv/put", body: JSON.stringify({ key, value: base64(String(call.value)) }) };
    case "cas":
      return {
        path: "/v3/kv/txn",
        body: JSON.stringify({
          // A missing key never equals a value: a cas on an empty register fails, as the model says.
          compare: [{ key, target: "VALUE", result: "EQUAL", value: base64(String(call.expected)) }],
          success: [{ request_put: { key, value: base64(String(call.next)) } }],
        }),
      };
  }
}

interface GatewayAnswer {
  kvs?: { value?: string }[];
  succeeded?: boolean;
  header?: unknown;
  error?: string;
  message?: string;
  code?: number;
}

class EtcdConnection implements ClientConnection {
  readonly #config: EtcdConnectionConfig;
  /** One kept-alive socket: the worker's connection. */
  readonly #agent: Agent;
  #closed = false;

  constructor(config: EtcdConnectionConfig) {
    this.#config = config;
    this.#agent = oneSocketAgent(config.ca);
  }

  async invoke(op: Op, ctx: InvokeContext): Promise<Completion> {
    const { rules } = this.#config;
    const admitted = admitRegisterCall(op, rules, this.#closed);
    if ("failure" in admitted) return admitted.failure;
    const { call } = admitted;
    const { path, body } = etcdRequest(call, this.#config);
    const outcome = await postJson({
      agent: this.#agent,
      host: this.#config.host,
      port: this.#config.port,
      path,
      body,
      signal: ctx.signal,
      timeoutMs: this.#config.requestTimeoutMs,
      maxResponseBytes: this.#config.maxResponseBytes,
      ...(this.#config.ca && { ca: this.#config.ca }),
    });
    return this.#completion(op, call, outcome);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#agent.destroy();
  }

  #completion(op: Op, call: RegisterCall, outcome: HttpOutcome): Completion {
    const { rules } = this.#config;
    if (outcome.kind === "not-sent") return definiteFailure(rules, outcome.message);
    if (outcome.kind === "unknown") return unknownOutcome(op, rules, outcome.message);
    let answer: GatewayAnswer;
    try {
      answer = JSON.parse(outcome.body) as GatewayAnswer;
    } catch {
      return unknownOutcome(op, rules, `HTTP ${outcome.status}, not JSON: ${outcome.body.slice(0, 200)}`);
    }
    if (outcome.status !== 200 || answer.header === undefined) {
      const message = `etcd: HTTP ${outcome.status}: ${answer.message ?? answer.error ?? outcome.body.slice(0, 200)}`;
      if (typeof answer.code === "number" && DEFINITE_GRPC_CODES.has(answer.code)) {
        return definiteFailure(rules, message);
      }
      return unknownOutcome(op, rules, message);
    }
    switch (call.f) {
      case "read": {
        const stored = answer.kvs?.[0]?.value;
        if (stored === undefined) return { type: "ok", value: null, node: rules.node };
        const text = Buffer.from(stored, "base64").toString("utf8");
        const value = parseStoredValue(text);
        if (value === undefined) {
          return unknownOutcome(
            op,
            rules,
            `key holds ${JSON.stringify(text.slice(0, 40))}, not a register value`,
          );
        }
        return { type: "ok", value, node: rules.node };
      }
      case "write":
        return { type: "ok", node: rules.node };
      case "cas":
        // proto3 JSON leaves out false booleans: a failed compare has no `succeeded` at all.
        return answer.succeeded === true
          ? { type: "ok", node: rules.node }
          : { type: "fail", error: "compare failed: the value was not the expected one", node: rules.node };
    }
  }
}
