/**
 * The yjs-sync client: one actor's offline-first command line over a Yjs
 * document it keeps on disk. Every command loads the document, works on it
 * without the server, and saves it; `sync` meets the server through the
 * y-websocket client (`WebsocketProvider`), the stock Yjs sync stack.
 *
 *   yjs-sync COMMAND ...
 *     create [FIELD=VALUE ...]       a new entity; prints {"id": ...}
 *     update ID FIELD=VALUE ...      set fields of an entity
 *     delete ID | restore ID         mark an entity deleted / not deleted
 *     undo                           revert this actor's last mutation (a new write)
 *     sync [--retry-last]            exchange updates with the server, then read back
 *     show                           this actor's snapshot (canonical JSON)
 *
 * Environment: `YJS_SYNC_SERVER` (http://HOST:PORT), `YJS_SYNC_DATA_DIR`
 * (else `$HOME/.yjs-sync`), `YJS_SYNC_ACTOR` (else the home's base name),
 * `YJS_SYNC_ROOM` (default `crucible`), `YJS_SYNC_TIMEOUT_MS` (a whole sync,
 * default 2000), `YJS_SYNC_CLIENT_MODE` (`correct`, or the deliberately wrong
 * `drop-offline-edits`, see protocol.ts).
 *
 * **How a sync knows the server has its edits.** The y-websocket protocol
 * has no acknowledgement: a client sends what the server lacks (sync step 2)
 * and hears nothing back. So `sync`, once its provider is synced, opens a
 * second connection with an empty document, lets the server fill it, and
 * checks that the server's state vector covers its own (every edit this
 * actor has, the server has), retrying until the deadline. The server
 * fsyncs an update before it handles the next message, so what is read back
 * is on disk. (The workload writes only through `Y.Map.set`, whose
 * deletions travel with the insert that caused them, so covering the state
 * vector is covering the edits.)
 *
 * `sync --retry-last` also re-sends the whole document as one update, as a
 * client does that lost the acknowledgement of its last push: Yjs applies
 * what it already has as nothing.
 *
 * The actor's state is one file, `store.json` (the document as a Yjs
 * update, base64, the undo stack, the next entity number, the copy of the
 * document at the last successful sync), written to a temp file, fsynced,
 * and renamed, so a client killed mid-write leaves the old state. Its Yjs
 * client id is derived from the actor's name, so a run replays the same
 * merge order; an actor runs one command at a time, so no two sessions share it.
 *
 * Exit codes: 0 ok; 10 no such entity; 11 the entity is already in that
 * state, or nothing to undo; 20 the server is unreachable or the sync did
 * not finish in time; 64 bad usage; 3 anything else.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from "node:fs";
import { basename, join } from "node:path";
import type { WebsocketProvider } from "y-websocket";
import * as Y from "yjs";
import {
  DEFAULT_ROOM,
  ENTITIES_MAP,
  YJS_CLIENT_EXIT,
  YJS_CLIENT_MODES,
  YJS_ENV,
  type YjsClientMode,
} from "./protocol.js";

class ClientError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** One entry of the undo stack: what a mutation changed, and the values it overwrote. */
interface UndoEntry {
  readonly entity: string;
  readonly action: "create" | "update" | "delete" | "restore";
  /** Field → its value before the mutation (`null`: the field had none). */
  readonly previous: Readonly<Record<string, string | null>>;
}

interface StoreFile {
  readonly actor: string;
  readonly nextEntity: number;
  /** Newest last. */
  readonly undo: readonly UndoEntry[];
  /** True after a sync that failed, until one succeeds. */
  readonly offline: boolean;
  /** `Y.encodeStateAsUpdate` of the document, base64. */
  readonly doc: string;
  /** The document as it was after the last successful sync (base64), or empty. */
  readonly synced: string;
}

interface ClientConfig {
  readonly server: string | undefined;
  readonly dataDir: string;
  readonly actor: string;
  readonly room: string;
  readonly timeoutMs: number;
  readonly mode: YjsClientMode;
}

interface Store {
  actor: string;
  nextEntity: number;
  undo: UndoEntry[];
  offline: boolean;
  doc: Y.Doc;
  synced: Uint8Array;
}

/** FNV-1a of the actor's name: a stable 32-bit Yjs client id per actor. */
export function clientIdFor(actor: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(`crucible-yjs/${actor}`, "utf8")) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

function newDoc(actor: string, state?: Uint8Array): Y.Doc {
  const doc = new Y.Doc();
  if (state !== undefined && state.length > 0) Y.applyUpdate(doc, state);
  // After the load: Yjs takes a remote update that carries its own client id as a sign that another
  // session shares the id, and picks a new one; the actor's own saved edits are not that.
  doc.clientID = clientIdFor(actor);
  return doc;
}

function storePath(config: ClientConfig): string {
  return join(config.dataDir, "store.json");
}

function loadStore(config: ClientConfig): Store {
  const path = storePath(config);
  if (!existsSync(path)) {
    return {
      actor: config.actor,
      nextEntity: 1,
      undo: [],
      offline: false,
      doc: newDoc(config.actor),
      synced: new Uint8Array(),
    };
  }
  const file = JSON.parse(readFileSync(path, "utf8")) as StoreFile;
  return {
    actor: file.actor,
    nextEntity: file.nextEntity,
    undo: [...file.undo],
    offline: file.offline,
    doc: newDoc(file.actor, Buffer.from(file.doc, "base64")),
    synced: Buffer.from(file.synced, "base64"),
  };
}

/** Temp file, fsync, rename: a client killed mid-write leaves the old store, never half of one. */
function saveStore(config: ClientConfig, store: Store): void {
  mkdirSync(config.dataDir, { recursive: true });
  const file: StoreFile = {
    actor: store.actor,
    nextEntity: store.nextEntity,
    undo: store.undo,
    offline: store.offline,
    doc: Buffer.from(Y.encodeStateAsUpdate(store.doc)).toString("base64"),
    synced: Buffer.from(store.synced).toString("base64"),
  };
  const path = storePath(config);
  const temp = `${path}.tmp`;
  const fd = openSync(temp, "w");
  try {
    writeSync(fd, JSON.stringify(file));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}

function entities(doc: Y.Doc): Y.Map<Y.Map<string>> {
  return doc.getMap<Y.Map<string>>(ENTITIES_MAP);
}

/** The entities as plain rows, keys sorted at both levels (canonical JSON). */
export function entityRows(doc: Y.Doc): Record<string, Record<string, string>> {
  const rows: Record<string, Record<string, string>> = {};
  const map = entities(doc);
  for (const id of [...map.keys()].sort()) {
    const row = map.get(id)!;
    rows[id] = Object.fromEntries([...row.keys()].sort().map((k) => [k, row.get(k)!]));
  }
  return rows;
}

function parseFields(items: readonly string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf("=");
    if (eq <= 0)
      throw new ClientError(YJS_CLIENT_EXIT.usage, `expected FIELD=VALUE, got ${JSON.stringify(item)}`);
    const name = item.slice(0, eq);
    if (name === "deleted")
      throw new ClientError(YJS_CLIENT_EXIT.usage, "the field deleted is set by delete and restore");
    fields[name] = item.slice(eq + 1);
  }
  return fields;
}

function row(store: Store, id: string | undefined): Y.Map<string> {
  if (id === undefined) throw new ClientError(YJS_CLIENT_EXIT.usage, "expected an entity id");
  const found = entities(store.doc).get(id);
  if (found === undefined) throw new ClientError(YJS_CLIENT_EXIT.notFound, `no entity ${id}`);
  return found;
}

/** Set fields of an entity in one transaction, recording what they held for `undo`. */
function setFields(
  store: Store,
  id: string,
  action: UndoEntry["action"],
  fields: Readonly<Record<string, string>>,
  options: { recordUndo?: boolean } = {},
): void {
  const target = row(store, id);
  const previous: Record<string, string | null> = {};
  store.doc.transact(() => {
    for (const [field, value] of Object.entries(fields)) {
      previous[field] = target.get(field) ?? null;
      target.set(field, value);
    }
  });
  if (options.recordUndo !== false) store.undo.push({ entity: id, action, previous });
}

function create(store: Store, fields: Readonly<Record<string, string>>): string {
  const id = `${store.actor}-${store.nextEntity++}`;
  store.doc.transact(() => {
    const fresh = new Y.Map<string>();
    for (const [field, value] of Object.entries({ ...fields, deleted: "false" })) fresh.set(field, value);
    entities(store.doc).set(id, fresh);
  });
  store.undo.push({ entity: id, action: "create", previous: {} });
  return id;
}

/** Revert the last mutation by a new write: a create is undone by a delete, a change by the old values. */
function undo(store: Store): { id: string; undid: string } {
  const last = store.undo.pop();
  if (last === undefined) throw new ClientError(YJS_CLIENT_EXIT.invalidTransition, "nothing to undo");
  if (last.action === "create") {
    setFields(store, last.entity, "delete", { deleted: "true" }, { recordUndo: false });
  } else {
    const restored = Object.fromEntries(Object.entries(last.previous).map(([k, v]) => [k, v ?? ""]));
    setFields(store, last.entity, "update", restored, { recordUndo: false });
  }
  return { id: last.entity, undid: last.action };
}

function websocketUrl(server: string): string {
  const url = new URL(server);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString().replace(/\/$/, "");
}

/**
 * Connection attempts that close before the provider is synced, after which
 * a sync gives up: a refused connection (the server is down) fails in a
 * fraction of a second instead of at the deadline. A stalled link (a
 * partition) never closes and runs to the deadline.
 */
const CLOSES_BEFORE_SYNC_MAX = 3;

/** How waiting for a provider ended: synced, out of time, or its connections kept closing. */
type SyncWait = "synced" | "timeout" | "refused";

function whenSynced(provider: WebsocketProvider, deadline: number): Promise<SyncWait> {
  if (provider.synced) return Promise.resolve("synced");
  return new Promise((resolve) => {
    let closes = 0;
    const finish = (how: SyncWait): void => {
      clearTimeout(timer);
      provider.off("sync", onSync);
      provider.off("connection-close", onClose);
      resolve(how);
    };
    const timer = setTimeout(() => finish("timeout"), Math.max(0, deadline - performance.now()));
    const onSync = (synced: boolean): void => {
      if (synced) finish("synced");
    };
    const onClose = (): void => {
      if (++closes >= CLOSES_BEFORE_SYNC_MAX) finish("refused");
    };
    provider.on("sync", onSync);
    provider.on("connection-close", onClose);
  });
}

/**
 * The network half of the stack, loaded by `sync` alone: the other commands
 * work offline and start faster without it.
 */
async function loadNetwork() {
  const [ws, yWebsocket, syncProtocol, encoding] = await Promise.all([
    import("ws"),
    import("y-websocket"),
    import("y-protocols/sync"),
    import("lib0/encoding"),
  ]);
  return { WebSocket: ws.WebSocket, ...yWebsocket, syncProtocol, encoding };
}
type Network = Awaited<ReturnType<typeof loadNetwork>>;

function connect(network: Network, config: ClientConfig, doc: Y.Doc): WebsocketProvider {
  return new network.WebsocketProvider(websocketUrl(config.server!), config.room, doc, {
    // A polyfill because Node 20 has no WebSocket global; no BroadcastChannel, so two documents
    // of one process never sync through memory (the read-back must come from the server).
    WebSocketPolyfill: network.WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
    maxBackoffTime: 200,
  });
}

/** Every client's clock in `mine` is at most the server's. */
function covers(server: Map<number, number>, mine: Map<number, number>): boolean {
  for (const [client, clock] of mine) if ((server.get(client) ?? 0) < clock) return false;
  return true;
}

const READ_BACK_PAUSE_MS = 20;

async function sync(
  config: ClientConfig,
  store: Store,
  retryLast: boolean,
): Promise<{ clients: number; entities: number }> {
  if (config.server === undefined)
    throw new ClientError(YJS_CLIENT_EXIT.usage, `no server: set ${YJS_ENV.server}`);
  if (config.mode === "drop-offline-edits" && store.offline) {
    // Deliberately wrong: what was written while the last sync failed is thrown away.
    store.doc = newDoc(store.actor, store.synced);
  }
  const deadline = performance.now() + config.timeoutMs;
  const network = await loadNetwork();
  const { encoding, syncProtocol } = network;
  const provider = connect(network, config, store.doc);
  const readers: WebsocketProvider[] = [];
  try {
    const first = await whenSynced(provider, deadline);
    if (first !== "synced")
      throw new ClientError(
        YJS_CLIENT_EXIT.unreachable,
        first === "refused"
          ? `${config.server} closed ${CLOSES_BEFORE_SYNC_MAX} connections before a sync (down?)`
          : `no sync with ${config.server} within ${config.timeoutMs} ms`,
      );
    if (retryLast) {
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, network.messageSync);
      syncProtocol.writeUpdate(encoder, Y.encodeStateAsUpdate(store.doc));
      provider.ws?.send(encoding.toUint8Array(encoder));
    }
    const mine = Y.decodeStateVector(Y.encodeStateVector(store.doc));
    for (;;) {
      const readBack = new Y.Doc();
      const reader = connect(network, config, readBack);
      readers.push(reader);
      const synced = (await whenSynced(reader, deadline)) === "synced";
      const serverState = Y.decodeStateVector(Y.encodeStateVector(readBack));
      reader.destroy();
      readBack.destroy();
      if (synced && covers(serverState, mine)) break;
      if (performance.now() >= deadline)
        throw new ClientError(
          YJS_CLIENT_EXIT.unreachable,
          `the server did not show this actor's edits within ${config.timeoutMs} ms`,
        );
      await new Promise((resolve) => setTimeout(resolve, READ_BACK_PAUSE_MS));
    }
    store.offline = false;
    store.synced = Y.encodeStateAsUpdate(store.doc);
    return { clients: mine.size, entities: entities(store.doc).size };
  } catch (error) {
    store.offline = true;
    throw error;
  } finally {
    provider.destroy();
    for (const reader of readers) reader.destroy();
  }
}

async function run(argv: string[]): Promise<number> {
  const env = process.env;
  const [command, ...rest] = argv;
  const home = env.HOME ?? ".";
  const timeoutText = env[YJS_ENV.timeoutMs] ?? "2000";
  if (!/^\d+$/.test(timeoutText))
    throw new ClientError(
      YJS_CLIENT_EXIT.usage,
      `${YJS_ENV.timeoutMs} must be an integer, not ${timeoutText}`,
    );
  const mode = (env[YJS_ENV.mode] ?? "correct") as YjsClientMode;
  if (!YJS_CLIENT_MODES.includes(mode))
    throw new ClientError(
      YJS_CLIENT_EXIT.usage,
      `${YJS_ENV.mode} must be one of ${YJS_CLIENT_MODES.join(", ")}, not ${mode}`,
    );
  const config: ClientConfig = {
    server: env[YJS_ENV.server],
    dataDir: env[YJS_ENV.dataDir] ?? join(home, ".yjs-sync"),
    actor: env[YJS_ENV.actor] ?? basename(home),
    room: env[YJS_ENV.room] ?? DEFAULT_ROOM,
    timeoutMs: Number(timeoutText),
    mode,
  };
  const store = loadStore(config);
  const print = (value: unknown): void => {
    process.stdout.write(`${JSON.stringify(value)}\n`);
  };
  switch (command) {
    case "create": {
      const id = create(store, parseFields(rest));
      saveStore(config, store);
      print({ id });
      return 0;
    }
    case "update": {
      const [id, ...items] = rest;
      if (row(store, id).get("deleted") === "true")
        throw new ClientError(YJS_CLIENT_EXIT.invalidTransition, `${id} is deleted`);
      const fields = parseFields(items);
      if (Object.keys(fields).length === 0)
        throw new ClientError(YJS_CLIENT_EXIT.usage, "expected FIELD=VALUE");
      setFields(store, id!, "update", fields);
      saveStore(config, store);
      print({ id });
      return 0;
    }
    case "delete":
    case "restore": {
      const id = rest[0];
      const deleted = command === "delete";
      if ((row(store, id).get("deleted") === "true") === deleted)
        throw new ClientError(
          YJS_CLIENT_EXIT.invalidTransition,
          `${id} is already ${deleted ? "deleted" : "live"}`,
        );
      setFields(store, id!, command, { deleted: String(deleted) });
      saveStore(config, store);
      print({ id });
      return 0;
    }
    case "undo": {
      const undone = undo(store);
      saveStore(config, store);
      print(undone);
      return 0;
    }
    case "sync": {
      // What a failed sync did receive is kept (it is CRDT state, valid whatever came after).
      try {
        print({ synced: true, ...(await sync(config, store, rest.includes("--retry-last"))) });
      } finally {
        saveStore(config, store);
      }
      return 0;
    }
    case "show":
      print({ actor: store.actor, entities: entityRows(store.doc) });
      return 0;
    default:
      throw new ClientError(
        YJS_CLIENT_EXIT.usage,
        `unknown command ${JSON.stringify(command ?? "")}: expected create, update, delete, restore, undo, sync or show`,
      );
  }
}

const entry = process.argv[1] ?? "";
if (entry.endsWith("client.js") || entry.endsWith("client.ts")) {
  run(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      if (error instanceof ClientError) {
        process.stderr.write(`yjs-sync: ${error.message}\n`);
        process.exit(error.code);
      }
      process.stderr.write(
        `yjs-sync: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(YJS_CLIENT_EXIT.failed);
    },
  );
}
