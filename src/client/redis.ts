/**
 * A register client for Redis with a primary and replicas (the `redis`
 * recipe): `write` is `SET` on the primary, `cas` is a Lua script on the
 * primary (`EVAL`: Redis runs a script atomically, so the compare and the
 * set cannot interleave with another client), and `read` is `GET` on the
 * primary (default) or on a replica (`readFrom: "replica"`).
 *
 *   const client = redisClient({ readFrom: "replica" });
 *
 * Redis replication is asynchronous: a replica answers with whatever it has
 * received so far, so replica reads can be stale, and the register test
 * finds it. Reads from the primary of a single primary are linearizable as
 * long as the primary does not lose acknowledged writes (it does when it is
 * killed and restarts without them: in-memory, or AOF fsynced every second).
 *
 * Which node: writes and cas go to the primary, found as the node whose
 * `meta.role` is `"primary"`, else `cluster.leader()`, else the worker's node.
 * Replica reads go to the worker's node when it is a replica, else to the
 * replicas round-robin by worker.
 *
 * What a completion means:
 * - `ok`: Redis executed the op (a read carries the value, `null` for no key).
 * - `fail`: it did not happen: the script's compare did not match, an error
 *   reply (Redis did not execute the command: READONLY, LOADING, ...), a
 *   refused connection or an abort before the connection was up.
 * - `info`: unknown: timeout, abort or reset after sending. Unknown reads are
 *   `fail` unless `failUnknownReads: false`.
 *
 * The transport is our own (`_internals/resp-link.ts`, which says why).
 */
import type { Cluster, Node } from "../cluster/types.js";
import type { Completion, Op } from "../history/op.js";
import { uniqueToken } from "./_internals/namespace.js";
import { definiteFailure, type OutcomeRules, unknownOutcome } from "./_internals/outcome.js";
import { admitRegisterCall, parseStoredValue } from "./_internals/register-op.js";
import { RespError, RespLink, type RespOutcome } from "./_internals/resp-link.js";
import { nodeCa } from "./_internals/tls.js";
import type { Client, ClientConnection, ClientOpenContext, InvokeContext } from "./types.js";

/** `node`: the node the connection was opened for, primary or replica (what a datadriven `exec node=n2` means). */
export type RedisReadFrom = "primary" | "replica" | "node";

export interface RedisClientOptions {
  /** The client's name in test specs and results. Default `"redis"`. */
  name?: string;
  /** Where reads go: `primary` (default), `replica` (asynchronous replication: may be stale), or the connection's own `node`. */
  readFrom?: RedisReadFrom;
  /** Prefix of every key, so runs sharing one Redis never meet. Default `crucible:<unique token>:`. */
  keyPrefix?: string;
  /** Report a read whose outcome is unknown as `fail`. Default true. */
  failUnknownReads?: boolean;
  /** Upper bound on one command in case the caller's signal never fires. Default 60,000 ms. */
  requestTimeoutMsMax?: number;
}

export interface RedisClient extends Client {
  readonly keyPrefix: string;
  readonly readFrom: RedisReadFrom;
}

/**
 * Compare-and-set as one atomic script: 1 when the value matched and was
 * replaced, 0 otherwise (a missing key matches nothing). The write comes
 * last, so an error can never leave half of it done.
 */
export const CAS_SCRIPT = `local current = redis.call('GET', KEYS[1])
if current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2])
  return 1
end
return 0`;

/** The node writes go to: `meta.role === "primary"`, else the cluster's leader, else `fallback`. */
export async function redisPrimary(cluster: Cluster | undefined, fallback: Node | undefined): Promise<Node> {
  const byRole = cluster?.nodes.find((node) => node.meta.role === "primary");
  const primary = byRole ?? (await cluster?.leader?.()) ?? fallback;
  if (!primary) throw new Error("redisClient: no primary (no cluster and no node)");
  return primary;
}

/** The node a worker's replica reads go to. */
export function redisReplicaFor(options: {
  cluster: Cluster | undefined;
  node: Node | undefined;
  primary: Node;
  worker: number;
}): Node {
  if (options.node && options.node.meta.role === "replica") return options.node;
  const replicas = (options.cluster?.nodes ?? []).filter(
    (node) => node !== options.primary && node.meta.role !== "primary",
  );
  if (replicas.length === 0) {
    throw new Error("redisClient: readFrom replica needs a replica (start Redis with 2 or more nodes)");
  }
  return replicas[options.worker % replicas.length]!;
}

export function redisClient(options: RedisClientOptions = {}): RedisClient {
  const readFrom = options.readFrom ?? "primary";
  if (readFrom !== "primary" && readFrom !== "replica" && readFrom !== "node") {
    throw new RangeError(`redisClient: readFrom must be primary, replica or node, got ${readFrom}`);
  }
  const keyPrefix = options.keyPrefix ?? `crucible:${uniqueToken()}:`;
  const failUnknownReads = options.failUnknownReads ?? true;
  const requestTimeoutMs = options.requestTimeoutMsMax ?? 60_000;
  return {
    name: options.name ?? "redis",
    keyPrefix,
    readFrom,
    async open(ctx: ClientOpenContext): Promise<ClientConnection> {
      const primary = await redisPrimary(ctx.cluster, ctx.node);
      const reader =
        readFrom === "primary"
          ? primary
          : readFrom === "node"
            ? (ctx.node ?? primary)
            : redisReplicaFor({ cluster: ctx.cluster, node: ctx.node, primary, worker: ctx.worker });
      return new RedisConnection({ primary, reader, keyPrefix, failUnknownReads, requestTimeoutMs });
    },
  };
}

interface Endpoint {
  readonly link: RespLink;
  readonly rules: OutcomeRules;
}

class RedisConnection implements ClientConnection {
  readonly #writer: Endpoint;
  readonly #reader: Endpoint;
  readonly #keyPrefix: string;
  readonly #requestTimeoutMs: number;
  #closed = false;

  constructor(config: {
    primary: Node;
    reader: Node;
    keyPrefix: string;
    failUnknownReads: boolean;
    requestTimeoutMs: number;
  }) {
    const endpoint = (node: Node): Endpoint => {
      // A node started with TLS has only its TLS port: verify it against the cluster's CA.
      const ca = nodeCa(node);
      return {
        link: new RespLink({ host: node.host, port: node.port, ...(ca && { tls: { ca } }) }),
        rules: { node: node.name, failUnknownReads: config.failUnknownReads },
      };
    };
    this.#writer = endpoint(config.primary);
    this.#reader = config.reader === config.primary ? this.#writer : endpoint(config.reader);
    this.#keyPrefix = config.keyPrefix;
    this.#requestTimeoutMs = config.requestTimeoutMs;
  }

  async invoke(op: Op, ctx: InvokeContext): Promise<Completion> {
    const endpoint = op.f === "read" ? this.#reader : this.#writer;
    const { rules } = endpoint;
    const admitted = admitRegisterCall(op, rules, this.#closed);
    if ("failure" in admitted) return admitted.failure;
    const { call } = admitted;
    const key = `${this.#keyPrefix}${call.key}`;
    const args =
      call.f === "read"
        ? ["GET", key]
        : call.f === "write"
          ? ["SET", key, String(call.value)]
          : ["EVAL", CAS_SCRIPT, "1", key, String(call.expected), String(call.next)];
    const outcome: RespOutcome = await endpoint.link.call(args, {
      signal: ctx.signal,
      timeoutMs: this.#requestTimeoutMs,
    });
    if (outcome.kind === "not-sent") return definiteFailure(rules, outcome.message);
    if (outcome.kind === "unknown") return unknownOutcome(op, rules, outcome.message);
    const reply = outcome.value;
    // An error reply means Redis did not execute the command (a script errs before its one write).
    if (reply instanceof RespError) return definiteFailure(rules, `redis: ${reply.message}`);
    switch (call.f) {
      case "read": {
        if (reply === null) return { type: "ok", value: null, node: rules.node };
        const value = typeof reply === "string" ? parseStoredValue(reply) : undefined;
        if (value === undefined) {
          return unknownOutcome(op, rules, `GET answered ${JSON.stringify(reply)}, not a register value`);
        }
        return { type: "ok", value, node: rules.node };
      }
      case "write":
        return reply === "OK"
          ? { type: "ok", node: rules.node }
          : unknownOutcome(op, rules, `SET answered ${JSON.stringify(reply)}`);
      case "cas":
        if (reply === 1) return { type: "ok", node: rules.node };
        if (reply === 0) {
          return {
            type: "fail",
            error: "compare failed: the value was not the expected one",
            node: rules.node,
          };
        }
        return unknownOutcome(op, rules, `the cas script answered ${JSON.stringify(reply)}`);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#writer.link.close();
    this.#reader.link.close();
  }
}
