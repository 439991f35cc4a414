/**
 * One Redis connection that knows, for each command, whether it can have
 * reached the server: the transport of the Redis client.
 *
 * Why not the fixture's `RespConnection` (src/cluster/resp.ts) or a library:
 * the client must tell "never sent" (`fail`) from "maybe executed" (`info`),
 * and take an abort signal. Libraries (node-redis, ioredis) queue commands
 * while offline, reconnect and resend on their own, which hides exactly
 * that; `RespConnection` has no abort and cannot say whether a rejected
 * command was written. The wire format is tiny, so this reuses the fixture's
 * reply parser and owns the socket: one command at a time (the runner sends
 * one op at a time per connection), connect on first use, and a fresh socket
 * after anything goes wrong.
 */
import { createConnection, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { parseReply, RespError, type RespValue } from "../../cluster/resp.js";
import { abortReason, errorText } from "./outcome.js";

export { RespError, type RespValue };

export type RespOutcome =
  | { readonly kind: "reply"; readonly value: RespValue }
  | { readonly kind: "not-sent"; readonly message: string }
  | { readonly kind: "unknown"; readonly message: string };

/** Encode a command as a RESP array of bulk strings. */
export function encodeCommand(args: readonly (string | number)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = Buffer.from(String(arg), "utf8");
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from("\r\n"));
  }
  return Buffer.concat(parts);
}

export interface RespLinkOptions {
  readonly host: string;
  readonly port: number;
  /**
   * Speak TLS, verifying the server against `ca`. "Connected" (what makes a
   * failure `unknown`) is then the end of the handshake: a failed handshake
   * sends no command byte.
   */
  readonly tls?: { readonly ca: string | Buffer };
  /** A larger reply is treated as a broken exchange. Default 1 MiB. */
  readonly maxReplyBytes?: number;
}

interface Pending {
  settle(outcome: RespOutcome): void;
}

export class RespLink {
  readonly #options: RespLinkOptions;
  readonly #maxReplyBytes: number;
  #socket: Socket | undefined;
  /** Whether the current socket is connected: before that, nothing we wrote reached the server. */
  #connected = false;
  #buffer: Buffer = Buffer.alloc(0);
  #pending: Pending | undefined;

  constructor(options: RespLinkOptions) {
    this.#options = options;
    this.#maxReplyBytes = options.maxReplyBytes ?? 1024 * 1024;
  }

  /** Send one command and wait for its reply, the signal, or `timeoutMs`, whichever comes first. */
  call(
    args: readonly (string | number)[],
    options: { signal: AbortSignal; timeoutMs: number },
  ): Promise<RespOutcome> {
    const { signal } = options;
    if (this.#pending) {
      return Promise.reject(new Error("RespLink: one command at a time (a command is in flight)"));
    }
    if (signal.aborted) {
      return Promise.resolve({ kind: "not-sent", message: `aborted before sending: ${abortReason(signal)}` });
    }
    return new Promise<RespOutcome>((resolve) => {
      const pending: Pending = {
        settle: (outcome) => {
          if (this.#pending !== pending) return;
          this.#pending = undefined;
          clearTimeout(timer);
          signal.removeEventListener("abort", onAbort);
          resolve(outcome);
        },
      };
      const giveUp = (message: string): void => {
        pending.settle(this.#failure(message));
        this.#drop();
      };
      const onAbort = (): void => giveUp(`aborted: ${abortReason(signal)}`);
      const timer = setTimeout(() => giveUp(`no reply within ${options.timeoutMs} ms`), options.timeoutMs);
      signal.addEventListener("abort", onAbort, { once: true });
      this.#pending = pending;
      // A socket the server has already closed (we saw its FIN) would swallow the command: start afresh.
      const current = this.#socket;
      if (current && (current.destroyed || current.readableEnded || !current.writable)) this.#drop();
      const socket = this.#socket ?? this.#connect();
      socket.write(encodeCommand(args));
    });
  }

  close(): void {
    this.#pending?.settle({ kind: "unknown", message: "connection closed" });
    this.#drop();
  }

  #failure(message: string): RespOutcome {
    return this.#connected ? { kind: "unknown", message } : { kind: "not-sent", message };
  }

  #connect(): Socket {
    const { host, port, tls } = this.#options;
    // Writes before the handshake ends are buffered by the TLS socket, as by a connecting plain one.
    const socket = tls
      ? tlsConnect({ host, port, ca: tls.ca }).setNoDelay(true)
      : createConnection({ host, port, noDelay: true });
    this.#socket = socket;
    this.#connected = false;
    this.#buffer = Buffer.alloc(0);
    socket.once(tls ? "secureConnect" : "connect", () => {
      if (this.#socket === socket) this.#connected = true;
    });
    socket.on("data", (chunk: Buffer) => {
      if (this.#socket === socket) this.#onData(chunk);
    });
    socket.on("error", (error) => {
      if (this.#socket !== socket) return;
      const outcome = this.#failure(errorText(error));
      this.#drop();
      this.#pending?.settle(outcome);
    });
    socket.on("close", () => {
      if (this.#socket !== socket) return;
      const outcome = this.#failure("the server closed the connection");
      this.#drop();
      this.#pending?.settle(outcome);
    });
    return socket;
  }

  #drop(): void {
    const socket = this.#socket;
    this.#socket = undefined;
    this.#connected = false;
    this.#buffer = Buffer.alloc(0);
    socket?.destroy();
  }

  #onData(chunk: Buffer): void {
    const pending = this.#pending;
    if (!pending) {
      // Bytes nobody asked for: the stream is out of step; start over on a fresh socket.
      this.#drop();
      return;
    }
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    if (this.#buffer.length > this.#maxReplyBytes) {
      pending.settle({ kind: "unknown", message: `reply larger than ${this.#maxReplyBytes} bytes` });
      this.#drop();
      return;
    }
    let parsed: ReturnType<typeof parseReply>;
    try {
      parsed = parseReply(this.#buffer);
    } catch (error) {
      pending.settle({ kind: "unknown", message: `bad reply: ${errorText(error)}` });
      this.#drop();
      return;
    }
    if (!parsed) return;
    if (parsed.next !== this.#buffer.length) {
      pending.settle({ kind: "unknown", message: "more bytes than one reply" });
      this.#drop();
      return;
    }
    this.#buffer = Buffer.alloc(0);
    pending.settle({ kind: "reply", value: parsed.value });
  }
}
