/**
 * Named scenarios: the hard cases of a sync system, replayed on purpose.
 * Each drives the harness through the system's verbs, needs two actors or
 * more, draws its choices from the given stream, and returns verification
 * results named `<scenario>/<verifier>`. A step that fails when it should
 * not (a command exits non-zero with the server up) is a failed
 * `<scenario>/steps` result: a scenario never passes on a broken run.
 *
 *   const results = await SCENARIOS["server-restart"](harness, random);
 */
import {
  type CreatedEntity,
  notApplicable,
  type VerificationResult,
  verifyConvergence,
  verifyFieldLevelMerge,
  verifyReadYourWrites,
} from "../checker/sync/index.js";
import type { Random } from "../random/random.js";
import type { ExecResult, SyncActor, SyncHarness } from "./harness.js";

export type Scenario = (harness: SyncHarness, random: Random) => Promise<VerificationResult[]>;

/** Runs a scenario's commands, keeping what failed and who created what. */
class Steps {
  readonly failures: string[] = [];
  readonly created: CreatedEntity[] = [];

  constructor(
    readonly scenario: string,
    readonly harness: SyncHarness,
  ) {}

  async run(actor: SyncActor, args: string[], options: { mayFail?: boolean } = {}): Promise<ExecResult> {
    const result = await this.harness.run(actor, ...args);
    if (result.code !== 0 && !options.mayFail) {
      this.failures.push(
        `${actor.name} ${args.join(" ")}: exit ${result.code}${result.timedOut ? " (timed out)" : ""} ${result.stderr.trim()}`,
      );
    }
    return result;
  }

  async create(actor: SyncActor, fields: Record<string, string>): Promise<string | undefined> {
    const result = await this.run(actor, this.harness.system.verbs.create(fields));
    if (result.code !== 0) return undefined;
    const id = this.harness.system.verbs.createdId(result.stdout);
    this.created.push({ actor: actor.name, entity: id });
    return id;
  }

  async update(actor: SyncActor, id: string | undefined, fields: Record<string, string>): Promise<void> {
    if (id !== undefined) await this.run(actor, this.harness.system.verbs.update(id, fields));
  }

  async syncAll(): Promise<void> {
    try {
      await this.harness.syncAll();
    } catch (error) {
      this.failures.push((error as Error).message);
    }
  }

  /** The results named after the scenario, with `steps` first. */
  async verify(
    extra: (snapshots: Awaited<ReturnType<SyncHarness["snapshots"]>>) => VerificationResult[] = () => [],
  ) {
    const snapshots = await this.harness.snapshots();
    const results: VerificationResult[] = [
      {
        name: "steps",
        valid: this.failures.length === 0,
        explanation: this.failures.length === 0 ? "every step did what it should" : "a step failed",
        details: this.failures.slice(0, 20),
      },
      verifyConvergence(snapshots),
      ...(this.created.length > 0 ? [verifyReadYourWrites(snapshots, this.created)] : []),
      ...extra(snapshots),
    ];
    return results.map((r) => ({ ...r, name: `${this.scenario}/${r.name}` }));
  }
}

function pair(harness: SyncHarness): [SyncActor, SyncActor] {
  if (harness.actors.length < 2) throw new Error("a scenario needs two actors or more");
  return [harness.actors[0]!, harness.actors[1]!];
}

const WORDS = ["amber", "basil", "coral", "dune", "elm", "flint", "gale", "heath"];

/** Mutations queue locally while the server is down, then converge after it restarts on the same data dir. */
export const serverRestart: Scenario = async (harness, random) => {
  const steps = new Steps("server-restart", harness);
  const ids: (string | undefined)[] = [];
  for (const actor of harness.actors)
    ids.push(await steps.create(actor, { title: random.pick(WORDS), status: "open" }));
  await steps.syncAll();
  await harness.server.stop();
  for (const [i, actor] of harness.actors.entries()) {
    await steps.update(actor, ids[i], { status: "doing" });
    await steps.create(actor, { title: `offline-${random.pick(WORDS)}`, status: "open" });
    const sync = await steps.run(actor, [...harness.system.syncArgs], { mayFail: true });
    if (sync.code === 0) steps.failures.push(`${actor.name} synced while the server was down`);
  }
  await harness.server.start();
  await steps.syncAll();
  return steps.verify();
};

/** Two actors each make 50+ mutations without syncing, then sync and converge. */
export const partitionRecovery: Scenario = async (harness, random) => {
  const steps = new Steps("partition-recovery", harness);
  const [a, b] = pair(harness);
  const shared = await steps.create(a, { title: "shared", status: "open", priority: "1" });
  await steps.syncAll();
  for (const actor of [a, b]) {
    const mine: (string | undefined)[] = [shared];
    for (let i = 0; i < 52; i++) {
      if (i % 4 === 0) mine.push(await steps.create(actor, { title: random.pick(WORDS), status: "open" }));
      else {
        const field = random.pick(["title", "status", "priority"]);
        await steps.update(actor, random.pick(mine), { [field]: `${actor.name}-${i}` });
      }
    }
  }
  await steps.syncAll();
  return steps.verify((snapshots) => [verifyFieldLevelMerge(snapshots)].filter((r) => r.valid !== "unknown"));
};

/** Every actor syncs at the same moment (rate limiting meets the herd, with bounded retries). */
export const thunderingHerd: Scenario = async (harness, random) => {
  const steps = new Steps("thundering-herd", harness);
  for (const actor of harness.actors) {
    for (let i = 0; i < 5; i++) await steps.create(actor, { title: random.pick(WORDS), status: "open" });
  }
  const results = await Promise.all(harness.actors.map((actor) => harness.sync(actor)));
  for (const [i, result] of results.entries()) {
    if (result.code !== 0)
      steps.failures.push(
        `${harness.actors[i]!.name}'s herd sync: exit ${result.code} ${result.stderr.trim()}`,
      );
  }
  await steps.syncAll();
  return steps.verify();
};

/** One actor makes 20 mutations of one entity without syncing; after a sync the other sees the final state. */
export const burstNoSync: Scenario = async (harness, random) => {
  const steps = new Steps("burst-no-sync", harness);
  const [a] = pair(harness);
  const id = await steps.create(a, { title: "burst", status: "open", priority: "1" });
  const final: Record<string, string> = { title: "burst", status: "open", priority: "1" };
  for (let i = 0; i < 20; i++) {
    const field = random.pick(["title", "status", "priority"]);
    final[field] = `${field}-${i}`;
    await steps.update(a, id, { [field]: final[field]! });
  }
  await steps.syncAll();
  const expected = id === undefined ? {} : { [id]: final };
  return steps.verify((snapshots) => [verifyFieldLevelMerge(snapshots, { expected })]);
};

/** Create 10, sync, delete all, sync, restore 5, sync, delete 3, sync: convergence at every stage. */
export const rapidCreateDelete: Scenario = async (harness) => {
  const steps = new Steps("rapid-create-delete", harness);
  const [a, b] = pair(harness);
  const ids: string[] = [];
  for (let i = 0; i < 10; i++) {
    const id = await steps.create(a, { title: `rapid-${i}`, status: "open" });
    if (id !== undefined) ids.push(id);
  }
  const stages: VerificationResult[] = [];
  const stage = async (name: string, deleted: readonly string[]): Promise<void> => {
    await steps.syncAll();
    const snapshots = await harness.snapshots();
    const converged = verifyConvergence(snapshots);
    const wrong = ids.filter((id) => {
      const row = snapshots[0]!.entities[id];
      return row === undefined || (row.deleted === "true") !== deleted.includes(id);
    });
    stages.push({
      ...converged,
      name: `convergence after ${name}`,
      ...(wrong.length > 0 && converged.valid !== false
        ? {
            valid: false,
            explanation: `wrong deleted state after ${name}`,
            details: wrong.map((id) => `entity ${id}`),
          }
        : {}),
    });
  };
  await stage("create 10", []);
  for (const id of ids) await steps.run(b, harness.system.verbs.delete(id));
  await stage("delete all", ids);
  for (const id of ids.slice(0, 5)) await steps.run(a, harness.system.verbs.restore(id));
  await stage("restore 5", ids.slice(5));
  for (const id of ids.slice(0, 3)) await steps.run(b, harness.system.verbs.delete(id));
  await stage("delete 3", [...ids.slice(0, 3), ...ids.slice(5)]);
  return steps.verify(() => stages);
};

/** Two actors update different fields of one entity concurrently; both updates survive. */
export const multiFieldCollision: Scenario = async (harness, random) => {
  const steps = new Steps("multi-field-collision", harness);
  const [a, b] = pair(harness);
  const id = await steps.create(a, { title: "collide", status: "open", priority: "1" });
  await steps.syncAll();
  const title = `${random.pick(WORDS)}-by-${a.name}`;
  const status = `by-${b.name}`;
  await steps.update(a, id, { title });
  await steps.update(b, id, { status });
  await steps.syncAll();
  const expected = id === undefined ? {} : { [id]: { title, status, priority: "1" } };
  return steps.verify((snapshots) => [verifyFieldLevelMerge(snapshots, { expected })]);
};

/** An actor undoes a change after it synced; everyone converges on the undone state. */
export const undoAfterSync: Scenario = async (harness) => {
  const steps = new Steps("undo-after-sync", harness);
  const [a] = pair(harness);
  const id = await steps.create(a, { title: "before", status: "open" });
  await steps.syncAll();
  await steps.update(a, id, { title: "after" });
  await steps.syncAll();
  await steps.run(a, harness.system.verbs.undo());
  await steps.syncAll();
  const expected = id === undefined ? {} : { [id]: { title: "before" } };
  return steps.verify((snapshots) => [verifyFieldLevelMerge(snapshots, { expected })]);
};

/**
 * One actor's clock runs five minutes behind; it updates a field after it
 * has seen another actor's update of that field, so its write is causally
 * later and must win, whatever the wall clocks say.
 */
export const skewedClock: Scenario = async (harness, random) => {
  const steps = new Steps("skewed-clock", harness);
  const [a, b] = pair(harness);
  const offsetEnv = harness.system.clockOffsetEnv;
  if (offsetEnv === undefined) {
    return [notApplicable("skewed-clock/steps", "the system has no clock offset hook")];
  }
  const id = await steps.create(a, { title: "clock", status: "open" });
  await steps.syncAll();
  await steps.update(a, id, { title: `${random.pick(WORDS)}-by-${a.name}` });
  await steps.syncAll();
  harness.setActorEnv(b.name, offsetEnv(-5 * 60_000));
  const title = `${random.pick(WORDS)}-by-${b.name}-later`;
  try {
    await steps.update(b, id, { title });
  } finally {
    harness.setActorEnv(b.name, offsetEnv(0));
  }
  await steps.syncAll();
  const expected = id === undefined ? {} : { [id]: { title } };
  return steps.verify((snapshots) => [verifyFieldLevelMerge(snapshots, { expected })]);
};

export const SCENARIOS = {
  "server-restart": serverRestart,
  "partition-recovery": partitionRecovery,
  "thundering-herd": thunderingHerd,
  "burst-no-sync": burstNoSync,
  "rapid-create-delete": rapidCreateDelete,
  "multi-field-collision": multiFieldCollision,
  "undo-after-sync": undoAfterSync,
  "skewed-clock": skewedClock,
} as const satisfies Record<string, Scenario>;

export type ScenarioName = keyof typeof SCENARIOS;
export const SCENARIO_NAMES = Object.keys(SCENARIOS) as ScenarioName[];
