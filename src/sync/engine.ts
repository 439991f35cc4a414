/**
 * The chaos engine: weighted, seeded actions against a model of what should
 * exist, run by actors, with every outcome counted and journaled.
 *
 * An action is `{ name, weight, run(engine, actor) }`. `run` picks its
 * target from the engine's model (say, an entity the actor can see that is
 * not deleted); when none fits it returns `skipped` and nothing runs. It
 * returns `ok` (and updates the model), `expectedFail` with why (updating a
 * deleted entity, the server being down during a sync the engine itself
 * made fail) or `unexpectedFail` with why: the last is what fails a run.
 *
 *   const engine = new ChaosEngine({ actions, actors, model, random: root.fork(STREAMS.syncChaos.label) });
 *   await engine.runN(200);
 *   await engine.burst(20);            // 20 actions by one actor, no sync among them
 *
 * Determinism: which actor and which action come next, and every choice an
 * action makes through `engine.random`, flow from the one stream, so the
 * same seed replays the same sequence of actions and targets (as long as the
 * outcomes, which feed the model, are the same).
 *
 * Every action is a pair of ops in the history (invoke, then `ok`, `fail`
 * for an expected failure or a skip, `info` for an unexpected failure), with
 * `f` the action's name, `process` the actor's index, and the extra fields
 * `actor`, `target` and `outcome` (`ok | expectedFail | unexpectedFail |
 * skipped`), so the per-action table can be recomputed from `history.jsonl`.
 */
import type { Op } from "../history/op.js";
import type { Random } from "../random/random.js";

export type OutcomeClass = "ok" | "expectedFail" | "unexpectedFail" | "skipped";

export type ActionOutcome =
  | { readonly outcome: "ok"; readonly target?: string; readonly output?: string }
  | { readonly outcome: "expectedFail" | "unexpectedFail"; readonly why: string; readonly target?: string }
  | { readonly outcome: "skipped"; readonly why: string };

export interface ActionDef<Model, A extends { readonly name: string } = { readonly name: string }> {
  readonly name: string;
  /** Relative frequency; 0 keeps the action out of the mix (a scenario may still call it). */
  readonly weight: number;
  /** A sync action (push, pull): left out of a burst. */
  readonly sync?: boolean;
  run(engine: ChaosEngine<Model, A>, actor: A): Promise<ActionOutcome>;
}

export interface ActionStats {
  ok: number;
  expectedFail: number;
  unexpectedFail: number;
  skipped: number;
}

/** One action as it happened. */
export interface ActionRecord {
  readonly action: string;
  readonly actor: string;
  readonly target?: string;
  readonly outcome: OutcomeClass;
  readonly why?: string;
  readonly durationMs: number;
}

/** Where the engine's ops go: the run's journal (and its in-memory history). */
export interface OpSink {
  /** Append an op; the sink gives it `index` and `time`. */
  append(op: Omit<Op, "index" | "time">): Op;
}

export interface ChaosEngineOptions<Model, A extends { readonly name: string }> {
  readonly actions: readonly ActionDef<Model, A>[];
  readonly actors: readonly A[];
  readonly model: Model;
  /** The engine's stream (`STREAMS.syncChaos`): actor, action and target choices. */
  readonly random: Random;
  readonly ops?: OpSink;
}

export function emptyStats(): ActionStats {
  return { ok: 0, expectedFail: 0, unexpectedFail: 0, skipped: 0 };
}

const COMPLETION_TYPE = { ok: "ok", expectedFail: "fail", skipped: "fail", unexpectedFail: "info" } as const;

export class ChaosEngine<Model, A extends { readonly name: string } = { readonly name: string }> {
  readonly model: Model;
  readonly random: Random;
  readonly actors: readonly A[];
  readonly actions: readonly ActionDef<Model, A>[];
  readonly records: ActionRecord[] = [];
  readonly perAction = new Map<string, ActionStats>();
  bursts = 0;
  private readonly ops: OpSink | undefined;

  constructor(options: ChaosEngineOptions<Model, A>) {
    if (options.actors.length === 0) throw new Error("ChaosEngine: no actors");
    if (!options.actions.some((a) => a.weight > 0))
      throw new Error("ChaosEngine: no action has a weight above 0");
    this.model = options.model;
    this.random = options.random;
    this.actors = options.actors;
    this.actions = options.actions;
    this.ops = options.ops;
    for (const action of options.actions) this.perAction.set(action.name, emptyStats());
  }

  /** A uniformly chosen actor. */
  pickActor(): A {
    return this.actors[this.random.int(0, this.actors.length - 1)]!;
  }

  /** An element of `items` from the engine's stream; undefined when empty. */
  pick<T>(items: readonly T[]): T | undefined {
    return items.length === 0 ? undefined : items[this.random.int(0, items.length - 1)];
  }

  /** A weighted choice among `actions` (default: all). */
  selectAction(actions: readonly ActionDef<Model, A>[] = this.actions): ActionDef<Model, A> {
    return actions[this.random.weightedIndex(actions.map((a) => a.weight))]!;
  }

  /** Choose an actor and an action and run it. */
  async runAction(
    options: { actor?: A; actions?: readonly ActionDef<Model, A>[] } = {},
  ): Promise<ActionRecord> {
    const actor = options.actor ?? this.pickActor();
    const action = this.selectAction(options.actions);
    return await this.execute(action, actor);
  }

  /** Run `action` as `actor` (a scenario's explicit step), counted and journaled like any other. */
  async execute(action: ActionDef<Model, A>, actor: A): Promise<ActionRecord> {
    const process = Math.max(0, this.actors.indexOf(actor));
    this.ops?.append({ type: "invoke", process, f: action.name, value: null, actor: actor.name });
    const started = performance.now();
    let result: ActionOutcome;
    try {
      result = await action.run(this, actor);
    } catch (error) {
      // An action that throws is a bug in the action or a broken harness: an unexpected failure, never a crash.
      result = { outcome: "unexpectedFail", why: `threw: ${(error as Error).message}` };
    }
    const durationMs = performance.now() - started;
    const target = "target" in result ? result.target : undefined;
    const why = "why" in result ? result.why : undefined;
    const record: ActionRecord = {
      action: action.name,
      actor: actor.name,
      ...(target === undefined ? {} : { target }),
      outcome: result.outcome,
      ...(why === undefined ? {} : { why }),
      durationMs,
    };
    this.records.push(record);
    const stats = this.perAction.get(action.name) ?? emptyStats();
    stats[result.outcome]++;
    this.perAction.set(action.name, stats);
    this.ops?.append({
      type: COMPLETION_TYPE[result.outcome],
      process,
      f: action.name,
      value: target ?? null,
      ...(why === undefined ? {} : { error: why }),
      actor: actor.name,
      outcome: result.outcome,
    });
    return record;
  }

  /** `n` actions, each by a chosen actor. */
  async runN(n: number, options: { signal?: AbortSignal } = {}): Promise<ActionRecord[]> {
    const records: ActionRecord[] = [];
    for (let i = 0; i < n && !options.signal?.aborted; i++) records.push(await this.runAction());
    return records;
  }

  /** `n` actions by one actor with no sync action among them: mutations pile up locally. */
  async burst(n: number, actor: A = this.pickActor()): Promise<ActionRecord[]> {
    const local = this.actions.filter((a) => !a.sync && a.weight > 0);
    if (local.length === 0) throw new Error("ChaosEngine.burst: every weighted action is a sync action");
    this.bursts++;
    const records: ActionRecord[] = [];
    for (let i = 0; i < n; i++) records.push(await this.runAction({ actor, actions: local }));
    return records;
  }

  /** Totals over every action run so far. */
  totals(): ActionStats & { total: number } {
    const totals = { total: this.records.length, ...emptyStats() };
    for (const record of this.records) totals[record.outcome]++;
    return totals;
  }
}

/** The per-action stats recomputed from a history's completion ops (what `results.json` must match). */
export function statsFromHistory(history: readonly Op[]): Map<string, ActionStats> {
  const perAction = new Map<string, ActionStats>();
  for (const op of history) {
    if (op.type === "invoke" || typeof op.outcome !== "string") continue;
    const outcome = op.outcome as OutcomeClass;
    if (!(outcome in COMPLETION_TYPE)) continue;
    const stats = perAction.get(op.f) ?? emptyStats();
    stats[outcome]++;
    perAction.set(op.f, stats);
  }
  return perAction;
}
