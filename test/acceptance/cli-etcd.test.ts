/**
 * Acceptance (issue 4): the real `crucible` binary (bin/crucible.js on dist/)
 * runs the register test against a real 3-member etcd with its default faults
 * (kill and pause) and exits 0 with a valid verdict. dist/ must be built
 * (`npm run build`; `npm test` builds first).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, expect, it } from "vitest";
import { ExitCode } from "../../src/errors/index.js";
import type { Results } from "../../src/history/results.js";
import { expectNoLeftovers, makeStore, removeStore, watchLeftovers } from "./helpers.js";

const root = join(import.meta.dirname, "..", "..");
const store = makeStore("cli");
afterAll(() => removeStore(store));

it("crucible run --target etcd --nodes 3 --time-limit 15 exits 0 with a valid verdict", async () => {
  const main = join(root, "dist", "cli", "main.js");
  expect(existsSync(main), `${main} is missing: run npm run build`).toBe(true);
  const seed = 15;
  const args = ["bin/crucible.js", "run", "--target", "etcd", "--nodes", "3", "--time-limit", "15"];
  const command = `node ${args.join(" ")} --seed ${seed} --store ${store}`;
  const watch = watchLeftovers();
  const result = await execa(process.execPath, [...args, "--seed", String(seed), "--store", store], {
    cwd: root,
    reject: false,
    all: true,
    // A bound on the whole run: 15 s main phase, cluster start, final phase, checkers.
    timeout: 80_000,
    env: { NO_COLOR: "1" },
  });
  const leftovers = await watch.finish();
  const output = `${command}\n${(result.all ?? "").slice(-3_000)}`;
  expect(result.exitCode, output).toBe(ExitCode.valid);
  const results = JSON.parse(
    readFileSync(join(store, "etcd-register", "latest", "results.json"), "utf8"),
  ) as Results;
  expect(results.valid, output).toBe(true);
  expect(results.complete, output).toBe(true);
  expectNoLeftovers(leftovers, command);
}, 100_000);
