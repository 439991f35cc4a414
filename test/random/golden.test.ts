/**
 * Golden draws of `Random`: the first numbers each method gives for fixed
 * seeds and fork labels, as the engine gives them today.
 *
 * A stored run replays from its seed alone (`crucible run --seed N`, or the
 * seed in a run's test.json): every generator, nemesis and cluster choice is
 * a function of the seed and a stream's label (src/random/streams.ts). If any
 * number below changes (a new engine, a different int or float mapping, a
 * changed label hash, a reordered shuffle), every stored seed silently replays
 * a different run. So these numbers must not change in an ordinary upgrade.
 * If a change is truly needed, it breaks replay of stored runs: say so in the
 * release notes, and update this table in the same commit.
 */
import { describe, expect, it } from "vitest";
import { Random } from "../../src/random/random.js";
import {
  clusterTokenLabel,
  clusterVariantLabel,
  STREAMS,
  workerStreamLabel,
} from "../../src/random/streams.js";

interface Draws {
  ints: number[];
  bigInts: number[];
  floats: number[];
  picks: string[];
  chances: boolean[];
  weighted: number[];
  shuffle: number[];
  sample: string[];
}

/** The draws, in this order, that every case below makes from a fresh stream. */
function draws(random: Random): Draws {
  const times = <T>(n: number, draw: () => T): T[] => Array.from({ length: n }, draw);
  return {
    ints: times(5, () => random.int(0, 1_000_000)),
    bigInts: times(3, () => random.int(0, 2 ** 48)),
    floats: times(3, () => random.float()),
    picks: times(5, () => random.pick(["a", "b", "c", "d"])),
    chances: times(5, () => random.chance(0.3)),
    weighted: times(5, () => random.weightedIndex([1, 2, 7])),
    shuffle: random.shuffle([1, 2, 3, 4, 5, 6]),
    sample: random.sample(["n1", "n2", "n3", "n4", "n5"], 2),
  };
}

const GOLDEN: Record<string, Draws> = {
  "seed 0": {
    ints: [334549, 822515, 575105, 74014, 984430],
    bigInts: [151824596500024, 129312329965946, 25260944149358],
    floats: [0.23029657597517095, 0.4989410439974088, 0.002349819375357387],
    picks: ["a", "b", "b", "d", "d"],
    chances: [true, true, false, false, false],
    weighted: [2, 1, 2, 1, 2],
    shuffle: [3, 5, 6, 4, 2, 1],
    sample: ["n5", "n1"],
  },
  "seed 1": {
    ints: [899353, 820601, 399286, 890334, 894161],
    bigInts: [136093053022117, 124991938508312, 241645647009341],
    floats: [0.9611467310800474, 0.6723293116787085, 0.07726966150071202],
    picks: ["d", "c", "a", "b", "b"],
    chances: [false, false, false, true, false],
    weighted: [2, 2, 2, 1, 2],
    shuffle: [5, 2, 6, 1, 3, 4],
    sample: ["n5", "n4"],
  },
  "seed 42": {
    ints: [612194, 566639, 619468, 179461, 949813],
    bigInts: [29686005597393, 161608641645828, 256823401333825],
    floats: [0.6474764690993479, 0.7015874210047819, 0.060486860661806086],
    picks: ["c", "a", "c", "b", "c"],
    chances: [true, true, false, false, true],
    weighted: [2, 2, 2, 2, 1],
    shuffle: [2, 6, 5, 3, 1, 4],
    sample: ["n1", "n3"],
  },
  "seed 281474976710655": {
    ints: [238511, 483051, 184367, 80901, 537927],
    bigInts: [272830974708973, 21732209573407, 240387669050251],
    floats: [0.5671251204963258, 0.03673950382713853, 0.6923561051389621],
    picks: ["a", "a", "b", "c", "d"],
    chances: [true, false, false, true, false],
    weighted: [2, 2, 1, 2, 2],
    shuffle: [1, 6, 2, 3, 4, 5],
    sample: ["n4", "n2"],
  },
  "fork generator": {
    ints: [88303, 569024, 198692, 681982, 13001],
    bigInts: [176705276233732, 46165862456740, 213334412102869],
    floats: [0.6575178927067583, 0.7576057812351904, 0.4182655020862569],
    picks: ["c", "b", "b", "b", "a"],
    chances: [false, false, false, false, true],
    weighted: [2, 2, 0, 2, 2],
    shuffle: [6, 4, 1, 3, 2, 5],
    sample: ["n1", "n3"],
  },
  "fork nemesis-schedule": {
    ints: [667625, 766493, 907026, 407775, 88181],
    bigInts: [61141292212316, 271788399288870, 69917582640991],
    floats: [0.6025815514132775, 0.6133158096978955, 0.1535753808301653],
    picks: ["d", "d", "a", "a", "d"],
    chances: [true, false, false, true, false],
    weighted: [2, 1, 1, 1, 2],
    shuffle: [3, 6, 4, 1, 2, 5],
    sample: ["n5", "n2"],
  },
  "fork nemesis-exec": {
    ints: [75648, 147618, 149967, 44955, 75589],
    bigInts: [145872411272391, 222099335412816, 143399405811442],
    floats: [0.837695600039953, 0.41273035789843515, 0.48511717868312687],
    picks: ["a", "b", "a", "c", "a"],
    chances: [false, true, false, false, false],
    weighted: [2, 2, 2, 0, 2],
    shuffle: [2, 6, 5, 1, 4, 3],
    sample: ["n2", "n3"],
  },
  "fork cluster": {
    ints: [425584, 800998, 217951, 83588, 749921],
    bigInts: [101812773820319, 162097140695679, 30964955128122],
    floats: [0.38853300398221313, 0.6665498535399708, 0.25193370354445876],
    picks: ["c", "a", "b", "c", "d"],
    chances: [true, true, false, false, false],
    weighted: [2, 0, 2, 0, 1],
    shuffle: [1, 4, 5, 6, 3, 2],
    sample: ["n2", "n3"],
  },
  "fork generator/clients/0": {
    ints: [790297, 689594, 423605, 968215, 483009],
    bigInts: [135122159592859, 279231424894930, 85448924601250],
    floats: [0.929983309031094, 0.737844259318495, 0.8733094636759149],
    picks: ["a", "d", "d", "b", "d"],
    chances: [false, true, false, true, false],
    weighted: [2, 2, 2, 0, 2],
    shuffle: [5, 6, 1, 2, 4, 3],
    sample: ["n5", "n3"],
  },
  "root datadriven": {
    ints: [591874, 173804, 631719, 772884, 97702],
    bigInts: [45727800653259, 258449590651237, 136183105246064],
    floats: [0.40465302062460873, 0.12427264174567709, 0.3339748802591467],
    picks: ["c", "a", "a", "d", "a"],
    chances: [false, false, false, false, false],
    weighted: [2, 2, 1, 2, 2],
    shuffle: [4, 2, 1, 6, 3, 5],
    sample: ["n1", "n2"],
  },
};

describe("Random's output is pinned (changing it breaks replay of stored runs)", () => {
  for (const seed of [0, 1, 42, 2 ** 48 - 1]) {
    it(`seed ${seed}, the root stream`, () => {
      expect(draws(new Random(seed))).toEqual(GOLDEN[`seed ${seed}`]);
    });
  }

  const root = new Random(42);
  const forks = [STREAMS.generator, STREAMS.nemesisSchedule, STREAMS.nemesisExec, STREAMS.cluster];
  for (const stream of forks) {
    it(`seed 42, the run's ${stream.label} stream`, () => {
      expect(draws(root.fork(stream.label))).toEqual(GOLDEN[`fork ${stream.label}`]);
    });
  }

  it("seed 42, a nested fork (op 0 of the clients side of the generator)", () => {
    const stream = root.fork(STREAMS.generator.label).fork(STREAMS.clients.label).fork("0");
    expect(draws(stream)).toEqual(GOLDEN["fork generator/clients/0"]);
  });

  it("seed 42, a root of its own label (the data-driven target's)", () => {
    expect(draws(new Random(42, STREAMS.datadriven.label))).toEqual(GOLDEN["root datadriven"]);
  });

  it("a fork is a function of seed and label path only, not of what was drawn before", () => {
    const used = new Random(42);
    for (let i = 0; i < 100; i++) used.float();
    expect(draws(used.fork(STREAMS.generator.label))).toEqual(GOLDEN["fork generator"]);
    expect(new Random(42).fork("generator").label).toBe("root/generator");
  });

  it("the stream labels are pinned too (a renamed label is a different stream)", () => {
    expect(Object.values(STREAMS).map((stream) => stream.label)).toEqual([
      "generator",
      "clients",
      "nemesis",
      "worker-<id>",
      "nemesis-exec",
      "nemesis-schedule",
      "cluster",
      "cluster/<recipe>/variant",
      "cluster/<recipe>/token/<attempt>",
      "proxy-mesh",
      "simulated-completions",
      "datadriven",
      "actors",
      "sync-chaos",
      "sync-harness",
    ]);
    expect([workerStreamLabel(3), clusterVariantLabel("etcd"), clusterTokenLabel("etcd", 2)]).toEqual([
      "worker-3",
      "cluster/etcd/variant",
      "cluster/etcd/token/2",
    ]);
  });
});
