/**
 * How fast generators answer: ops per second through `simulate` (the
 * GeneratorDriver plus a fake clock), for the common shapes of a main phase
 * with 32 workers. The runner's budget is 100,000 ops/s end to end, so the
 * generator side should be a small fraction of 10 µs per op.
 *
 * Run: npx tsx bench/generator-throughput.ts
 */
import {
  any,
  clients,
  eachWorker,
  limit,
  mix,
  nemesis,
  repeat,
  simulate,
  stagger,
  timeLimit,
} from "../src/generator/index.js";
import type { GenContext, GeneratorLike } from "../src/generator/types.js";

const OPS = 200_000;
const read = { f: "read", value: null };
const write = (ctx: GenContext) => ({ f: "write", value: ctx.random.int(0, 100) });
const cas = (ctx: GenContext) => ({ f: "cas", value: [ctx.random.int(0, 5), ctx.random.int(0, 5)] });

const shapes: Record<string, () => GeneratorLike> = {
  "repeat(read)": () => limit(OPS, repeat(read)),
  "clients(mix(r,w,cas))": () => limit(OPS, clients(mix([read, write, cas]))),
  "any(clients(stagger(mix)), nemesis(stagger))": () =>
    limit(
      OPS,
      any(
        clients(stagger(0.001, mix([read, write, cas]))),
        nemesis(
          stagger(
            1_000,
            mix([
              { f: "kill", value: null },
              { f: "start", value: null },
            ]),
          ),
        ),
      ),
    ),
  "timeLimit(clients(eachWorker(repeat(read))))": () =>
    limit(OPS, timeLimit(60_000, clients(eachWorker(repeat(read))))),
};

for (const [name, make] of Object.entries(shapes)) {
  // Warm up the JIT, then measure.
  simulate(make(), { seed: 1, concurrency: 32, nemesis: true, maxOps: 2 * 20_000 });
  const started = performance.now();
  const run = simulate(make(), { seed: 1, concurrency: 32, nemesis: true, maxOps: 2 * OPS + 100 });
  const elapsedMs = performance.now() - started;
  const ops = run.history.length / 2;
  console.log(
    `${name.padEnd(50)} ${Math.round((ops / elapsedMs) * 1000)
      .toLocaleString("en-US")
      .padStart(12)} ops/s  (${ops} ops in ${elapsedMs.toFixed(0)} ms)`,
  );
}
