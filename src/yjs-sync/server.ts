/**
 * The yjs-sync server: the y-websocket server of `@y/websocket-server`
 * (Yjs's own sync server: sync step 1/2 and updates over a WebSocket per
 * client, one shared `Y.Doc` per room), with a durable store of our own in
 * place of its LevelDB one: every update a document applies is appended to
 * that document's log and fsynced before the server reads the next message
 * (see `update-log.ts`), and the log is replayed when the document is next
 * opened. So a SIGKILL loses nothing a client could have read back, and a
 * restart on the same data dir and port serves the same documents.
 *
 *   node dist/yjs-sync/server.js --data-dir DIR [--port 0] [--host 127.0.0.1]
 *
 * `GET /health` answers 200 once it serves; a WebSocket upgrade on `/ROOM`
 * joins the document ROOM (letters, digits, `-`, `_`, `.`). Prints
 * `READY <port>` on stdout; logs go to stderr.
 */
import { mkdirSync } from "node:fs";
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { setPersistence, setupWSConnection } from "@y/websocket-server/utils";
import { WebSocketServer } from "ws";
import * as Y from "yjs";
import { readUpdateLog, UpdateLog, updateLogPath } from "./update-log.js";

const EXIT_USAGE = 64;
const ROOM_NAME = /^[A-Za-z0-9._-]{1,100}$/;
/** A log longer than this is compacted when its document is next opened. */
const COMPACT_AFTER_UPDATES = 200;

export const YJS_SERVER_USAGE = "usage: yjs-sync-server --data-dir DIR [--port 0] [--host 127.0.0.1]";

interface ServerArgs {
  readonly dataDir: string;
  readonly host: string;
  readonly port: number;
}

function parseServerArgs(argv: string[]): ServerArgs {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      "data-dir": { type: "string" },
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string", default: "0" },
    },
  });
  const dataDir = values["data-dir"];
  if (!dataDir) throw new Error("--data-dir is required");
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port ?? "") || port > 65535)
    throw new Error(`--port must be an integer in [0, 65535], not ${JSON.stringify(values.port)}`);
  return { dataDir, host: values.host ?? "127.0.0.1", port };
}

function log(line: string): void {
  process.stderr.write(`${new Date().toISOString()} yjs-sync-server: ${line}\n`);
}

/**
 * The persistence `@y/websocket-server` calls: `bindState` when it creates a
 * document (the first connection to a room, or the first after the last one
 * closed), synchronously, before that connection's first message is read.
 * It replays the log into the document, then appends every later update.
 * The update listener is registered after the server's own broadcast
 * listener, so an update reaches the other clients' sockets before it is on
 * disk; a client's read-back (its `sync` opens a second connection) sees it
 * only after both, because the server handles one message at a time.
 */
function durablePersistence(dataDir: string) {
  const open = new Map<string, UpdateLog>();
  return {
    provider: null,
    bindState(docName: string, doc: Y.Doc): void {
      const path = updateLogPath(dataDir, docName);
      const replayed = readUpdateLog(path);
      for (const update of replayed.updates) Y.applyUpdate(doc, update, "replay");
      const current = open.get(docName);
      // The first open in this process, and any open of a long log, compacts it into one update
      // (and drops a torn tail): the server drops a document when its last client leaves, so
      // every sync of a lone client replays the log, which must stay short.
      if (current === undefined || replayed.updates.length > COMPACT_AFTER_UPDATES) {
        current?.close();
        open.set(
          docName,
          UpdateLog.open(path, {
            goodBytes: replayed.goodBytes,
            ...(replayed.updates.length > 1 ? { compacted: Y.encodeStateAsUpdate(doc) } : {}),
          }),
        );
        log(
          `${docName}: replayed ${replayed.updates.length} update(s) from ${path}` +
            (replayed.tornBytes > 0 ? `, dropped a torn tail of ${replayed.tornBytes} byte(s)` : ""),
        );
      }
      doc.on("update", (update: Uint8Array, origin: unknown) => {
        if (origin === "replay") return;
        try {
          // Looked up per update: a later open may have compacted the log and reopened it.
          open.get(docName)!.append(update);
        } catch (error) {
          // An update in memory but not on disk would be read back as if durable: stop instead.
          log(`cannot persist an update of ${docName}: ${(error as Error).message}; exiting`);
          process.exit(3);
        }
      });
    },
    async writeState(): Promise<void> {
      // Every update is already on disk.
    },
  };
}

async function main(argv: string[]): Promise<void> {
  let args: ServerArgs;
  try {
    args = parseServerArgs(argv);
  } catch (error) {
    process.stderr.write(`yjs-sync-server: ${(error as Error).message}\n${YJS_SERVER_USAGE}\n`);
    process.exit(EXIT_USAGE);
  }
  mkdirSync(args.dataDir, { recursive: true });
  setPersistence(durablePersistence(args.dataDir));
  const wss = new WebSocketServer({ noServer: true });
  const http = createServer((request, response) => {
    if (request.method === "GET" && request.url === "/health") {
      response.writeHead(200, { "content-type": "application/json" });
      response.end('{"ok":true}\n');
      return;
    }
    response.writeHead(404, { "content-type": "text/plain" });
    response.end("not found\n");
  });
  http.on("upgrade", (request, socket, head) => {
    const room = (request.url ?? "").slice(1).split("?")[0] ?? "";
    if (!ROOM_NAME.test(room)) {
      socket.end("HTTP/1.1 400 Bad Request\r\n\r\n");
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      setupWSConnection(ws, request, { docName: room });
    });
  });
  http.listen(args.port, args.host, () => {
    const address = http.address();
    const port = typeof address === "object" && address !== null ? address.port : args.port;
    log(`serving on ${args.host}:${port}, data dir ${args.dataDir}`);
    process.stdout.write(`READY ${port}\n`);
  });
  const stop = (why: string): void => {
    log(`stopping: ${why}`);
    process.exit(0);
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

const entry = process.argv[1] ?? "";
if (entry.endsWith("server.js") || entry.endsWith("server.ts")) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`yjs-sync-server: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(3);
  });
}
