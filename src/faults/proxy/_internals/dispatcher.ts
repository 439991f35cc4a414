/**
 * A shared inbound address that tells dialers apart: every connection it
 * accepts is handed, unread, to the link proxy of the node that dialed it
 * (found by `identify`, see `socket-owner.ts`), so a system whose nodes
 * advertise one peer address to all their peers (etcd) still gets one proxy
 * per member-to-member link.
 *
 * A connection whose dialer cannot be told within `identifyTimeoutMs` (the
 * pid of a node just spawned may be registered a moment after it dials) is
 * reset: routing it through some other link's proxy would fault traffic the
 * fault spares, or spare traffic it faults. The dialer's retry (etcd retries
 * its peer connections every 100 ms) gets a fresh chance.
 */
import net, { type Socket } from "node:net";
import type { FaultProxy } from "../proxy.js";
import type { ProxyEvent } from "../types.js";
import type { SocketEnd } from "./socket-owner.js";

/** How long a connection may wait for its dialer to be told, by default. */
export const IDENTIFY_TIMEOUT_MS = 2_000;
/** Spacing of identification attempts while waiting. */
const IDENTIFY_RETRY_MS = 20;

export interface DispatcherStats {
  /** Connections handed to their dialer's link proxy. */
  readonly routed: number;
  /** Connections reset because their dialer could not be told (or has no link to this node). */
  readonly unidentified: number;
}

export interface Dispatcher {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  stats(): DispatcherStats;
  close(): Promise<void>;
}

export interface StartDispatcherOptions {
  /** `peer *->n2`: for events and errors. */
  readonly name: string;
  readonly listenHost: string;
  /** The dialing node of a connection from `dialer` accepted at `accepted`, or undefined. */
  readonly identify: (dialer: SocketEnd, accepted: SocketEnd) => Promise<string | undefined>;
  /** The link proxy for connections `dialer` opens to this node; undefined when the mesh has none. */
  readonly routeTo: (dialer: string) => FaultProxy | undefined;
  readonly identifyTimeoutMs?: number;
  readonly onEvent?: (event: ProxyEvent) => void;
}

/** Dispatchers not closed yet, for leak checks. */
const openDispatchers = new Set<Dispatcher>();

/** The listening addresses of dispatchers not closed yet. */
export function openDispatcherAddresses(): string[] {
  return [...openDispatchers].map((dispatcher) => `${dispatcher.host}:${dispatcher.port}`);
}

export async function startDispatcher(options: StartDispatcherOptions): Promise<Dispatcher> {
  // Paused on connect: nothing is read before the connection reaches its link proxy.
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: options.listenHost, port: 0 }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", () => {});
  const address = server.address();
  if (address === null || typeof address === "string") {
    server.close();
    throw new Error(`${options.name}: unexpected listening address ${String(address)}`);
  }
  const timeoutMs = options.identifyTimeoutMs ?? IDENTIFY_TIMEOUT_MS;
  const pending = new Set<Socket>();
  let routed = 0;
  let unidentified = 0;
  let closing: Promise<void> | undefined;
  let connectionId = 0;

  const dispatch = async (socket: Socket): Promise<void> => {
    const id = ++connectionId;
    pending.add(socket);
    socket.on("error", () => {});
    const dialer = { host: socket.remoteAddress ?? "", port: socket.remotePort ?? 0 };
    const accepted = { host: socket.localAddress ?? "", port: socket.localPort ?? 0 };
    const deadline = Date.now() + timeoutMs;
    let name = await options.identify(dialer, accepted);
    // Bounded by the deadline; a closed socket or a closing dispatcher ends it early.
    while (name === undefined && Date.now() < deadline && !socket.destroyed && !closing) {
      await new Promise((wait) => setTimeout(wait, IDENTIFY_RETRY_MS));
      name = await options.identify(dialer, accepted);
    }
    pending.delete(socket);
    if (socket.destroyed || closing) {
      socket.destroy();
      return;
    }
    const proxy = name === undefined ? undefined : options.routeTo(name);
    if (proxy === undefined) {
      unidentified++;
      options.onEvent?.({
        type: "unidentified-dialer",
        proxy: options.name,
        connectionId: id,
        detail:
          name === undefined
            ? `no node owns ${dialer.host}:${dialer.port} after ${timeoutMs} ms; connection reset`
            : `${name} has no link to this node; connection reset`,
      });
      socket.resetAndDestroy();
      return;
    }
    routed++;
    proxy.adopt(socket);
  };
  server.on("connection", (socket: Socket) => {
    if (closing) {
      socket.destroy();
      return;
    }
    void dispatch(socket);
  });

  const dispatcher: Dispatcher = {
    name: options.name,
    host: options.listenHost,
    port: address.port,
    stats: () => ({ routed, unidentified }),
    close() {
      closing ??= (async () => {
        for (const socket of pending) socket.destroy();
        // Stops listening at once. Not awaited: its callback waits for every connection the server
        // accepted, and the routed ones belong to the link proxies, which close them (after this).
        server.close();
        openDispatchers.delete(dispatcher);
      })();
      return closing;
    },
  };
  openDispatchers.add(dispatcher);
  return dispatcher;
}
