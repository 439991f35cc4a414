/**
 * One JSON POST over a kept-alive node:http connection, with the answer a
 * client needs to classify an outcome: the response, or a failure that says
 * whether the request can have reached the server.
 *
 * "Reached" is decided by the socket: until it is connected, the request's
 * bytes are only in our buffer, so an abort, a refusal or any connect error
 * then means nothing was sent (`not-sent`, the op certainly did not happen).
 * Once connected, a failure is `unknown`. Over TLS, "connected" is the end
 * of the handshake (`secureConnect`): a refused certificate or a failed
 * handshake sends no request byte, so it is `not-sent` too.
 */
import { Agent, request } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { abortReason, errorText } from "./outcome.js";

/**
 * A kept-alive agent of one socket (the worker's connection): over TLS,
 * verifying the server against `ca`, when given.
 */
export function oneSocketAgent(ca?: string | Buffer): Agent {
  const options = { keepAlive: true, maxSockets: 1, maxFreeSockets: 1 };
  return ca === undefined ? new Agent(options) : new HttpsAgent({ ...options, ca });
}

/** TLS sockets whose handshake finished: a kept-alive one is reused without a new `secureConnect`. */
const securedSockets = new WeakSet<Socket>();

export type HttpOutcome =
  | { readonly kind: "response"; readonly status: number; readonly body: string }
  | { readonly kind: "not-sent"; readonly message: string }
  | { readonly kind: "unknown"; readonly message: string };

export interface PostJsonOptions {
  readonly agent: Agent;
  readonly host: string;
  readonly port: number;
  readonly path: string;
  readonly body: string;
  readonly signal: AbortSignal;
  /** Give up after this long even if `signal` never fires. */
  readonly timeoutMs: number;
  /** A larger response is treated as a broken exchange (`unknown`). */
  readonly maxResponseBytes: number;
  /** Speak HTTPS, verifying the server against this CA; `agent` must then be an HTTPS agent ({@link oneSocketAgent}). */
  readonly ca?: string | Buffer;
}

export function postJson(options: PostJsonOptions): Promise<HttpOutcome> {
  const { signal } = options;
  if (signal.aborted) {
    return Promise.resolve({ kind: "not-sent", message: `aborted before sending: ${abortReason(signal)}` });
  }
  return new Promise<HttpOutcome>((resolve) => {
    let settled = false;
    let reachedServer = false;
    const settle = (outcome: HttpOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      resolve(outcome);
    };
    const giveUp = (message: string): void => {
      settle(reachedServer ? { kind: "unknown", message } : { kind: "not-sent", message });
      req.destroy();
    };
    const onAbort = (): void =>
      giveUp(`${reachedServer ? "aborted" : "aborted before connecting"}: ${abortReason(signal)}`);
    const timer = setTimeout(() => giveUp(`no answer within ${options.timeoutMs} ms`), options.timeoutMs);
    signal.addEventListener("abort", onAbort, { once: true });

    const req = (options.ca === undefined ? request : httpsRequest)({
      ...(options.ca !== undefined && { ca: options.ca }),
      agent: options.agent,
      host: options.host,
      port: options.port,
      method: "POST",
      path: options.path,
      headers: {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(options.body),
      },
    });
    req.on("socket", (socket: Socket) => {
      const tls = (socket as TLSSocket).encrypted === true;
      if (!socket.connecting && (!tls || securedSockets.has(socket))) reachedServer = true;
      else
        socket.once(tls ? "secureConnect" : "connect", () => {
          securedSockets.add(socket);
          reachedServer = true;
        });
    });
    req.on("error", (error) => giveUp(errorText(error)));
    req.on("response", (response) => {
      const chunks: Buffer[] = [];
      let received = 0;
      response.on("data", (chunk: Buffer) => {
        received += chunk.length;
        if (received > options.maxResponseBytes) {
          giveUp(`response larger than ${options.maxResponseBytes} bytes`);
          return;
        }
        chunks.push(chunk);
      });
      response.on("end", () =>
        settle({
          kind: "response",
          status: response.statusCode ?? 0,
          body: Buffer.concat(chunks).toString("utf8"),
        }),
      );
      response.on("error", (error) => giveUp(errorText(error)));
      response.on("aborted", () => giveUp("the server closed the connection mid-response"));
    });
    req.end(options.body);
  });
}
