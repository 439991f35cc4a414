/**
 * The actor fixture over real processes (`sh`, `sleep`, node scripts): names,
 * homes and envs; exits with code, signal and cause; stop, kill, pause,
 * resume, restart, respawn; one-shot exec.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { afterEach, describe, expect, test } from "vitest";
import {
  ACTOR_ENV,
  type ActorExit,
  type Actors,
  actorExitOp,
  actorNames,
  parseActorTarget,
  resolveActorTarget,
  startActors,
} from "../../src/actors/index.js";
import { Random } from "../../src/random/random.js";

const open: Actors[] = [];
afterEach(async () => {
  for (const actors of open.splice(0)) await actors.close();
});
async function start(options: Parameters<typeof startActors>[0]): Promise<Actors> {
  const actors = await startActors(options);
  open.push(actors);
  return actors;
}

function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  } catch {
    return undefined;
  }
}

async function until(what: string, condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not ${what} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("startActors", () => {
  test("names, homes, data dirs, env and logs: each actor its own", async () => {
    const actors = await start({
      count: 3,
      command: "sh",
      args: ["-c", 'echo "$CRUCIBLE_ACTOR $HOME $CRUCIBLE_ACTOR_DATA $EXTRA"; pwd; exit 0'],
      env: (actor) => ({ EXTRA: `extra-${actor.index}` }),
    });
    expect(actors.names).toEqual(["a1", "a2", "a3"]);
    const exits = await Promise.all(actors.list.map((actor) => actor.exited));
    expect(exits.map((exit) => [exit.actor, exit.code, exit.signal, exit.cause])).toEqual([
      ["a1", 0, null, "exited"],
      ["a2", 0, null, "exited"],
      ["a3", 0, null, "exited"],
    ]);
    const homes = new Set(actors.list.map((actor) => actor.home));
    expect(homes.size).toBe(3);
    for (const actor of actors.list) {
      expect(statSync(actor.home).mode & 0o777).toBe(0o700);
      expect(actor.env.HOME).toBe(actor.home);
      expect(actor.env[ACTOR_ENV.name]).toBe(actor.name);
      const log = readFileSync(actor.logPath, "utf8");
      expect(log).toContain(`${actor.name} ${actor.home} ${actor.dataDir} extra-${actor.index}\n`);
      expect(log).toContain(`\n${actor.home}\n`);
    }
  });

  test("every exit reaches onExit with its code, signal and cause", async () => {
    const seen: ActorExit[] = [];
    const actors = await start({
      names: ["quits", "stopped", "killed"],
      command: "sh",
      args: (actor) => ["-c", actor.name === "quits" ? "exit 70" : "sleep 30"],
      onExit: (exit) => seen.push(exit),
    });
    expect((await actors.get("quits").exited).code).toBe(70);
    const stopped = await actors.get("stopped").stop();
    expect(stopped).toMatchObject({ actor: "stopped", signal: "SIGTERM", cause: "stop", run: 1 });
    const killed = await actors.get("killed").kill();
    expect(killed).toMatchObject({ actor: "killed", signal: "SIGKILL", cause: "kill" });
    expect(seen.map((exit) => [exit.actor, exit.code, exit.signal, exit.cause])).toEqual([
      ["quits", 70, null, "exited"],
      ["stopped", null, "SIGTERM", "stop"],
      ["killed", null, "SIGKILL", "kill"],
    ]);
    expect(actors.exits()).toHaveLength(3);
    expect(() => actors.get("nobody")).toThrow(/no actor "nobody" \(actors: quits, stopped, killed\)/);
  });

  test("stop escalates to SIGKILL after the grace when SIGTERM is ignored", async () => {
    const actors = await start({
      count: 1,
      command: "sh",
      args: ["-c", "trap '' TERM; echo ready; while :; do sleep 0.05; done"],
    });
    const actor = actors.get("a1");
    await until("ready", () => readFileSync(actor.logPath, "utf8").includes("ready"));
    const began = Date.now();
    const exit = await actor.stop(300);
    expect(exit?.signal).toBe("SIGKILL");
    expect(Date.now() - began).toBeGreaterThanOrEqual(250);
  });

  test("pause stops the whole group, grandchild included; resume continues it", async () => {
    const actors = await start({
      count: 1,
      command: "sh",
      args: ["-c", 'sleep 30 & echo $! > "$CRUCIBLE_ACTOR_DATA/gc"; wait'],
    });
    const actor = actors.get("a1");
    const gcFile = `${actor.dataDir}/gc`;
    await until(
      "grandchild written",
      () => existsSync(gcFile) && readFileSync(gcFile, "utf8").endsWith("\n"),
    );
    const grandchild = Number(readFileSync(gcFile, "utf8"));
    await actor.pause();
    expect(actor.isPaused()).toBe(true);
    await until("stopped", () => processState(actor.pid!) === "T" && processState(grandchild) === "T");
    await actor.resume();
    await until("running", () => processState(actor.pid!) === "S" && processState(grandchild) === "S");
    // A kill of the actor kills its grandchild too.
    await actor.kill();
    await until("grandchild gone", () => [undefined, "Z"].includes(processState(grandchild)));
  });

  test("restart keeps home and data; a new run gets a new exited promise", async () => {
    const actors = await start({
      count: 1,
      command: "sh",
      args: ["-c", 'echo run >> "$CRUCIBLE_ACTOR_DATA/runs"; sleep 30'],
    });
    const actor = actors.get("a1");
    const runs = `${actor.dataDir}/runs`;
    await until("first run", () => existsSync(runs) && readFileSync(runs, "utf8") === "run\n");
    const firstPid = actor.pid;
    const firstExit = actor.exited;
    await actor.restart();
    expect(actor.pid).not.toBe(firstPid);
    expect((await firstExit).run).toBe(1);
    await until("second run", () => existsSync(runs) && readFileSync(runs, "utf8") === "run\nrun\n");
    const secondExit = actor.exited;
    await actor.kill();
    expect(await secondExit).toMatchObject({ run: 2, cause: "kill" });
  });

  test("respawn: a run that ends by itself or by kill() starts again; stop() holds it", async () => {
    const actors = await start({
      count: 1,
      command: "sh",
      args: ["-c", "sleep 0.1; exit 3"],
      respawn: { delayMs: 10 },
    });
    const actor = actors.get("a1");
    await until("three runs", () => actor.exits.length >= 3);
    expect(actor.exits.slice(0, 3).map((exit) => [exit.code, exit.run])).toEqual([
      [3, 1],
      [3, 2],
      [3, 3],
    ]);
    await actor.stop();
    const count = actor.exits.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(actor.exits.length).toBe(count);
    expect(actor.isRunning()).toBe(false);
    await actor.start();
    expect(actor.isRunning()).toBe(true);
  });

  test("exec runs one command as the actor, bounded by its timeout", async () => {
    const actors = await start({ count: 1, command: "sleep", args: ["30"], env: { WHO: "me" } });
    const actor = actors.get("a1");
    const result = await actor.exec(["sh", "-c", 'cat; echo "$WHO $HOME" >&2; pwd; exit 5'], {
      timeoutMs: 5_000,
      input: "typed\n",
    });
    expect(result).toMatchObject({
      stdout: `typed\n${actor.home}\n`,
      stderr: `me ${actor.home}\n`,
      code: 5,
      signal: null,
      timedOut: false,
    });
    const slow = await actor.exec(["sh", "-c", "sleep 30 & sleep 30"], { timeoutMs: 200 });
    expect(slow).toMatchObject({ timedOut: true, signal: "SIGKILL" });
    expect(slow.durationMs).toBeLessThan(3_000);
    await expect(actor.exec(["/no/such/program"], { timeoutMs: 1_000 })).rejects.toThrow(/ENOENT/);
  });

  test("close kills every actor and removes the temp dir", async () => {
    const actors = await startActors({ count: 2, command: "sleep", args: ["30"] });
    const pids = actors.list.map((actor) => actor.pid!);
    await actors.close();
    for (const pid of pids) expect([undefined, "Z"]).toContain(processState(pid));
    expect(existsSync(actors.runDir)).toBe(false);
    expect(actors.exits().map((exit) => exit.cause)).toEqual(["close", "close"]);
  });

  test("a command that cannot run fails the start and leaves nothing behind", async () => {
    await expect(startActors({ count: 2, command: "/no/such/program" })).rejects.toThrow(/ENOENT/);
  });

  test("names are checked", () => {
    expect(actorNames({ count: 2 })).toEqual(["a1", "a2"]);
    expect(() => actorNames({ count: 0 })).toThrow(/count must be an integer/);
    expect(() => actorNames({ names: ["x", "x"] })).toThrow(/unique/);
    expect(() => actorNames({ names: ["../x"] })).toThrow(/must be letters/);
    expect(() => actorNames({ count: 3, names: ["x"] })).toThrow(/1 names for 3 actors/);
  });
});

describe("actor targets and exit ops", () => {
  test("parse and resolve", () => {
    expect(parseActorTarget("actor:a2")).toEqual({ actor: "a2" });
    expect(parseActorTarget("actors:minority")).toBe("minority");
    expect(parseActorTarget("actors:most")).toBeUndefined();
    expect(parseActorTarget("one")).toBeUndefined();
    const names = ["a1", "a2", "a3", "a4", "a5"];
    const random = new Random(7);
    expect(resolveActorTarget("all", names, random)).toEqual(names);
    expect(resolveActorTarget("minority", names, random)).toHaveLength(2);
    expect(names).toContain(resolveActorTarget("one", names, random)[0]);
    expect(resolveActorTarget({ actor: "a3" }, names, random)).toEqual(["a3"]);
    expect(() => resolveActorTarget({ actor: "a9" }, names, random)).toThrow(/no actor a9/);
    // Seeded: the same seed draws the same actors.
    expect(resolveActorTarget("minority", names, new Random(1))).toEqual(
      resolveActorTarget("minority", names, new Random(1)),
    );
  });

  test("an exit as an op value", () => {
    const op = actorExitOp(
      { actor: "a2", pid: 42, code: 70, signal: null, cause: "exited", durationMs: 5, run: 3 },
      1234.4,
    );
    expect(op).toEqual({
      f: "actor-exit",
      value: { actor: "a2", pid: 42, code: 70, signal: null, cause: "exited", run: 3, at: 1234 },
    });
  });
});
