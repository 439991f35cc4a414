/**
 * A multi-key read-write-register client for etcd v3: each op
 * `{ f: "txn", value: [["w", k, v], ["r", k, null], ...] }` is one etcd
 * transaction (`POST /v3/kv/txn` with no compare, so its `success` list runs):
 * a `w` is a `request_put`, an `r` a `request_range`, in the op's order, all
 * applied atomically at one revision. Reads fill their micro-op's value
 * (`null` for a key that does not exist). Keys carry a fresh prefix per
 * client; values are the integers' decimal text.
 *
 *   const client = etcdRwRegisterClient();
 *   // generator: rwRegisterTxns() from crucible/generator
 *
 * etcd refuses a transaction that puts one key twice (`duplicate key given
 * in txn request`, invalid argument): that op is a certain `fail`, before
 * anything changed. Outcomes otherwise as `etcdClient`'s: an answer is `ok`,
 * a request that cannot have been sent or that etcd refused before
 * proposing (gRPC codes 3, 7, 8, 16) is `fail`, anything else (timeouts,
 * "leader changed", a reset after sending) is `info`.
 */
import type { Completion, Op } from "../history/op.js";
import { type HttpOutcome, oneSocketAgent, postJson } from "./_internals/http.js";
import { uniqueToken } from "./_internals/namespace.js";
import { definiteFailure, type OutcomeRules, unknownOutcome } from "./_internals/outcome.js";
import { parseStoredValue } from "./_internals/register-op.js";
import { nodeCa } from "./_internals/tls.js";
import type { Client, ClientConnection, ClientOpenContext, InvokeContext } from "./types.js";

export interface EtcdRwRegisterClientOptions {
  /** Default `"etcd-rw-register"`. */
  name?: string;
  /** Prefix of every key. Default `crucible/<unique token>/`, fresh per client. */
  keyPrefix?: string;
  /** Upper bound on one request in case the caller's signal never fires. Default 60,000 ms. */
  requestTimeoutMsMax?: number;
  /** Largest response accepted. Default 1 MiB. */
  maxResponseBytes?: number;
}

export interface EtcdRwRegisterClient extends Client {
  readonly keyPrefix: string;
}

/** gRPC codes etcd returns before proposing anything (see `etcd.ts`). */
const DEFINITE_GRPC_CODES = new Set([3, 7, 8, 16]);

type Micro = [string, unknown, unknown];

const base64 = (text: string): string => Buffer.from(text, "utf8").toString("base64");

/** Why an op is not a transaction of integer-keyed `r` / `w` micro-ops, or undefined. */
function refusal(op: Op): string | undefined {
  if (op.f !== "txn") return `expected f "txn", got ${JSON.stringify(op.f)}`;
  if (!Array.isArray(op.value) || op.value.length === 0)
    return "expected a non-empty list of micro-ops as value";
  for (const micro of op.value) {
    if (!Array.isArray(micro) || micro.length !== 3)
      return `expected micro-ops [f, k, v], got ${JSON.stringify(micro)}`;
    const [f, k, v] = micro as Micro;
    if (f !== "r" && f !== "w") return `expected micro-op "r" or "w", got ${JSON.stringify(f)}`;
    if (typeof k !== "number" && typeof k !== "string")
      return `expected a number or string key, got ${JSON.stringify(k)}`;
    if (f === "w" && !Number.isSafeInteger(v)) return `expected an integer value, got ${JSON.stringify(v)}`;
  }
  return undefined;
}

/** The gateway request body of one transaction op. */
export function etcdTxnBody(micros: readonly Micro[], keyPrefix: string): string {
  return JSON.stringify({
    success: micros.map(([f, k, v]) => {
      const key = base64(`${keyPrefix}${k}`);
      return f === "w" ? { request_put: { key, value: base64(String(v)) } } : { request_range: { key } };
    }),
  });
}

export function etcdRwRegisterClient(options: EtcdRwRegisterClientOptions = {}): EtcdRwRegisterClient {
  const keyPrefix = options.keyPrefix ?? `crucible/${uniqueToken()}/`;
  const requestTimeoutMs = options.requestTimeoutMsMax ?? 60_000;
  const maxResponseBytes = options.maxResponseBytes ?? 1024 * 1024;
  return {
    name: options.name ?? "etcd-rw-register",
    keyPrefix,
    async open(ctx: ClientOpenContext): Promise<ClientConnection> {
      const node = ctx.node ?? ctx.cluster?.nodes[0];
      if (node === undefined)
        throw new Error("etcdRwRegisterClient needs a node to talk to (no node, no cluster)");
      const url = new URL(node.url);
      // A TLS member (`https://`) is verified against the cluster's CA.
      const ca = url.protocol === "https:" ? nodeCa(node) : undefined;
      const agent = oneSocketAgent(ca);
      const rules: OutcomeRules = { node: node.name, failUnknownReads: true };
      let closed = false;
      return {
        async invoke(op: Op, invokeCtx: InvokeContext): Promise<Completion> {
          if (closed) return definiteFailure(rules, "the connection is closed");
          const refused = refusal(op);
          if (refused !== undefined) return definiteFailure(rules, refused);
          const micros = op.value as Micro[];
          const outcome = await postJson({
            agent,
            host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
            port: Number(url.port || (ca ? 443 : 80)),
            path: "/v3/kv/txn",
            body: etcdTxnBody(micros, keyPrefix),
            signal: invokeCtx.signal,
            timeoutMs: requestTimeoutMs,
            maxResponseBytes,
            ...(ca && { ca }),
          });
          return completion(op, micros, outcome, rules);
        },
        async close(): Promise<void> {
          closed = true;
          agent.destroy();
        },
      };
    },
  };
}

interface TxnAnswer {
  header?: unknown;
  responses?: { response_range?: { kvs?: { value?: string }[] } }[];
  error?: string;
  message?: string;
  code?: number;
}

function completion(op: Op, micros: readonly Micro[], outcome: HttpOutcome, rules: OutcomeRules): Completion {
  if (outcome.kind === "not-sent") return definiteFailure(rules, outcome.message);
  if (outcome.kind === "unknown") return unknownOutcome(op, rules, outcome.message);
  let answer: TxnAnswer;
  try {
    answer = JSON.parse(outcome.body) as TxnAnswer;
  } catch {
    return unknownOutcome(op, rules, `HTTP ${outcome.status}, not JSON: ${outcome.body.slice(0, 200)}`);
  }
  if (outcome.status !== 200 || answer.header === undefined) {
    const message = `etcd: HTTP ${outcome.status}: ${answer.message ?? answer.error ?? outcome.body.slice(0, 200)}`;
    return typeof answer.code === "number" && DEFINITE_GRPC_CODES.has(answer.code)
      ? definiteFailure(rules, message)
      : unknownOutcome(op, rules, message);
  }
  const responses = answer.responses ?? [];
  if (responses.length !== micros.length)
    return unknownOutcome(
      op,
      rules,
      `etcd answered ${responses.length} responses to ${micros.length} micro-ops`,
    );
  const value: Micro[] = [];
  for (let i = 0; i < micros.length; i++) {
    const [f, k, v] = micros[i]!;
    if (f === "w") {
      value.push([f, k, v]);
      continue;
    }
    const stored = responses[i]!.response_range?.kvs?.[0]?.value;
    if (stored === undefined) {
      value.push([f, k, null]);
      continue;
    }
    const text = Buffer.from(stored, "base64").toString("utf8");
    const read = parseStoredValue(text);
    if (read === undefined)
      return unknownOutcome(
        op,
        rules,
        `key ${String(k)} holds ${JSON.stringify(text.slice(0, 40))}, not a register value`,
      );
    value.push([f, k, read]);
  }
  return { type: "ok", value, node: rules.node };
}
