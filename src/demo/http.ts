/**
 * Small HTTP helpers shared by the demo server's endpoints, its forwarding to
 * the leader and its replication to followers. Node builtins only.
 */
import { Agent, type IncomingMessage, request, type ServerResponse } from "node:http";

/** Read a request or response body, refusing more than `maxBytes` (so a bad peer cannot exhaust memory). */
export function readBody(stream: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    stream.on("data", (chunk: Buffer) => {
      total += chunk.length;
      if (total > maxBytes) {
        reject(new BodyTooLargeError(maxBytes));
        stream.destroy();
        return;
      }
      chunks.push(chunk);
    });
    stream.on("end", () =>
      resolve(chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks).toString("utf8")),
    );
    stream.on("error", reject);
    stream.on("aborted", () => reject(new Error("request aborted")));
  });
}

export class BodyTooLargeError extends Error {
  constructor(maxBytes: number) {
    super(`body larger than ${maxBytes} bytes`);
    this.name = "BodyTooLargeError";
  }
}

/** Send a JSON response (keep-alive stays on). */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/** A keep-alive agent for one peer: connections are reused, and their number is bounded. */
export function peerAgent(maxSockets: number): Agent {
  return new Agent({ keepAlive: true, maxSockets, scheduling: "lifo" });
}

export interface PostResult {
  status: number;
  body: string;
}

/**
 * What went wrong with an outgoing request, in the terms a caller needs:
 * `refused` = the request never reached the peer (safe to call a failure);
 * `timeout` and `broken` = it may have been delivered.
 */
export type PostFailure = { kind: "refused" | "timeout" | "broken"; message: string };

export class PostError extends Error {
  readonly failure: PostFailure;
  constructor(failure: PostFailure) {
    super(failure.message);
    this.name = "PostError";
    this.failure = failure;
  }
}

export interface PostOptions {
  url: URL;
  body: string;
  agent: Agent;
  /** Give up after this long; the outcome is then unknown (`timeout`). */
  timeoutMs: number;
  /** Abort early (the caller's own client went away); reported as `broken`. */
  signal?: AbortSignal;
  /** Refuse response bodies larger than this. */
  maxResponseBytes: number;
  headers?: Record<string, string>;
}

/** POST a JSON body and read the response; rejects with a {@link PostError}. */
export function postJson(options: PostOptions): Promise<PostResult> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (failure: PostFailure): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      req.destroy();
      reject(new PostError(failure));
    };
    const onAbort = (): void => fail({ kind: "broken", message: "aborted by caller" });
    const timer = setTimeout(
      () => fail({ kind: "timeout", message: `no response within ${options.timeoutMs} ms` }),
      options.timeoutMs,
    );
    const req = request(options.url, {
      method: "POST",
      agent: options.agent,
      headers: {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(options.body),
        ...options.headers,
      },
    });
    req.on("error", (error: NodeJS.ErrnoException) => {
      const refused = error.code === "ECONNREFUSED" && !req.reusedSocket;
      fail({
        kind: refused ? "refused" : "broken",
        message: `${error.code ?? error.name}: ${error.message}`,
      });
    });
    req.on("response", (res) => {
      readBody(res, options.maxResponseBytes).then(
        (body) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          options.signal?.removeEventListener("abort", onAbort);
          resolve({ status: res.statusCode ?? 0, body });
        },
        (error: Error) => fail({ kind: "broken", message: `reading response: ${error.message}` }),
      );
    });
    if (options.signal?.aborted) {
      onAbort();
      return;
    }
    options.signal?.addEventListener("abort", onAbort, { once: true });
    req.end(options.body);
  });
}
