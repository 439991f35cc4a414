/**
 * The demo server's HTTP layer: routes requests to a {@link DemoNode}. The
 * protocol is described in `protocol.ts`.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { describeError } from "../errors/index.js";
import { BodyTooLargeError, readBody, sendJson } from "./http.js";
import type { DemoNode } from "./node.js";
import type { OpRequest, ReplicateRequest } from "./protocol.js";

/** An op body is small; refuse anything larger than this. */
const MAX_OP_BYTES = 1024 * 1024;
/** A replication request may carry a snapshot of the whole store. */
const MAX_REPLICATE_BYTES = 256 * 1024 * 1024;
/** A tick is at most this many steps, so a typo cannot overflow the clock. */
const MAX_TICK = 1_000_000_000;

export interface ListenOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
}

/** Serve a node over HTTP; resolves with the server and the bound port once listening. */
export async function serveDemoNode(
  node: DemoNode,
  options: ListenOptions,
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    handle(node, req, res).catch((error: unknown) => {
      const message = describeError(error);
      // Unknown outcome: the op may have been applied before the failure.
      sendJson(res, 500, { type: "info", error: `internal error: ${message}`, node: node.name });
    });
  });
  // Longer than any client's idle keep-alive, so the client, not the server, closes idle sockets
  // (a server-side close racing a new request is what makes keep-alive clients see spurious resets).
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 70_000;
  server.maxRequestsPerSocket = 0;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return { server, port: (server.address() as AddressInfo).port };
}

async function handle(node: DemoNode, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? "/").split("?", 1)[0];
  const route = `${req.method} ${path}`;
  switch (route) {
    case "POST /op":
      return handleOp(node, req, res);
    case "GET /health":
      return sendJson(res, 200, {
        ok: true,
        name: node.name,
        role: node.role,
        mode: node.mode,
        leader: node.leaderName,
      });
    case "GET /state":
      return sendJson(res, 200, node.state());
    case "GET /clock":
      return sendJson(res, 200, node.clock());
    case "POST /clock/tick":
      return handleTick(node, req, res);
    case "POST /replicate":
      return handleReplicate(node, req, res);
    default:
      await drain(req);
      return sendJson(res, 404, { error: `no route ${route}`, node: node.name });
  }
}

async function handleOp(node: DemoNode, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const parsed = await readJson(req, MAX_OP_BYTES);
  const op = parsed.ok ? validateOp(parsed.value) : parsed.error;
  if (typeof op === "string") {
    // A request the server could not understand certainly did not take effect.
    return sendJson(res, 400, { type: "fail", error: op, node: node.name });
  }
  // The client going away abandons a forward in flight (its answer would have nowhere to go).
  const abort = new AbortController();
  const onClose = (): void => {
    if (!res.writableFinished) abort.abort();
  };
  res.once("close", onClose);
  try {
    const reply = await node.handleOp(op, {
      forwarded: req.headers["x-forwarded-by"] !== undefined,
      signal: abort.signal,
    });
    if (typeof reply.body === "string") {
      sendRaw(res, reply.status, reply.body);
    } else {
      sendJson(res, reply.status, reply.body);
    }
  } finally {
    res.off("close", onClose);
  }
}

async function handleTick(node: DemoNode, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const parsed = await readJson(req, MAX_OP_BYTES);
  let n = 1;
  if (parsed.ok && isRecord(parsed.value) && parsed.value.n !== undefined) {
    const given = parsed.value.n;
    if (typeof given !== "number" || !Number.isSafeInteger(given) || given < 0 || given > MAX_TICK) {
      return sendJson(res, 400, { error: `n must be an integer in [0, ${MAX_TICK}]`, node: node.name });
    }
    n = given;
  } else if (!parsed.ok && parsed.error !== "empty body") {
    return sendJson(res, 400, { error: parsed.error, node: node.name });
  }
  node.tick(n);
  return sendJson(res, 200, node.clock());
}

async function handleReplicate(node: DemoNode, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const parsed = await readJson(req, MAX_REPLICATE_BYTES);
  if (!parsed.ok) return sendJson(res, 400, { error: parsed.error, node: node.name });
  const request = parsed.value as ReplicateRequest;
  if (node.isLeader || request.leader !== node.leaderName) {
    return sendJson(res, 409, {
      error: `${node.name} follows ${node.leaderName}, not ${String(request.leader)}`,
      node: node.name,
    });
  }
  return sendJson(res, 200, await node.handleReplicate(request));
}

type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

async function readJson(req: IncomingMessage, maxBytes: number): Promise<Parsed> {
  let text: string;
  try {
    text = await readBody(req, maxBytes);
  } catch (error) {
    if (error instanceof BodyTooLargeError) return { ok: false, error: error.message };
    throw error;
  }
  if (text.trim() === "") return { ok: false, error: "empty body" };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, error: `body is not JSON: ${describeError(error)}` };
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** An {@link OpRequest}, or why the body is not one. */
export function validateOp(body: unknown): OpRequest | string {
  if (!isRecord(body)) return 'expected {"f": "read"|"write"|"cas", "key": ..., "value": ...}';
  const { f, key, value } = body;
  if (f !== "read" && f !== "write" && f !== "cas")
    return `f must be read, write or cas, not ${JSON.stringify(f)}`;
  if (typeof key !== "string" && !(typeof key === "number" && Number.isFinite(key))) {
    return `key must be a string or a number, not ${JSON.stringify(key)}`;
  }
  if (f === "write" && value === undefined) return "a write needs a value";
  if (f === "cas" && !(Array.isArray(value) && value.length === 2))
    return "a cas value must be [expected, new]";
  return { f, key, value };
}

function sendRaw(res: ServerResponse, status: number, json: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(json) });
  res.end(json);
}

/** Consume an unwanted body (bounded) so the keep-alive connection stays usable. */
async function drain(req: IncomingMessage): Promise<void> {
  await readBody(req, MAX_OP_BYTES).catch(() => undefined);
}
