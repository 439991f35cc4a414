/**
 * The yjs-sync target's shared facts: how entities map onto a Yjs document,
 * the client's exit codes and environment, and its deliberately wrong mode.
 *
 * The document has one root `Y.Map` named `entities`: entity id → a nested
 * `Y.Map` of string fields (`title`, `status`, ...), plus the field `deleted`
 * (`"true"`/`"false"`), so delete and restore are field writes that merge
 * like any other. Yjs merges per key of a `Y.Map`: two actors that set
 * different fields of one entity concurrently both keep their write; two that
 * set the same field converge on one of them (ordered by Yjs client id), and
 * a write made after seeing another always wins. No wall clock is involved.
 *
 * Neither side keeps an event log with sequence numbers: the server merges
 * every update into one document and appends the update to its log only for
 * durability. That is why the log verifiers do not apply to this target.
 */

/** The Yjs root map that holds the entities. */
export const ENTITIES_MAP = "entities";

/** The document (y-websocket "room") every actor of a run shares, unless `YJS_SYNC_ROOM` says otherwise. */
export const DEFAULT_ROOM = "crucible";

/**
 * How the client behaves; everything but `correct` is deliberately wrong.
 * `drop-offline-edits`: after a sync that failed (server down, paused or cut
 * off), the next sync starts again from the copy of the document as it was
 * at the last successful sync, so every edit made while offline is lost: a
 * client that "recovers" from a failed sync by reloading what it last knew
 * the server had. `readYourWrites` (the actor no longer sees what it
 * created) and the chaos actions that touch a lost entity catch it.
 */
export const YJS_CLIENT_MODES = ["correct", "drop-offline-edits"] as const;
export type YjsClientMode = (typeof YJS_CLIENT_MODES)[number];

/** The client's environment: where its server is, where its state lives, who it is, how long a sync may take. */
export const YJS_ENV = {
  server: "YJS_SYNC_SERVER",
  dataDir: "YJS_SYNC_DATA_DIR",
  actor: "YJS_SYNC_ACTOR",
  timeoutMs: "YJS_SYNC_TIMEOUT_MS",
  room: "YJS_SYNC_ROOM",
  mode: "YJS_SYNC_CLIENT_MODE",
} as const;

/**
 * The client's exit codes: the same numbers as demo-sync's client, so an
 * adapter classifies a failure of either the same way.
 */
export const YJS_CLIENT_EXIT = {
  ok: 0,
  notFound: 10,
  invalidTransition: 11,
  unreachable: 20,
  failed: 3,
  usage: 64,
} as const;
