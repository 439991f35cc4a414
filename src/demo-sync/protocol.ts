/**
 * demo-sync's data model, shared by its server and its client: events, the
 * hybrid logical clock that orders them, and how a client turns its event log
 * into entity state.
 *
 * An entity is a row of string fields (`title`, `status`, ...) plus the
 * field `deleted` (`"true"`/`"false"`): deletion and restore are field
 * updates, so they merge like any other field. Every mutation is an event
 * `{ eventId, entity, action, fields, hlc, wallMs }`; the server gives each
 * event it accepts a server sequence number (`seq`), and every client ends up
 * with the same events. State is a pure function of the event set:
 * for each field, the value of the event with the greatest clock that set it
 * (field-level last-writer-wins by HLC), so the order events arrive in does
 * not matter. The wrong modes break exactly one of these promises.
 */

/** How the system merges and dedupes; everything but `correct` is a deliberately wrong mode. */
export const SYNC_DEMO_MODES = ["correct", "row-lww", "duplicate-on-retry", "wallclock-lww"] as const;
export type SyncDemoMode = (typeof SYNC_DEMO_MODES)[number];

export type SyncAction = "create" | "update" | "delete" | "restore";

export interface SyncEvent {
  /** Unique per mutation, chosen by the client that made it (`<actor>-e<n>`): what dedupe keys on. */
  readonly eventId: string;
  readonly actor: string;
  readonly entity: string;
  readonly action: SyncAction;
  /** The fields this event sets, as the user meant them (the whole row for `create`). */
  readonly fields: Readonly<Record<string, string>>;
  /** `row-lww` only: the whole row as the writer saw it after this change, which that mode merges by. */
  readonly row?: Readonly<Record<string, string>>;
  /** The hybrid logical clock (see `formatHlc`); its string order is the merge order. */
  readonly hlc: string;
  /** The writer's wall clock (skewed when its clock is), ms since the epoch. */
  readonly wallMs: number;
  /** The server's sequence number; absent until the server accepted the event. */
  readonly seq?: number;
}

export interface Hlc {
  readonly wallMs: number;
  readonly counter: number;
}

/**
 * `wallMs:counter:actor`, zero-padded, so string order is (wall, counter,
 * actor) order: a total order that respects causality (a client that saw
 * an event stamps its next one later) and breaks ties by actor.
 */
export function formatHlc(clock: Hlc, actor: string): string {
  return `${String(clock.wallMs).padStart(15, "0")}:${String(clock.counter).padStart(6, "0")}:${actor}`;
}

export function parseHlc(text: string): Hlc {
  const [wall, counter] = text.split(":");
  return { wallMs: Number(wall), counter: Number(counter) };
}

/** The clock for a local event at physical time `nowMs`, given the greatest clock seen so far. */
export function tickHlc(last: Hlc, nowMs: number): Hlc {
  if (nowMs > last.wallMs) return { wallMs: nowMs, counter: 0 };
  return { wallMs: last.wallMs, counter: last.counter + 1 };
}

/** The clock after receiving an event stamped `received` (the receive rule, simplified: no local tick). */
export function mergeHlc(last: Hlc, received: Hlc): Hlc {
  if (received.wallMs > last.wallMs) return received;
  if (received.wallMs === last.wallMs && received.counter > last.counter) return received;
  return last;
}

/** Entity id → its fields, for entities that have a `create` event. */
export type EntityState = Record<string, Record<string, string>>;

/** The order a mode merges by: the HLC, except `wallclock-lww`, which trusts the writers' wall clocks. */
function mergeOrder(mode: SyncDemoMode): (a: SyncEvent, b: SyncEvent) => number {
  const byHlc = (a: SyncEvent, b: SyncEvent): number =>
    a.hlc < b.hlc ? -1 : a.hlc > b.hlc ? 1 : a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0;
  if (mode !== "wallclock-lww") return byHlc;
  return (a, b) => a.wallMs - b.wallMs || (a.actor < b.actor ? -1 : a.actor > b.actor ? 1 : byHlc(a, b));
}

/**
 * The state an event log stands for. `correct` (and `duplicate-on-retry`,
 * whose bug is on the server): per field, the greatest-HLC write wins.
 * `row-lww`: the greatest-HLC event's whole row wins, so a concurrent update
 * of another field is lost. `wallclock-lww`: per field, the greatest wall
 * clock wins, so a skewed clock beats a causally later write.
 */
export function materialize(events: readonly SyncEvent[], mode: SyncDemoMode): EntityState {
  const ordered = [...events].sort(mergeOrder(mode));
  const created = new Set(events.filter((e) => e.action === "create").map((e) => e.entity));
  const state: EntityState = {};
  for (const event of ordered) {
    if (!created.has(event.entity)) continue;
    const row = state[event.entity] ?? {};
    state[event.entity] =
      mode === "row-lww" ? { ...(event.row ?? event.fields) } : { ...row, ...event.fields };
  }
  return state;
}

/** A push: the events a client has that the server has not acknowledged (or, on a retry, its last batch). */
export interface PushRequest {
  readonly actor: string;
  readonly events: readonly SyncEvent[];
}

export interface PushResponse {
  /** The server's sequence number for each pushed event, in the order pushed. */
  readonly accepted: readonly { readonly eventId: string; readonly seq: number }[];
  readonly mode: SyncDemoMode;
}

export interface PullResponse {
  /** Events with `seq` greater than the request's `after`, in `seq` order, at most `PULL_PAGE_EVENTS`. */
  readonly events: readonly SyncEvent[];
  /** True when more events follow (pull again from the last `seq`). */
  readonly more: boolean;
  readonly mode: SyncDemoMode;
}

/** The page size of a pull: a bound on one response. */
export const PULL_PAGE_EVENTS = 2000;
/** The cap on events in one push: a bound on one request. */
export const PUSH_MAX_EVENTS = 5000;

/** The client's exit codes (see client.ts): what an adapter classifies a failed command by. */
export const SYNC_CLIENT_EXIT = {
  ok: 0,
  notFound: 10,
  invalidTransition: 11,
  unreachable: 20,
  rateLimited: 21,
  refused: 22,
  failed: 3,
  usage: 64,
} as const;
