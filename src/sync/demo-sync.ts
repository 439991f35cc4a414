/**
 * The demo-sync target: how the harness starts demo-sync's server and
 * client (`src/demo-sync/`), the chaos engine's model of what should exist,
 * and its weighted actions, mutations and faults alike.
 *
 * The model knows which entities exist, who created them, which actors can
 * see them (an actor sees an entity once it synced after the creator did),
 * how many events each entity should have (bounds: a mutation whose outcome
 * is unknown may or may not have happened), and the faults in force (server
 * down or paused, actors cut off, clock offsets). A failure the faults
 * explain is expected; any other is unexpected.
 */

import type { CreatedEntity, SyncSnapshot } from "../checker/sync/index.js";
import { syncDemoCommand } from "../demo-sync/launch.js";
import { SYNC_CLIENT_EXIT, type SyncDemoMode } from "../demo-sync/protocol.js";
import type { ActionDef, ActionOutcome, ChaosEngine } from "./engine.js";
import { type ExecResult, type SyncActor, type SyncHarness, type SyncSystem, WORD_VERBS } from "./harness.js";

export interface DemoSyncSystemOptions {
  /** The server's `--demo-mode` (a deliberately wrong mode, or `correct`). */
  readonly mode?: SyncDemoMode;
  /** The client's per-request timeout. Default 1500 ms: a paused server costs that much per sync. */
  readonly requestTimeoutMs?: number;
}

export function demoSyncSystem(options: DemoSyncSystemOptions = {}): SyncSystem {
  const server = syncDemoCommand("server");
  const client = syncDemoCommand("client");
  const mode = options.mode ?? "correct";
  return {
    name: "demo-sync",
    server: ({ dataDir, port }) => ({
      command: server.command,
      args: [...server.args, "--data-dir", dataDir, "--port", String(port), "--demo-mode", mode],
    }),
    healthPath: "/health",
    client,
    actorEnv: (actor, serverUrl) => ({
      DEMO_SYNC_SERVER: serverUrl,
      DEMO_SYNC_DATA_DIR: actor.dataDir,
      DEMO_SYNC_ACTOR: actor.name,
      DEMO_SYNC_TIMEOUT_MS: String(options.requestTimeoutMs ?? 1500),
    }),
    syncArgs: ["sync"],
    retrySyncArgs: ["sync", "--retry-last"],
    verbs: WORD_VERBS,
    clockOffsetEnv: (offsetMs) => ({ DEMO_SYNC_CLOCK_OFFSET_MS: String(offsetMs) }),
    snapshotArgs: ["show"],
    parseSnapshot(stdout, actor) {
      const value = JSON.parse(stdout) as {
        entities: SyncSnapshot["entities"];
        events: SyncSnapshot["events"];
      };
      return { owner: actor, entities: value.entities, ...(value.events ? { events: value.events } : {}) };
    },
    failureKind: (result) =>
      result.code === SYNC_CLIENT_EXIT.invalidTransition
        ? "refused"
        : result.code === SYNC_CLIENT_EXIT.unreachable
          ? "unreachable"
          : result.code === SYNC_CLIENT_EXIT.rateLimited
            ? "rateLimited"
            : "other",
  };
}

export interface ModelEntity {
  readonly id: string;
  readonly creator: string;
  /** The last delete/restore the model saw succeed (another actor may have changed it since). */
  deleted: boolean;
  /** The creator synced after creating it: the server has it. */
  onServer: boolean;
  readonly visibleTo: Set<string>;
}

export interface DemoSyncModel {
  readonly entities: Map<string, ModelEntity>;
  /** Per entity, how many events it should have: min (mutations that succeeded), max (plus unknown ones). */
  readonly eventBounds: Map<string, { min: number; max: number }>;
  serverDown: boolean;
  serverPaused: boolean;
  readonly partitioned: Set<string>;
  /** Actors whose clock is offset, and by how much (ms). */
  readonly clockOffsetMs: Map<string, number>;
  /** Successful syncs (for the report's sync stats). */
  syncs: number;
  readonly harness: SyncHarness;
}

export function demoSyncModel(harness: SyncHarness): DemoSyncModel {
  return {
    entities: new Map(),
    eventBounds: new Map(),
    serverDown: false,
    serverPaused: false,
    partitioned: new Set(),
    clockOffsetMs: new Map(),
    syncs: 0,
    harness,
  };
}

/** Who created what, for `readYourWrites`. */
export function createdEntities(model: DemoSyncModel): CreatedEntity[] {
  return [...model.entities.values()].map((e) => ({ actor: e.creator, entity: e.id }));
}

type Engine = ChaosEngine<DemoSyncModel, SyncActor>;
type Action = ActionDef<DemoSyncModel, SyncActor>;

const WORDS = ["apple", "birch", "cedar", "delta", "ember", "fjord", "grove", "harbor", "iris", "juniper"];
const STATUSES = ["open", "doing", "review", "done"];

function describe(result: ExecResult): string {
  if (result.timedOut) return "timed out";
  return `exit ${result.code ?? result.signal}: ${result.stderr.trim().split("\n")[0] ?? ""}`;
}

function countEvent(model: DemoSyncModel, entity: string, certain: boolean): void {
  const bounds = model.eventBounds.get(entity) ?? { min: 0, max: 0 };
  if (certain) bounds.min++;
  bounds.max++;
  model.eventBounds.set(entity, bounds);
}

/** Entities the actor can see, filtered. */
function visible(engine: Engine, actor: SyncActor, filter: (e: ModelEntity) => boolean): ModelEntity[] {
  return [...engine.model.entities.values()].filter((e) => e.visibleTo.has(actor.name) && filter(e));
}

/** An exit code the client documents for a refused transition: expected when others may have changed it. */
function mutationOutcome(
  engine: Engine,
  entity: ModelEntity,
  result: ExecResult,
  onOk: () => void,
): ActionOutcome {
  const target = entity.id;
  if (result.code === 0) {
    countEvent(engine.model, entity.id, true);
    onOk();
    return { outcome: "ok", target };
  }
  if (engine.model.harness.system.failureKind(result) === "refused")
    return { outcome: "expectedFail", why: "deleted or restored by another actor meanwhile", target };
  if (result.code === null) countEvent(engine.model, entity.id, false);
  return { outcome: "unexpectedFail", why: describe(result), target };
}

function updateAction(
  name: string,
  weight: number,
  field: string,
  value: (engine: Engine) => string,
): Action {
  return {
    name,
    weight,
    async run(engine, actor) {
      const entity = engine.pick(visible(engine, actor, (e) => !e.deleted));
      if (entity === undefined) return { outcome: "skipped", why: "no live entity this actor can see" };
      const { harness } = engine.model;
      const result = await harness.run(
        actor,
        ...harness.system.verbs.update(entity.id, { [field]: value(engine) }),
      );
      return mutationOutcome(engine, entity, result, () => {});
    },
  };
}

async function syncOutcome(
  engine: Engine,
  actor: SyncActor,
  args: readonly string[],
): Promise<ActionOutcome> {
  const model = engine.model;
  const result = await engine.model.harness.run(actor, ...args);
  if (result.code === 0) {
    model.syncs++;
    for (const entity of model.entities.values()) {
      if (entity.creator === actor.name) entity.onServer = true;
    }
    for (const entity of model.entities.values()) if (entity.onServer) entity.visibleTo.add(actor.name);
    return { outcome: "ok" };
  }
  const cutOff = model.serverDown || model.serverPaused || model.partitioned.has(actor.name);
  const kind = model.harness.system.failureKind(result);
  if ((kind === "unreachable" || result.timedOut) && cutOff)
    return { outcome: "expectedFail", why: "the server is down, paused or cut off from this actor" };
  if (kind === "rateLimited") return { outcome: "expectedFail", why: "rate limited" };
  return { outcome: "unexpectedFail", why: describe(result) };
}

/** The weighted actions of the chaos phase; `faults: false` leaves the fault actions out. */
export function demoSyncActions(options: { faults?: boolean } = {}): Action[] {
  const mutations: Action[] = [
    {
      name: "create",
      weight: 10,
      async run(engine, actor) {
        const title = engine.pick(WORDS)!;
        const { harness } = engine.model;
        const result = await harness.run(
          actor,
          ...harness.system.verbs.create({ title, status: "open", priority: "1" }),
        );
        if (result.code !== 0) return { outcome: "unexpectedFail", why: describe(result) };
        let id: string;
        try {
          id = harness.system.verbs.createdId(result.stdout);
        } catch {
          return { outcome: "unexpectedFail", why: `create printed no id: ${result.stdout.slice(0, 200)}` };
        }
        engine.model.entities.set(id, {
          id,
          creator: actor.name,
          deleted: false,
          onServer: false,
          visibleTo: new Set([actor.name]),
        });
        countEvent(engine.model, id, true);
        return { outcome: "ok", target: id };
      },
    },
    updateAction("update-title", 6, "title", (engine) => `${engine.pick(WORDS)}-${engine.random.int(1, 99)}`),
    updateAction("update-status", 6, "status", (engine) => engine.pick(STATUSES)!),
    updateAction("update-priority", 4, "priority", (engine) => String(engine.random.int(1, 5))),
    {
      name: "delete",
      weight: 3,
      async run(engine, actor) {
        const entity = engine.pick(visible(engine, actor, (e) => !e.deleted));
        if (entity === undefined) return { outcome: "skipped", why: "no live entity this actor can see" };
        const { harness } = engine.model;
        const result = await harness.run(actor, ...harness.system.verbs.delete(entity.id));
        return mutationOutcome(engine, entity, result, () => {
          entity.deleted = true;
        });
      },
    },
    {
      name: "restore",
      weight: 2,
      async run(engine, actor) {
        const entity = engine.pick(visible(engine, actor, (e) => e.deleted));
        if (entity === undefined) return { outcome: "skipped", why: "no deleted entity this actor can see" };
        const { harness } = engine.model;
        const result = await harness.run(actor, ...harness.system.verbs.restore(entity.id));
        return mutationOutcome(engine, entity, result, () => {
          entity.deleted = false;
        });
      },
    },
    {
      name: "undo",
      weight: 1,
      async run(engine, actor) {
        const { harness } = engine.model;
        const result = await harness.run(actor, ...harness.system.verbs.undo());
        if (harness.system.failureKind(result) === "refused")
          return { outcome: "expectedFail", why: "nothing to undo" };
        if (result.code !== 0) return { outcome: "unexpectedFail", why: describe(result) };
        const id = (JSON.parse(result.stdout) as { id: string }).id;
        const entity = engine.model.entities.get(id);
        if (entity === undefined)
          return { outcome: "unexpectedFail", why: `undo touched ${id}, which the model lacks` };
        countEvent(engine.model, id, true);
        return { outcome: "ok", target: id };
      },
    },
    {
      name: "sync",
      weight: 8,
      sync: true,
      run: (engine, actor) => syncOutcome(engine, actor, engine.model.harness.system.syncArgs),
    },
    {
      name: "sync-retry",
      weight: 2,
      sync: true,
      // A sync whose previous push lost its acknowledgement: the client re-sends its last batch.
      run: (engine, actor) =>
        syncOutcome(
          engine,
          actor,
          engine.model.harness.system.retrySyncArgs ?? engine.model.harness.system.syncArgs,
        ),
    },
  ];
  if (options.faults === false) return mutations;
  return [...mutations, ...faultActions()];
}

/** Faults as actions: the server killed and restarted, paused, an actor cut off, an actor's clock offset. */
export function faultActions(): Action[] {
  return [
    {
      name: "server-kill",
      weight: 1,
      async run(engine) {
        const model = engine.model;
        if (model.serverDown || model.serverPaused)
          return { outcome: "skipped", why: "the server is not running" };
        await model.harness.server.stop();
        model.serverDown = true;
        return { outcome: "ok", target: "server" };
      },
    },
    {
      name: "server-start",
      weight: 3,
      async run(engine) {
        const model = engine.model;
        if (!model.serverDown) return { outcome: "skipped", why: "the server is running" };
        await model.harness.server.start();
        model.serverDown = false;
        return { outcome: "ok", target: "server" };
      },
    },
    {
      name: "server-pause",
      weight: 1,
      async run(engine) {
        const model = engine.model;
        if (model.serverDown || model.serverPaused)
          return { outcome: "skipped", why: "the server is not running" };
        if (!model.harness.server.signal("SIGSTOP"))
          return { outcome: "unexpectedFail", why: "SIGSTOP failed" };
        model.serverPaused = true;
        return { outcome: "ok", target: "server" };
      },
    },
    {
      name: "server-resume",
      weight: 3,
      async run(engine) {
        const model = engine.model;
        if (!model.serverPaused) return { outcome: "skipped", why: "the server is not paused" };
        if (!model.harness.server.signal("SIGCONT"))
          return { outcome: "unexpectedFail", why: "SIGCONT failed" };
        model.serverPaused = false;
        return { outcome: "ok", target: "server" };
      },
    },
    {
      name: "partition",
      weight: 2,
      async run(engine, actor) {
        if (engine.model.partitioned.has(actor.name)) return { outcome: "skipped", why: "already cut off" };
        engine.model.harness.proxy(actor.name).partition();
        engine.model.partitioned.add(actor.name);
        return { outcome: "ok", target: actor.name };
      },
    },
    {
      name: "heal",
      weight: 3,
      async run(engine, actor) {
        if (!engine.model.partitioned.has(actor.name)) return { outcome: "skipped", why: "not cut off" };
        engine.model.harness.proxy(actor.name).heal();
        engine.model.partitioned.delete(actor.name);
        return { outcome: "ok", target: actor.name };
      },
    },
    {
      name: "clock-skew",
      weight: 2,
      async run(engine, actor) {
        // Whole minutes either way: far beyond the time between two actions, so a wall-clock merge goes wrong.
        const offsetMs = engine.random.int(-5, 5) * 60_000;
        const { harness } = engine.model;
        if (harness.system.clockOffsetEnv === undefined)
          return { outcome: "skipped", why: "the system has no clock offset hook" };
        harness.setActorEnv(actor.name, harness.system.clockOffsetEnv(offsetMs));
        engine.model.clockOffsetMs.set(actor.name, offsetMs);
        return { outcome: "ok", target: `${actor.name} ${offsetMs / 1000}s` };
      },
    },
  ];
}

/** Undo every fault (server up and running, links healed, clocks kept: skew is not a fault to heal). */
export async function healDemoSync(model: DemoSyncModel): Promise<void> {
  if (model.serverPaused) {
    model.harness.server.signal("SIGCONT");
    model.serverPaused = false;
  }
  if (model.serverDown) {
    await model.harness.server.start();
    model.serverDown = false;
  }
  for (const actor of model.partitioned) model.harness.proxy(actor).heal();
  model.partitioned.clear();
}
