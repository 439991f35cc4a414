/**
 * Real TCP endpoints for the proxy tests: a server that records what it
 * receives (and optionally echoes it), and a client that reads lines with a
 * deadline. Everything binds 127.0.0.1 on a kernel-chosen port.
 */
import net, { type Server, type Socket } from "node:net";

export interface TestServer {
  readonly port: number;
  /** Every chunk received, in order, over all connections, tagged with the connection number. */
  readonly log: { connection: number; data: string }[];
  /** Sockets accepted so far (closed ones included). */
  readonly sockets: Socket[];
  received(): string;
  /** Resolves once the concatenation of everything received contains `text`. */
  waitForReceived(text: string, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/** `halfOpen`: keep our side writable after the peer's FIN (to test half-close); default false. */
export async function startTestServer(options: { echo: boolean; halfOpen?: boolean }): Promise<TestServer> {
  const log: { connection: number; data: string }[] = [];
  const sockets: Socket[] = [];
  const waiters = new Set<() => void>();
  const server: Server = net.createServer(
    { noDelay: true, allowHalfOpen: options.halfOpen ?? false },
    (socket) => {
      const connection = sockets.length;
      sockets.push(socket);
      socket.on("error", () => {});
      socket.on("data", (chunk: Buffer) => {
        log.push({ connection, data: chunk.toString("latin1") });
        if (options.echo) socket.write(chunk);
        for (const waiter of waiters) waiter();
      });
    },
  );
  await new Promise<void>((resolve) => server.listen({ host: "127.0.0.1", port: 0 }, resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no address");
  const received = () => log.map((entry) => entry.data).join("");
  return {
    port: address.port,
    log,
    sockets,
    received,
    waitForReceived(text, timeoutMs) {
      if (received().includes(text)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!received().includes(text)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`server did not receive ${JSON.stringify(text)} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
      });
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A client socket that buffers what it reads and reports errors as data. */
export class TestClient {
  readonly socket: Socket;
  private buffer = "";
  error: NodeJS.ErrnoException | undefined;
  ended = false;
  closed = false;
  private readonly waiters = new Set<() => void>();

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => {
      this.buffer += chunk.toString("latin1");
      this.wake();
    });
    socket.on("error", (error: NodeJS.ErrnoException) => {
      this.error = error;
      this.wake();
    });
    socket.on("end", () => {
      this.ended = true;
      this.wake();
    });
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
  }

  static connect(port: number, timeoutMs = 2000): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: "127.0.0.1", port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${port} timed out`));
      }, timeoutMs);
      socket.once("connect", () => {
        clearTimeout(timer);
        resolve(new TestClient(socket));
      });
      socket.once("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  private wake(): void {
    for (const waiter of this.waiters) waiter();
  }

  /** Everything read so far, then cleared. */
  take(): string {
    const out = this.buffer;
    this.buffer = "";
    return out;
  }

  peek(): string {
    return this.buffer;
  }

  /**
   * Wait until `predicate` holds (checked on every event) or the deadline passes;
   * resolves to whether it held.
   */
  waitFor(predicate: (client: TestClient) => boolean, timeoutMs: number): Promise<boolean> {
    if (predicate(this)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = () => {
        if (!predicate(this)) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        resolve(false);
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  /** Wait for `text` in what was read; resolves to whether it came. */
  waitForText(text: string, timeoutMs: number): Promise<boolean> {
    return this.waitFor((client) => client.peek().includes(text), timeoutMs);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** A real pause, for asserting that something does *not* arrive within a window. */
export function quietWindow(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
