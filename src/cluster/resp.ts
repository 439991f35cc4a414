/**
 * A tiny Redis (RESP2) client for readiness probes, leader lookup and tests.
 * Not a full client: one connection, commands answered in order, no pub/sub,
 * no pipelining API. Replies are bounded ({@link RESP_REPLY_MAX_BYTES}).
 */
import { connect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";

export type RespValue = string | number | null | RespError | RespValue[];

/** An error reply (`-ERR ...`): a value, not a thrown exception. */
export class RespError {
  constructor(readonly message: string) {}
}

/** Largest buffered reply; a server sending more is treated as broken. */
export const RESP_REPLY_MAX_BYTES = 64 * 1024 * 1024;

/** Parse one reply from `buffer` at `offset`; undefined when incomplete. */
export function parseReply(buffer: Buffer, offset = 0): { value: RespValue; next: number } | undefined {
  const lineEnd = buffer.indexOf("\r\n", offset);
  if (lineEnd < 0) return undefined;
  const kind = String.fromCharCode(buffer[offset]!);
  const line = buffer.toString("utf8", offset + 1, lineEnd);
  const afterLine = lineEnd + 2;
  switch (kind) {
    case "+":
      return { value: line, next: afterLine };
    case "-":
      return { value: new RespError(line), next: afterLine };
    case ":":
      return { value: Number(line), next: afterLine };
    case "$": {
      const length = Number(line);
      if (length < 0) return { value: null, next: afterLine };
      if (buffer.length < afterLine + length + 2) return undefined;
      return { value: buffer.toString("utf8", afterLine, afterLine + length), next: afterLine + length + 2 };
    }
    case "*": {
      const count = Number(line);
      if (count < 0) return { value: null, next: afterLine };
      const items: RespValue[] = [];
      let next = afterLine;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buffer, next);
        if (!item) return undefined;
        items.push(item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      throw new Error(`RESP: unexpected reply type ${JSON.stringify(kind)}`);
  }
}

function encodeCommand(args: readonly (string | number)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = Buffer.from(String(arg), "utf8");
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from("\r\n"));
  }
  return Buffer.concat(parts);
}

interface Pending {
  resolve: (value: RespValue) => void;
  reject: (error: Error) => void;
}

/** One connection to a Redis server. */
export class RespConnection {
  private buffer: Buffer = Buffer.alloc(0);
  private readonly pending: Pending[] = [];
  private closedError: Error | undefined;

  private constructor(private readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (error) => this.fail(error));
    socket.on("close", () => this.fail(new Error("RESP: connection closed")));
  }

  /** Connect to host:port (over TLS, verifying the server against `tls.ca`, when given), failing after `timeoutMs`. */
  static connect(options: {
    host: string;
    port: number;
    timeoutMs?: number;
    tls?: { readonly ca: string | Buffer };
  }): Promise<RespConnection> {
    return new Promise((resolve, reject) => {
      const socket: Socket = options.tls
        ? tlsConnect({ host: options.host, port: options.port, ca: options.tls.ca })
        : connect({ host: options.host, port: options.port });
      const ready = options.tls ? "secureConnect" : "connect";
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`RESP: connect to ${options.host}:${options.port} timed out`));
      }, options.timeoutMs ?? 2_000);
      socket.once(ready, () => {
        clearTimeout(timer);
        socket.removeAllListeners("error");
        socket.setNoDelay(true);
        resolve(new RespConnection(socket));
      });
      socket.once("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  /** Send one command; resolves with its reply (an error reply is a {@link RespError} value). */
  command(args: readonly (string | number)[], timeoutMs = 5_000): Promise<RespValue> {
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise<RespValue>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new Error(`RESP: ${String(args[0])} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.push({
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.socket.write(encodeCommand(args));
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    if (this.buffer.length > RESP_REPLY_MAX_BYTES) {
      this.fail(new Error("RESP: reply too large"));
      return;
    }
    let offset = 0;
    while (offset < this.buffer.length) {
      let parsed: ReturnType<typeof parseReply>;
      try {
        parsed = parseReply(this.buffer, offset);
      } catch (error) {
        this.fail(error as Error);
        return;
      }
      if (!parsed) break;
      offset = parsed.next;
      this.pending.shift()?.resolve(parsed.value);
    }
    this.buffer = this.buffer.subarray(offset);
  }

  private fail(error: Error): void {
    this.closedError ??= error;
    this.socket.destroy();
    for (const pending of this.pending.splice(0)) pending.reject(error);
  }
}

/** Open a connection, run one command, close. */
export async function respCommand(options: {
  host: string;
  port: number;
  args: readonly (string | number)[];
  timeoutMs?: number;
  tls?: { readonly ca: string | Buffer };
}): Promise<RespValue> {
  const connection = await RespConnection.connect(options);
  try {
    return await connection.command(options.args, options.timeoutMs);
  } finally {
    connection.close();
  }
}

/** Parse an `INFO` reply (`key:value` lines) into a map. */
export function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0 && !line.startsWith("#")) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}
