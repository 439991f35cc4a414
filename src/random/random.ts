/**
 * Seeded randomness. Every random choice in a run flows from one root seed:
 * the runner makes a `Random` from it and hands each consumer its own derived
 * stream (`fork("nemesis")`, `fork("worker-3")`), so that, for example, the
 * fault schedule does not shift when the client workload draws one number
 * more. Never use `Math.random` in generators, nemeses or checkers.
 *
 * The engine is pure-rand's xoroshiro128+, used in place (mutating) for speed.
 */
import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";

type Engine = ReturnType<typeof xoroshiro128plus>;

/** Seeds are non-negative safe integers; the CLI prints and stores them. */
export type Seed = number;

/** A fresh seed for a run that was given none; drawn from the OS, not Math.random. */
export function freshSeed(): Seed {
  const buf = new Uint32Array(2);
  crypto.getRandomValues(buf);
  // 48 bits: comfortably inside Number.MAX_SAFE_INTEGER, short enough to type.
  return (buf[0]! & 0xffff) * 2 ** 32 + buf[1]!;
}

/** Parse a seed given on the command line or in an environment variable; undefined when malformed. */
export function parseSeed(text: string): Seed | undefined {
  if (!/^\d{1,16}$/.test(text.trim())) return undefined;
  const seed = Number(text.trim());
  return Number.isSafeInteger(seed) ? seed : undefined;
}

/** 32-bit mix (murmur3 finalizer), unsigned: nearby inputs give unrelated outputs. Seeds and model hashes use it. */
export function mix32(h: number): number {
  let x = h | 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

function hashString(text: string, h0: number): number {
  let h = h0 >>> 0;
  for (let i = 0; i < text.length; i++) h = mix32(h ^ text.charCodeAt(i)) + 0x9e3779b9;
  return mix32(h);
}

export class Random {
  readonly seed: Seed;
  readonly label: string;
  private readonly engine: Engine;

  constructor(seed: Seed, label = "root") {
    this.seed = seed;
    this.label = label;
    const low = seed % 2 ** 32;
    const high = Math.floor(seed / 2 ** 32);
    this.engine = xoroshiro128plus(hashString(label, mix32(low) ^ mix32(high + 0x632be5ab)));
  }

  /** A derived, independent stream; the same (seed, label) always gives the same stream. */
  fork(label: string): Random {
    return new Random(this.seed, `${this.label}/${label}`);
  }

  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    if (!(Number.isInteger(min) && Number.isInteger(max) && min <= max)) {
      throw new Error(`Random.int: bad range [${min}, ${max}]`);
    }
    return uniformInt(this.engine, min, max);
  }

  /** Uniform float in [0, 1). */
  float(): number {
    return uniformFloat64(this.engine);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** One element, uniformly. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("Random.pick: empty list");
    return items[this.int(0, items.length - 1)]!;
  }

  /** Index chosen with probability proportional to its weight. */
  weightedIndex(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) {
      if (!(w >= 0)) throw new Error(`Random.weightedIndex: negative or NaN weight ${w}`);
      total += w;
    }
    if (total <= 0) throw new Error("Random.weightedIndex: weights sum to zero");
    let x = this.float() * total;
    for (let i = 0; i < weights.length; i++) {
      x -= weights[i]!;
      if (x < 0) return i;
    }
    return weights.length - 1;
  }

  /** A new array with the elements in random order (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }

  /** k distinct elements, in random order. */
  sample<T>(items: readonly T[], k: number): T[] {
    return this.shuffle(items).slice(0, Math.max(0, Math.min(k, items.length)));
  }
}
