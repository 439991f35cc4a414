/**
 * The demo-sync client: an offline-first command-line app. Each user (actor)
 * has a local store; every command works on it without the server, and
 * `push`/`pull`/`sync` exchange events with the server when it is reachable.
 *
 *   demo-sync [--server URL] [--data-dir DIR] [--actor NAME] COMMAND ...
 *     create [FIELD=VALUE ...]       a new entity; prints {"id": ...}
 *     update ID FIELD=VALUE ...      set fields of an entity
 *     delete ID | restore ID         mark an entity deleted / not deleted
 *     undo                           revert this actor's last mutation
 *     push [--retry-last] | pull | sync [--retry-last]
 *     show                           this actor's snapshot (canonical JSON)
 *
 * Defaults come from the environment: `DEMO_SYNC_SERVER`, `DEMO_SYNC_DATA_DIR`
 * (else `$HOME/.demo-sync`), `DEMO_SYNC_ACTOR` (else the home's base name),
 * `DEMO_SYNC_CLOCK_OFFSET_MS` (added to the wall clock: the clock-skew hook),
 * `DEMO_SYNC_TIMEOUT_MS` (per request, from sending it to the last byte of the
 * answer, default 2000; a request without an answer by then exits 20).
 *
 * `push --retry-last` first re-sends the previous push's batch, as a client
 * does when the acknowledgement of a push was lost; a correct server answers
 * it without appending anything.
 *
 * Exit codes: 0 ok; 10 no such entity; 11 the entity is already in that
 * state (deleted / not deleted) or there is nothing to undo; 20 the server is
 * unreachable or timed out; 21 rate limited (429); 22 the server refused;
 * 64 bad usage; 3 anything else.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import {
  formatHlc,
  type Hlc,
  materialize,
  mergeHlc,
  PUSH_MAX_EVENTS,
  type PullResponse,
  type PushResponse,
  parseHlc,
  SYNC_CLIENT_EXIT,
  SYNC_DEMO_MODES,
  type SyncAction,
  type SyncDemoMode,
  type SyncEvent,
  tickHlc,
} from "./protocol.js";

class ClientError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

interface LocalStore {
  actor: string;
  /** The mode the server announced last (merge rules follow it); `correct` until the first sync. */
  mode: SyncDemoMode;
  clock: Hlc;
  nextEntity: number;
  nextEvent: number;
  /** Every event this actor knows, its own (with `seq` once acknowledged) and pulled ones. */
  events: SyncEvent[];
  /** The greatest `seq` pulled. */
  cursor: number;
  /** The last batch pushed, for `--retry-last`. */
  lastPushed: SyncEvent[];
}

interface ClientConfig {
  server: string | undefined;
  dataDir: string;
  actor: string;
  clockOffsetMs: number;
  timeoutMs: number;
}

function storePath(config: ClientConfig): string {
  return join(config.dataDir, "store.json");
}

function loadStore(config: ClientConfig): LocalStore {
  const path = storePath(config);
  if (!existsSync(path)) {
    return {
      actor: config.actor,
      mode: "correct",
      clock: { wallMs: 0, counter: 0 },
      nextEntity: 1,
      nextEvent: 1,
      events: [],
      cursor: 0,
      lastPushed: [],
    };
  }
  return JSON.parse(readFileSync(path, "utf8")) as LocalStore;
}

/** Temp file then rename: a client killed mid-write leaves the old store, never half of one. */
function saveStore(config: ClientConfig, store: LocalStore): void {
  mkdirSync(config.dataDir, { recursive: true });
  const path = storePath(config);
  writeFileSync(`${path}.tmp`, JSON.stringify(store));
  renameSync(`${path}.tmp`, path);
}

function mutate(
  config: ClientConfig,
  store: LocalStore,
  entity: string,
  action: SyncAction,
  fields: Record<string, string>,
): SyncEvent {
  store.clock = tickHlc(store.clock, Date.now() + config.clockOffsetMs);
  const current = materialize(store.events, store.mode)[entity] ?? {};
  const event: SyncEvent = {
    eventId: `${store.actor}-e${store.nextEvent++}`,
    actor: store.actor,
    entity,
    action,
    fields,
    // A whole-row writer also sends the row as it sees it: what row-lww merges by.
    ...(store.mode === "row-lww" ? { row: { ...current, ...fields } } : {}),
    hlc: formatHlc(store.clock, store.actor),
    wallMs: Date.now() + config.clockOffsetMs,
  };
  store.events.push(event);
  return event;
}

function parseFields(items: readonly string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf("=");
    if (eq <= 0)
      throw new ClientError(SYNC_CLIENT_EXIT.usage, `expected FIELD=VALUE, got ${JSON.stringify(item)}`);
    const name = item.slice(0, eq);
    if (name === "deleted")
      throw new ClientError(SYNC_CLIENT_EXIT.usage, "the field deleted is set by delete and restore");
    fields[name] = item.slice(eq + 1);
  }
  return fields;
}

function existing(store: LocalStore, id: string | undefined): Record<string, string> {
  if (id === undefined) throw new ClientError(SYNC_CLIENT_EXIT.usage, "expected an entity id");
  const row = materialize(store.events, store.mode)[id];
  if (row === undefined) throw new ClientError(SYNC_CLIENT_EXIT.notFound, `no entity ${id}`);
  return row;
}

/**
 * One HTTP exchange with the server, bounded by `timeoutMs` from the request
 * to the last byte of the answer. The bound is our own `setTimeout`, which
 * keeps the process alive until it fires: `AbortSignal.timeout`'s timer does
 * not, so when the connection died in a way that left fetch no live socket
 * (the server killed behind the actor's proxy), Node ran out of work, exited
 * 0 with the push still pending and nothing printed, and a sync against a
 * dead server looked like a success.
 */
async function request<T>(config: ClientConfig, path: string, body?: unknown): Promise<T> {
  if (config.server === undefined)
    throw new ClientError(SYNC_CLIENT_EXIT.usage, "no server: pass --server or set DEMO_SYNC_SERVER");
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new Error(`no answer within ${config.timeoutMs} ms (DEMO_SYNC_TIMEOUT_MS)`)),
    config.timeoutMs,
  );
  const failure = (what: string, error: unknown): ClientError =>
    new ClientError(
      SYNC_CLIENT_EXIT.unreachable,
      `${what}: ${controller.signal.aborted ? (controller.signal.reason as Error).message : (error as Error).message}`,
    );
  try {
    let response: Response;
    try {
      response = await fetch(new URL(path, config.server), {
        method: body === undefined ? "GET" : "POST",
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: controller.signal,
      });
    } catch (error) {
      throw failure(`server ${config.server} unreachable`, error);
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw failure("reading the answer failed", error);
    }
    if (response.status === 429)
      throw new ClientError(SYNC_CLIENT_EXIT.rateLimited, "rate limited by the server");
    if (!response.ok)
      throw new ClientError(SYNC_CLIENT_EXIT.refused, `server answered ${response.status}: ${text}`);
    return JSON.parse(text) as T;
  } finally {
    clearTimeout(timer);
  }
}

async function push(config: ClientConfig, store: LocalStore, retryLast: boolean): Promise<number> {
  if (retryLast && store.lastPushed.length > 0) {
    await request<PushResponse>(config, "/push", { actor: store.actor, events: store.lastPushed });
  }
  const pending = store.events.filter((e) => e.actor === store.actor && e.seq === undefined);
  const batch = pending.slice(0, PUSH_MAX_EVENTS);
  if (batch.length === 0) return 0;
  const answer = await request<PushResponse>(config, "/push", { actor: store.actor, events: batch });
  store.mode = answer.mode;
  const seqOf = new Map(answer.accepted.map((a) => [a.eventId, a.seq]));
  store.events = store.events.map((e) =>
    e.seq === undefined && seqOf.has(e.eventId) ? { ...e, seq: seqOf.get(e.eventId)! } : e,
  );
  store.lastPushed = batch;
  return batch.length;
}

/** Bound on pull pages in one command: far above any test's log, so hitting it is a bug worth an error. */
const MAX_PULL_PAGES = 10_000;

async function pull(config: ClientConfig, store: LocalStore): Promise<number> {
  let pulled = 0;
  for (let page = 0; page < MAX_PULL_PAGES; page++) {
    const answer = await request<PullResponse>(config, `/pull?after=${store.cursor}`);
    store.mode = answer.mode;
    for (const event of answer.events) {
      const i = store.events.findIndex((e) => e.eventId === event.eventId);
      const mine = i >= 0 ? store.events[i]! : undefined;
      if (mine !== undefined && (mine.seq === undefined || mine.seq === event.seq)) {
        store.events[i] = { ...mine, seq: event.seq! };
      } else {
        // A client trusts the server's log: an event at a new seq is a new event, even with a known id.
        store.events.push(event);
      }
      store.clock = mergeHlc(store.clock, parseHlc(event.hlc));
      store.cursor = Math.max(store.cursor, event.seq!);
      pulled++;
    }
    if (!answer.more) return pulled;
  }
  throw new ClientError(SYNC_CLIENT_EXIT.failed, `more than ${MAX_PULL_PAGES} pull pages`);
}

/** The snapshot: canonical JSON (sorted keys; events by seq, unacknowledged ones last by id). */
export function snapshotOf(store: LocalStore): unknown {
  const entities = materialize(store.events, store.mode);
  const sortedEntities: Record<string, Record<string, string>> = {};
  for (const id of Object.keys(entities).sort()) {
    const row = entities[id]!;
    sortedEntities[id] = Object.fromEntries(
      Object.keys(row)
        .sort()
        .map((k) => [k, row[k]!]),
    );
  }
  const events = [...store.events]
    .sort((a, b) => (a.seq ?? Infinity) - (b.seq ?? Infinity) || (a.eventId < b.eventId ? -1 : 1))
    .map((e) => ({
      seq: e.seq ?? null,
      eventId: e.eventId,
      actor: e.actor,
      entity: e.entity,
      action: e.action,
      fields: Object.fromEntries(
        Object.keys(e.fields)
          .sort()
          .map((k) => [k, e.fields[k]!]),
      ),
      clock: e.hlc,
    }));
  return { actor: store.actor, entities: sortedEntities, events };
}

function undo(config: ClientConfig, store: LocalStore): SyncEvent {
  const mine = store.events.filter((e) => e.actor === store.actor && !e.eventId.includes("-u"));
  const last = [...mine]
    .reverse()
    .find((e) => !store.events.some((u) => u.eventId.startsWith(`${e.eventId}-u`)));
  if (last === undefined) throw new ClientError(SYNC_CLIENT_EXIT.invalidTransition, "nothing to undo");
  const before = materialize(
    store.events.filter((e) => e !== last),
    store.mode,
  )[last.entity];
  let fields: Record<string, string>;
  let action: SyncAction;
  if (last.action === "create" || before === undefined) {
    fields = { deleted: "true" };
    action = "delete";
  } else {
    fields = Object.fromEntries(Object.keys(last.fields).map((k) => [k, before[k] ?? ""]));
    action = last.action === "delete" ? "restore" : last.action === "restore" ? "delete" : "update";
  }
  const event = mutate(config, store, last.entity, action, fields);
  // The undo's id names what it undid, so a second undo goes one step further back.
  const renamed = { ...event, eventId: `${last.eventId}-u${store.nextEvent - 1}` };
  store.events[store.events.length - 1] = renamed;
  return renamed;
}

async function run(argv: string[]): Promise<number> {
  const env = process.env;
  const options: Record<string, string> = {};
  let i = 0;
  for (; i < argv.length && argv[i]!.startsWith("--"); i += 2) {
    const flag = argv[i]!.slice(2);
    if (!["server", "data-dir", "actor"].includes(flag) || argv[i + 1] === undefined)
      throw new ClientError(SYNC_CLIENT_EXIT.usage, `unknown or incomplete option ${argv[i]}`);
    options[flag] = argv[i + 1]!;
  }
  const [command, ...rest] = argv.slice(i);
  const home = env.HOME ?? ".";
  const offsetText = env.DEMO_SYNC_CLOCK_OFFSET_MS ?? "0";
  const timeoutText = env.DEMO_SYNC_TIMEOUT_MS ?? "2000";
  if (!/^-?\d+$/.test(offsetText))
    throw new ClientError(
      SYNC_CLIENT_EXIT.usage,
      `DEMO_SYNC_CLOCK_OFFSET_MS must be an integer, not ${offsetText}`,
    );
  if (!/^\d+$/.test(timeoutText))
    throw new ClientError(
      SYNC_CLIENT_EXIT.usage,
      `DEMO_SYNC_TIMEOUT_MS must be an integer, not ${timeoutText}`,
    );
  const config: ClientConfig = {
    server: options.server ?? env.DEMO_SYNC_SERVER,
    dataDir: options["data-dir"] ?? env.DEMO_SYNC_DATA_DIR ?? join(home, ".demo-sync"),
    actor: options.actor ?? env.DEMO_SYNC_ACTOR ?? basename(home),
    clockOffsetMs: Number(offsetText),
    timeoutMs: Number(timeoutText),
  };
  const store = loadStore(config);
  const print = (value: unknown): void => {
    process.stdout.write(`${JSON.stringify(value)}\n`);
  };
  const retryLast = rest.includes("--retry-last");
  switch (command) {
    case "create": {
      const id = `${store.actor}-${store.nextEntity++}`;
      mutate(config, store, id, "create", { ...parseFields(rest), deleted: "false" });
      saveStore(config, store);
      print({ id });
      return 0;
    }
    case "update": {
      const [id, ...items] = rest;
      const row = existing(store, id);
      if (row.deleted === "true")
        throw new ClientError(SYNC_CLIENT_EXIT.invalidTransition, `${id} is deleted`);
      const fields = parseFields(items);
      if (Object.keys(fields).length === 0)
        throw new ClientError(SYNC_CLIENT_EXIT.usage, "expected FIELD=VALUE");
      mutate(config, store, id!, "update", fields);
      saveStore(config, store);
      print({ id });
      return 0;
    }
    case "delete":
    case "restore": {
      const id = rest[0];
      const row = existing(store, id);
      const deleted = command === "delete";
      if ((row.deleted === "true") === deleted)
        throw new ClientError(
          SYNC_CLIENT_EXIT.invalidTransition,
          `${id} is already ${deleted ? "deleted" : "live"}`,
        );
      mutate(config, store, id!, command, { deleted: String(deleted) });
      saveStore(config, store);
      print({ id });
      return 0;
    }
    case "undo": {
      const event = undo(config, store);
      saveStore(config, store);
      print({ id: event.entity, undid: event.eventId });
      return 0;
    }
    case "push":
    case "pull":
    case "sync": {
      // What succeeded is kept even when a later step fails: acknowledged seqs must not be forgotten.
      try {
        const pushed = command === "pull" ? 0 : await push(config, store, retryLast);
        const pulled = command === "push" ? 0 : await pull(config, store);
        print({ pushed, pulled, cursor: store.cursor });
      } finally {
        saveStore(config, store);
      }
      return 0;
    }
    case "show":
      print(snapshotOf(store));
      return 0;
    default:
      throw new ClientError(
        SYNC_CLIENT_EXIT.usage,
        `unknown command ${JSON.stringify(command ?? "")}: expected create, update, delete, restore, undo, push, pull, sync or show`,
      );
  }
}

const entry = process.argv[1] ?? "";
if (entry.endsWith("client.js") || entry.endsWith("client.ts")) {
  let settled = false;
  // The last line of defence: a command whose work was dropped unfinished (a pending promise nothing
  // will ever settle) must not exit 0 with nothing printed, which is what Node does when it runs out of work.
  process.on("beforeExit", () => {
    if (settled) return;
    settled = true;
    process.stderr.write("demo-sync: the command ended with no answer from the server (request dropped)\n");
    process.exitCode = SYNC_CLIENT_EXIT.unreachable;
  });
  run(process.argv.slice(2)).then(
    (code) => {
      settled = true;
      process.exitCode = code;
    },
    (error: unknown) => {
      settled = true;
      if (error instanceof ClientError) {
        process.stderr.write(`demo-sync: ${error.message}\n`);
        process.exitCode = error.code;
      } else {
        process.stderr.write(
          `demo-sync: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
        );
        process.exitCode = SYNC_CLIENT_EXIT.failed;
      }
    },
  );
}

export { SYNC_DEMO_MODES };
