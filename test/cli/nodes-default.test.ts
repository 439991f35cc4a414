import { describe, expect, it } from "vitest";
import { runOptionsFromFlags } from "../../src/cli/run.js";
import { demo } from "../../src/cluster/recipes/demo.js";
import { etcd } from "../../src/cluster/recipes/etcd.js";
import { postgres } from "../../src/cluster/recipes/postgres.js";
import { redis } from "../../src/cluster/recipes/redis.js";
import { REGISTER_TARGET_NODES } from "../../src/tests/targets.js";

const flags = {
  timeLimit: 1000,
  concurrency: 1,
  store: "store",
  nemesis: [],
  nemesisInterval: 1000,
  demoMode: "linearizable",
  opTimeout: 1000,
  keep: false,
  json: false,
};

describe("--nodes follows the target when not given", () => {
  it("postgres starts 1 node, the replicated targets 3; an explicit --nodes wins", () => {
    expect(runOptionsFromFlags({ ...flags, target: "postgres" }).nodes).toBe(1);
    expect(runOptionsFromFlags({ ...flags, target: "etcd" }).nodes).toBe(3);
    expect(runOptionsFromFlags({ ...flags, target: "demo" }).nodes).toBe(3);
    expect(runOptionsFromFlags({ ...flags, target: "etcd", nodes: 5 }).nodes).toBe(5);
  });

  it("the CLI's table says what each recipe says", () => {
    const recipes = { demo: demo(), etcd: etcd(), redis: redis(), postgres: postgres() };
    for (const [target, recipe] of Object.entries(recipes))
      expect(recipe.defaultSize ?? 3, target).toBe(REGISTER_TARGET_NODES[target as keyof typeof recipes]);
  });
});
