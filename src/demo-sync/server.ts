/**
 * The demo-sync server: one process holding the event log of every client,
 * each event numbered by a server sequence number.
 *
 *   node dist/demo-sync/server.js --data-dir DIR [--port 0] [--host 127.0.0.1]
 *     [--demo-mode correct|row-lww|duplicate-on-retry|wallclock-lww] [--max-in-flight 4]
 *     [--exit-on-stdin-close]
 *
 * HTTP, JSON bodies: `GET /health`, `POST /push` (a `PushRequest`; answers
 * the `seq` of each event), `GET /pull?after=SEQ` (the events after SEQ).
 * The log is `events.jsonl` in the data dir, one event per line appended
 * before the push is answered, so a restart on the same data dir (even after
 * SIGKILL) keeps every acknowledged event; a torn last line is dropped on
 * start. A pushed event whose `eventId` the log already has is not appended
 * again (its old `seq` is answered): a retried push is harmless. In
 * `duplicate-on-retry` mode that dedupe is off, deliberately.
 *
 * More than `--max-in-flight` requests at once get `429` with `Retry-After`:
 * the rate limit a thundering herd of clients meets.
 *
 * Prints `READY <port>` on stdout once it serves; logs go to stderr.
 * Imports node builtins only, so it starts fast.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  PULL_PAGE_EVENTS,
  PUSH_MAX_EVENTS,
  type PullResponse,
  type PushRequest,
  type PushResponse,
  SYNC_DEMO_MODES,
  type SyncDemoMode,
  type SyncEvent,
} from "./protocol.js";

const EXIT_USAGE = 64;
const EXIT_FAILED = 3;
/** A request body above this is refused (413): a bound on what one push can hold in memory. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

export const SYNC_SERVER_USAGE = `usage: demo-sync-server --data-dir DIR [--port 0] [--host 127.0.0.1]
  [--demo-mode ${SYNC_DEMO_MODES.join("|")}] [--max-in-flight 4] [--exit-on-stdin-close]`;

interface ServerArgs {
  dataDir: string;
  host: string;
  port: number;
  mode: SyncDemoMode;
  maxInFlight: number;
  exitOnStdinClose: boolean;
}

function parseServerArgs(argv: string[]): ServerArgs {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      "data-dir": { type: "string" },
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string", default: "0" },
      "demo-mode": { type: "string", default: "correct" },
      "max-in-flight": { type: "string", default: "4" },
      "exit-on-stdin-close": { type: "boolean", default: false },
    },
  });
  const dataDir = values["data-dir"];
  if (!dataDir) throw new Error("--data-dir is required");
  const mode = values["demo-mode"] as SyncDemoMode;
  if (!SYNC_DEMO_MODES.includes(mode))
    throw new Error(`--demo-mode must be one of ${SYNC_DEMO_MODES.join(", ")}, not ${JSON.stringify(mode)}`);
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port ?? "") || port > 65535)
    throw new Error(`--port must be an integer in [0, 65535], not ${JSON.stringify(values.port)}`);
  const maxInFlight = Number(values["max-in-flight"]);
  if (!/^\d+$/.test(values["max-in-flight"] ?? "") || maxInFlight < 1)
    throw new Error(
      `--max-in-flight must be a positive integer, not ${JSON.stringify(values["max-in-flight"])}`,
    );
  return {
    dataDir,
    host: values.host ?? "127.0.0.1",
    port,
    mode,
    maxInFlight,
    exitOnStdinClose: values["exit-on-stdin-close"] ?? false,
  };
}

/** The log on disk and its index in memory. */
class EventLog {
  readonly events: SyncEvent[] = [];
  private readonly seqByEventId = new Map<string, number>();
  private readonly path: string;

  constructor(dataDir: string, log: (line: string) => void) {
    mkdirSync(dataDir, { recursive: true });
    this.path = join(dataDir, "events.jsonl");
    if (!existsSync(this.path)) return;
    const lines = readFileSync(this.path, "utf8").split("\n");
    for (const [i, line] of lines.entries()) {
      if (line.trim() === "") continue;
      try {
        this.index(JSON.parse(line) as SyncEvent);
      } catch {
        // Only a torn last line (a SIGKILL mid-append) is expected; anything else is a corrupt log.
        if (i < lines.length - 1 && lines.slice(i + 1).some((rest) => rest.trim() !== ""))
          throw new Error(`${this.path}:${i + 1}: not a JSON event`);
        log(`dropping a torn last line of ${this.path}`);
      }
    }
    log(`recovered ${this.events.length} events from ${this.path}`);
  }

  private index(event: SyncEvent): void {
    this.events.push(event);
    if (!this.seqByEventId.has(event.eventId)) this.seqByEventId.set(event.eventId, event.seq!);
  }

  get lastSeq(): number {
    return this.events.length === 0 ? 0 : this.events[this.events.length - 1]!.seq!;
  }

  /** Append the events (one write), skipping those already logged unless `dedupe` is off. */
  append(pushed: readonly SyncEvent[], dedupe: boolean): { eventId: string; seq: number }[] {
    const accepted: { eventId: string; seq: number }[] = [];
    const fresh: SyncEvent[] = [];
    let seq = this.lastSeq;
    const inBatch = new Map<string, number>();
    for (const event of pushed) {
      const known = this.seqByEventId.get(event.eventId) ?? inBatch.get(event.eventId);
      if (dedupe && known !== undefined) {
        accepted.push({ eventId: event.eventId, seq: known });
        continue;
      }
      seq += 1;
      const logged: SyncEvent = { ...event, seq };
      fresh.push(logged);
      inBatch.set(event.eventId, seq);
      accepted.push({ eventId: event.eventId, seq });
    }
    if (fresh.length > 0) {
      appendFileSync(this.path, fresh.map((event) => `${JSON.stringify(event)}\n`).join(""));
      for (const event of fresh) this.index(event);
    }
    return accepted;
  }

  after(seq: number): SyncEvent[] {
    // Events are in seq order and seqs are 1..n without gaps, so the index is the position.
    return this.events.slice(seq, seq + PULL_PAGE_EVENTS);
  }
}

function isEvent(value: unknown): value is SyncEvent {
  if (typeof value !== "object" || value === null) return false;
  const e = value as Record<string, unknown>;
  return (
    typeof e.eventId === "string" &&
    typeof e.actor === "string" &&
    typeof e.entity === "string" &&
    (e.action === "create" || e.action === "update" || e.action === "delete" || e.action === "restore") &&
    typeof e.fields === "object" &&
    e.fields !== null &&
    Object.values(e.fields).every((v) => typeof v === "string") &&
    typeof e.hlc === "string" &&
    typeof e.wallMs === "number"
  );
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw Object.assign(new Error("body too large"), { status: 413 });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  response.writeHead(status, { "content-type": "application/json", ...headers });
  response.end(JSON.stringify(body));
}

function main(): void {
  let args: ServerArgs;
  try {
    args = parseServerArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(
      `demo-sync-server: ${error instanceof Error ? error.message : String(error)}\n${SYNC_SERVER_USAGE}\n`,
    );
    process.exit(EXIT_USAGE);
  }
  const log = (line: string): void => {
    process.stderr.write(`${new Date().toISOString()} sync-server ${line}\n`);
  };
  const eventLog = new EventLog(args.dataDir, log);
  let inFlight = 0;
  const server = createServer((request, response) => {
    if (inFlight >= args.maxInFlight) {
      send(response, 429, { error: "rate limited: too many requests at once" }, { "retry-after": "1" });
      request.resume();
      return;
    }
    inFlight++;
    response.on("close", () => inFlight--);
    handle(request, response).catch((error: Error & { status?: number }) => {
      log(`${request.method} ${request.url}: ${error.message}`);
      if (!response.headersSent) send(response, error.status ?? 500, { error: error.message });
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://localhost");
    if (request.method === "GET" && url.pathname === "/health") {
      send(response, 200, { ok: true, lastSeq: eventLog.lastSeq, mode: args.mode });
      return;
    }
    if (request.method === "GET" && url.pathname === "/pull") {
      const after = Number(url.searchParams.get("after") ?? "0");
      if (!Number.isInteger(after) || after < 0) {
        send(response, 400, { error: "after must be a non-negative integer" });
        return;
      }
      const events = eventLog.after(after);
      const last = events.length === 0 ? after : events[events.length - 1]!.seq!;
      const body: PullResponse = { events, more: last < eventLog.lastSeq, mode: args.mode };
      send(response, 200, body);
      return;
    }
    if (request.method === "POST" && url.pathname === "/push") {
      let parsed: PushRequest;
      try {
        parsed = JSON.parse(await readBody(request)) as PushRequest;
      } catch (error) {
        const status = (error as { status?: number }).status ?? 400;
        send(response, status, { error: status === 413 ? "body too large" : "body is not JSON" });
        return;
      }
      if (
        !Array.isArray(parsed.events) ||
        parsed.events.length > PUSH_MAX_EVENTS ||
        !parsed.events.every(isEvent)
      ) {
        send(response, 400, { error: `events must be an array of at most ${PUSH_MAX_EVENTS} events` });
        return;
      }
      const strip = parsed.events.map(({ seq: _seq, ...event }) => event);
      const accepted = eventLog.append(strip, args.mode !== "duplicate-on-retry");
      const body: PushResponse = { accepted, mode: args.mode };
      send(response, 200, body);
      return;
    }
    send(response, 404, { error: `no route ${request.method} ${url.pathname}` });
  }

  let stopping = false;
  const stop = (why: string): void => {
    if (stopping) return;
    stopping = true;
    log(`${why}: stopping`);
    server.close();
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 50).unref();
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  if (args.exitOnStdinClose) {
    process.stdin.on("end", () => stop("stdin closed"));
    process.stdin.on("error", () => stop("stdin error"));
    process.stdin.resume();
  }
  server.listen(args.port, args.host, () => {
    const address = server.address();
    const port = typeof address === "object" && address !== null ? address.port : args.port;
    log(`serving on ${args.host}:${port} (mode ${args.mode}, ${eventLog.lastSeq} events)`);
    process.stdout.write(`READY ${port}\n`);
  });
  server.on("error", (error) => {
    log(`FATAL: ${error.message}`);
    process.exit(EXIT_FAILED);
  });
}

main();
