// biome-ignore-all format: kept compact, it is docs/sync.md's 40-line example
// Your own offline-first client under the sync harness: npx tsx examples/sync-adapter.ts [seed]
// The adapter says how to start the server, run a command as an actor, sync, and take a snapshot;
// the chaos engine, the verifiers and the scenarios come with it. (Here the binary is demo-sync's.)
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {buildSyncReport, 
  ChaosEngine, createdEntities, demoSyncActions, demoSyncModel, formatSyncReport, healDemoSync,
  Random, SCENARIOS, type SyncSystem,startSyncHarness, syncAndVerify, syncDemoCommand, 
} from "crucible";

const server = syncDemoCommand("server"); // yours: { command: "./bin/my-sync-server", args: [] }
const client = syncDemoCommand("client"); // yours: { command: "./bin/my-cli", args: [] }
const fieldArgs = (fields: Record<string, string>) => Object.entries(fields).map(([k, v]) => `${k}=${v}`);
const mySystem: SyncSystem = {
  name: "my-app",
  server: ({ dataDir, port }) => ({ command: server.command, args: [...server.args, "--data-dir", dataDir, "--port", String(port)] }),
  healthPath: "/health",
  client,
  actorEnv: (actor, url) => ({ DEMO_SYNC_SERVER: url, DEMO_SYNC_DATA_DIR: actor.dataDir, DEMO_SYNC_ACTOR: actor.name }),
  syncArgs: ["sync"],
  retrySyncArgs: ["sync", "--retry-last"],
  verbs: {
    create: (fields) => ["create", ...fieldArgs(fields)], createdId: (stdout) => JSON.parse(stdout).id,
    update: (id, fields) => ["update", id, ...fieldArgs(fields)], delete: (id) => ["delete", id],
    restore: (id) => ["restore", id], undo: () => ["undo"],
  },
  snapshotArgs: ["show"],
  parseSnapshot: (stdout, actor) => ({ owner: actor, ...JSON.parse(stdout) }),
  failureKind: (r) => (r.code === 11 ? "refused" : r.code === 20 ? "unreachable" : r.code === 21 ? "rateLimited" : "other"),
};

const seed = Number(process.argv[2] ?? 1);
const random = new Random(seed);
await using harness = await startSyncHarness({ system: mySystem, actors: 3, dir: mkdtempSync(join(tmpdir(), "my-sync-")), random });
const model = demoSyncModel(harness);
const engine = new ChaosEngine({ actions: demoSyncActions(), actors: harness.actors, model, random: random.fork("sync-chaos") });
await harness.syncAll(1);
await engine.runN(60);
await healDemoSync(model);
const { verifications, syncs } = await syncAndVerify(harness, { created: createdEntities(model), eventBounds: model.eventBounds });
verifications.push(...(await SCENARIOS["multi-field-collision"](harness, random.fork("scenario"))));
const report = buildSyncReport({ seed, engine, verifications, durationMs: 0, syncCount: syncs + model.syncs });
console.log(formatSyncReport(report));
process.exitCode = report.pass ? 0 : 1;
