/**
 * The client for the demo key-value server (`src/demo`): maps register
 * invocations `{ f: "read" | "write" | "cas", key, value }` to `POST /op` over
 * one keep-alive HTTP connection per worker.
 *
 * What a completion means, which is the whole job of a client:
 * - `ok`: the server applied the op (a read carries the value read).
 * - `fail`: it certainly did not take effect: a cas whose compare did not
 *   match, a refused connection (nothing was sent), a request the server
 *   rejected, or the server saying it could not reach the leader at all.
 * - `info`: unknown: a timeout, an abort (`ctx.signal`), a reset connection,
 *   a forward to the leader that timed out. The op may or may not have
 *   happened. By Jepsen's convention an unknown *read* is reported as `fail`
 *   instead (`failUnknownReads`, on by default): a read changes nothing, so
 *   dropping it loses no information and spares the checker a pending op.
 *
 *   const client = demoClient();
 *   const conn = await client.open({ cluster, node, worker: 0, signal });
 *   await conn.invoke(op, { signal: AbortSignal.timeout(1000) });
 */
import { createConnection, type Socket } from "node:net";
import type { Node } from "../cluster/types.js";
import type { Completion, Op } from "../history/op.js";
import type { Client, ClientConnection, ClientOpenContext, InvokeContext } from "./types.js";

export interface DemoClientOptions {
  /** The client's name in test specs and results. Default `"demo"`. */
  name?: string;
  /** Report a read whose outcome is unknown as `fail` (see the module doc). Default true. */
  failUnknownReads?: boolean;
  /**
   * Upper bound on one request, in case the caller's signal never fires
   * (the runner's always does, at its per-op timeout). Default 60,000 ms.
   */
  requestTimeoutMsMax?: number;
  /** The base URL to use for a node. Default `node.url`. */
  urlOf?: (node: Node) => string;
  /** Largest response body accepted (a read of a huge value). Default 16 MiB. */
  maxResponseBytes?: number;
}

const SUPPORTED = new Set(["read", "write", "cas"]);

/** A {@link Client} for the demo server's register/kv workload. */
export function demoClient(options: DemoClientOptions = {}): Client {
  const failUnknownReads = options.failUnknownReads ?? true;
  const requestTimeoutMsMax = options.requestTimeoutMsMax ?? 60_000;
  const maxResponseBytes = options.maxResponseBytes ?? 16 * 1024 * 1024;
  return {
    name: options.name ?? "demo",
    async open(ctx: ClientOpenContext): Promise<ClientConnection> {
      const node = ctx.node;
      if (node === undefined) throw new Error("demoClient needs a node to talk to (ctx.node is undefined)");
      const base = new URL(options.urlOf ? options.urlOf(node) : node.url);
      return new DemoConnection({
        nodeName: node.name,
        // URL keeps IPv6 brackets ("[::1]"); sockets want the bare address.
        hostname: base.hostname.replace(/^\[(.*)\]$/, "$1"),
        port: Number(base.port || 80),
        hostHeader: base.host,
        failUnknownReads,
        requestTimeoutMsMax,
        maxResponseBytes,
      });
    },
  };
}

interface ConnectionConfig {
  nodeName: string;
  hostname: string;
  /** `host:port`, for the Host header. */
  hostHeader: string;
  port: number;
  failUnknownReads: boolean;
  requestTimeoutMsMax: number;
  maxResponseBytes: number;
}

interface ServerAnswer {
  type?: unknown;
  value?: unknown;
  error?: unknown;
}

/** Response heads are small (our server sends three headers); more than this is not our server. */
const MAX_HEAD_BYTES = 16 * 1024;
const HEAD_END = Buffer.from("\r\n\r\n");

/** The request in flight on a connection, and what its response parser has seen so far. */
interface InFlight {
  settle: (outcome: RawOutcome) => void;
  chunks: Buffer[];
  received: number;
  /** Parsed once the head is complete. */
  status: number | undefined;
  bodyStart: number;
  /** undefined: read until the server closes the connection (no Content-Length). */
  contentLength: number | undefined;
  closeAfter: boolean;
}

type RawOutcome =
  | { kind: "response"; status: number; body: string }
  | { kind: "refused"; message: string }
  | { kind: "broken"; message: string };

/**
 * One worker's connection: a single kept-alive socket speaking just enough
 * HTTP/1.1 for our own server (a request, then a response with
 * Content-Length), written directly on node:net because node:http's client
 * machinery costs several times more CPU per request and the runner pushes
 * thousands of ops per second through these. One op at a time, as the runner
 * guarantees; a broken or aborted exchange drops the socket, and the next op
 * connects afresh.
 */
class DemoConnection implements ClientConnection {
  readonly #config: ConnectionConfig;
  #socket: Socket | undefined;
  /** True once the current socket connected: a refusal after that point is not "nothing was sent". */
  #connected = false;
  #inFlight: InFlight | undefined;
  #closed = false;

  constructor(config: ConnectionConfig) {
    this.#config = config;
  }

  invoke(op: Op, ctx: InvokeContext): Promise<Completion> {
    const config = this.#config;
    const node = config.nodeName;
    if (this.#closed) return Promise.resolve({ type: "fail", error: "connection closed", node });
    if (this.#inFlight !== undefined) {
      return Promise.reject(
        new Error("demo client: invoke while another op is in flight (one op per connection)"),
      );
    }
    if (!SUPPORTED.has(op.f)) {
      return Promise.resolve({
        type: "fail",
        error: `the demo server has no op ${JSON.stringify(op.f)}`,
        node,
      });
    }
    const unknown = (error: string): Completion =>
      op.f === "read" && config.failUnknownReads
        ? { type: "fail", error, node }
        : { type: "info", error, node };
    // Nothing was sent: the op certainly did not happen.
    if (ctx.signal.aborted)
      return Promise.resolve({
        type: "fail",
        error: `aborted before sending: ${reasonOf(ctx.signal)}`,
        node,
      });
    const body = JSON.stringify({ f: op.f, key: op.key, value: op.value });

    return new Promise<Completion>((resolve) => {
      const finish = (completion: Completion): void => {
        clearTimeout(timer);
        ctx.signal.removeEventListener("abort", onAbort);
        resolve(completion);
      };
      const inFlight: InFlight = {
        settle: (outcome) => {
          if (this.#inFlight !== inFlight) return;
          this.#inFlight = undefined;
          if (outcome.kind === "response")
            finish(toCompletion(op, outcome.status, outcome.body, node, unknown));
          else if (outcome.kind === "refused") finish({ type: "fail", error: outcome.message, node });
          else finish(unknown(outcome.message));
        },
        chunks: [],
        received: 0,
        status: undefined,
        bodyStart: 0,
        contentLength: undefined,
        closeAfter: false,
      };
      const giveUp = (message: string): void => {
        // Still connecting: the request never left our buffer, so it certainly did not happen.
        const sent = !(this.#socket?.connecting ?? false);
        inFlight.settle(
          sent ? { kind: "broken", message } : { kind: "refused", message: `${message} (not sent)` },
        );
        this.#dropSocket();
      };
      const onAbort = (): void => giveUp(`aborted: ${reasonOf(ctx.signal)}`);
      const timer = setTimeout(
        () => giveUp(`no answer within ${config.requestTimeoutMsMax} ms`),
        config.requestTimeoutMsMax,
      );
      ctx.signal.addEventListener("abort", onAbort, { once: true });
      this.#inFlight = inFlight;
      const socket = this.#socket ?? this.#connect();
      socket.write(
        `POST /op HTTP/1.1\r\nHost: ${config.hostHeader}\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#inFlight?.settle({ kind: "broken", message: "connection closed" });
    this.#dropSocket();
  }

  #connect(): Socket {
    const socket = createConnection({ host: this.#config.hostname, port: this.#config.port, noDelay: true });
    this.#socket = socket;
    this.#connected = false;
    socket.once("connect", () => {
      if (this.#socket === socket) this.#connected = true;
    });
    socket.on("data", (chunk: Buffer) => {
      if (this.#socket === socket) this.#onData(chunk);
    });
    socket.on("error", (error: NodeJS.ErrnoException) => {
      if (this.#socket !== socket) return;
      const code = error.code ?? error.name;
      const refused = code === "ECONNREFUSED" && !this.#connected;
      this.#dropSocket();
      this.#inFlight?.settle(
        refused
          ? { kind: "refused", message: `connection refused (${this.#config.hostname}:${this.#config.port})` }
          : { kind: "broken", message: `${code}: ${error.message}` },
      );
    });
    socket.on("close", () => {
      if (this.#socket !== socket) return;
      const inFlight = this.#inFlight;
      this.#dropSocket();
      if (inFlight === undefined) return;
      // A response without Content-Length ends where the connection does.
      if (inFlight.status !== undefined && inFlight.contentLength === undefined) {
        const all = Buffer.concat(inFlight.chunks);
        inFlight.settle({
          kind: "response",
          status: inFlight.status,
          body: all.toString("utf8", inFlight.bodyStart),
        });
      } else {
        inFlight.settle({
          kind: "broken",
          message: "ECONNRESET: the server closed the connection before answering",
        });
      }
    });
    return socket;
  }

  #dropSocket(): void {
    const socket = this.#socket;
    this.#socket = undefined;
    this.#connected = false;
    socket?.destroy();
  }

  #onData(chunk: Buffer): void {
    const inFlight = this.#inFlight;
    if (inFlight === undefined) {
      // Bytes nobody asked for: the stream is out of step; start over on a fresh socket.
      this.#dropSocket();
      return;
    }
    inFlight.chunks.push(chunk);
    inFlight.received += chunk.length;
    if (inFlight.status === undefined) {
      const all = inFlight.chunks.length === 1 ? chunk : Buffer.concat(inFlight.chunks);
      inFlight.chunks = [all];
      const headEnd = all.indexOf(HEAD_END);
      if (headEnd === -1) {
        if (all.length > MAX_HEAD_BYTES)
          this.#broken(inFlight, `response head larger than ${MAX_HEAD_BYTES} bytes`);
        return;
      }
      const head = parseHead(all.toString("latin1", 0, headEnd));
      if (typeof head === "string") {
        this.#broken(inFlight, head);
        return;
      }
      inFlight.status = head.status;
      inFlight.bodyStart = headEnd + HEAD_END.length;
      inFlight.contentLength = head.contentLength;
      inFlight.closeAfter = head.close;
    }
    const bodyBytes = inFlight.received - inFlight.bodyStart;
    if (bodyBytes > this.#config.maxResponseBytes) {
      this.#broken(inFlight, `response larger than ${this.#config.maxResponseBytes} bytes`);
      return;
    }
    if (inFlight.contentLength === undefined || bodyBytes < inFlight.contentLength) return;
    if (bodyBytes > inFlight.contentLength) {
      this.#broken(inFlight, "more bytes than Content-Length");
      return;
    }
    const all = inFlight.chunks.length === 1 ? inFlight.chunks[0]! : Buffer.concat(inFlight.chunks);
    if (inFlight.closeAfter) this.#dropSocket();
    inFlight.settle({
      kind: "response",
      status: inFlight.status,
      body: all.toString("utf8", inFlight.bodyStart),
    });
  }

  #broken(inFlight: InFlight, message: string): void {
    this.#dropSocket();
    inFlight.settle({ kind: "broken", message: `bad response: ${message}` });
  }
}

/** Status, Content-Length and Connection of a response head; a string says why it is unusable. */
function parseHead(
  head: string,
): { status: number; contentLength: number | undefined; close: boolean } | string {
  const lines = head.split("\r\n");
  const statusLine = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "");
  if (statusLine === null)
    return `not an HTTP/1.x status line: ${JSON.stringify((lines[0] ?? "").slice(0, 80))}`;
  let contentLength: number | undefined;
  let close = false;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === "content-length") {
      if (!/^\d+$/.test(value)) return `bad Content-Length ${JSON.stringify(value)}`;
      contentLength = Number(value);
    } else if (name === "transfer-encoding" && value.toLowerCase() !== "identity") {
      return `unsupported Transfer-Encoding ${value}`;
    } else if (name === "connection" && value.toLowerCase() === "close") {
      close = true;
    }
  }
  return { status: Number(statusLine[1]), contentLength, close };
}

/** Map the server's answer to a completion (see the module doc for what each means). */
function toCompletion(
  op: Op,
  status: number,
  text: string,
  node: string,
  unknown: (error: string) => Completion,
): Completion {
  let answer: ServerAnswer;
  try {
    answer = JSON.parse(text) as ServerAnswer;
  } catch {
    return unknown(`HTTP ${status} with a body that is not JSON: ${text.slice(0, 200)}`);
  }
  if (answer === null || typeof answer !== "object") {
    return unknown(`HTTP ${status} with a body that is not a JSON object: ${text.slice(0, 200)}`);
  }
  const error = typeof answer.error === "string" ? answer.error : undefined;
  if (status === 200 && answer.type === "ok") {
    return op.f === "read" ? { type: "ok", value: answer.value, node } : { type: "ok", node };
  }
  if (answer.type === "fail") return { type: "fail", error: error ?? `HTTP ${status}`, node };
  return unknown(`HTTP ${status}${error ? `: ${error}` : ""}`);
}

function reasonOf(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason.name === "TimeoutError" ? "timeout" : reason.message;
  return reason === undefined ? "aborted" : String(reason);
}
