/**
 * The Wing & Gong / Lowe search, as Porcupine does it, for one partition.
 *
 * Events (calls and returns) sit in a doubly-linked list in real-time order.
 * Walking it from the head, a call is a candidate to linearize next: if the
 * model accepts it from the current state, the op is marked linearized, its
 * call and return are lifted out of the list, and the walk restarts from the
 * head. Reaching a return means its op should have been linearized already:
 * backtrack (pop the last linearized op, put its events back, try the next
 * candidate after it). The history is linearizable when every required op is
 * linearized, and not when backtracking empties the stack.
 *
 * Lowe's cache makes it practical: a (linearized set, state) pair already
 * explored is never explored again. The set is a bitset; its hash is kept
 * incrementally (Zobrist: XOR of a fixed random word per op), so a cache
 * probe costs one map lookup and, on a hit, one bitset comparison.
 *
 * `info` ops have no return event (they complete at +infinity) and are not
 * required: they are linearized only where they help, which is exactly "may
 * have taken effect at any time after the call, or never".
 */
import { mix32 } from "../models/context.js";
import type { AnyModel } from "../models/types.js";
import type { PreparedOp } from "./prepare.js";

export interface SearchOptions {
  /** `performance.now()` value after which the search gives up with `unknown`. */
  deadline: number;
  signal?: AbortSignal | undefined;
  /**
   * Polled with the deadline and the signal (every few thousand steps): true stops the search as
   * `aborted`. Lets a worker thread, whose event loop the search blocks, be stopped through shared memory.
   */
  stopRequested?: (() => boolean) | undefined;
  /** Cap on the cache's estimated size; beyond it the search continues uncached (slower, still bounded by the deadline). */
  maxCacheBytes: number;
}

export interface SearchOutcome {
  valid: boolean | "unknown";
  /** Why it stopped early, when `unknown`. */
  reason?: "time limit" | "aborted";
  /** Search steps taken (model steps tried). */
  steps: number;
  /** Peak estimated cache size in bytes. */
  peakCacheBytes: number;
  cacheEntries: number;
  /** True when the cache hit its cap. */
  cacheFull: boolean;
  /** Deepest point reached: the ops (partition-local ids, in order) linearized there. */
  longestPrefix: Int32Array;
  /** The ops that could not be linearized next at that point (local ids); the last is the op whose return blocked. */
  stuck: number[];
  /** The model state after `longestPrefix`. */
  stuckState: unknown;
}

/**
 * Rough bytes per cache entry beyond its bitset window: two table slots (the table is at most half full),
 * hash, offset, low word, length and the state slot. The state objects themselves are the model's and not
 * counted (a number for registers; a small typed array per distinct state for kv).
 */
const ENTRY_OVERHEAD_BYTES = 36;
/** Initial number of cache entries before the entry arrays first double. */
const INITIAL_ENTRIES = 1024;
/** Initial words of the window arena before it first doubles. */
const INITIAL_ARENA_WORDS = 4096;
/** How often (in steps) the deadline and the abort signal are looked at. */
const CLOCK_EVERY_STEPS = 4096;
/** How many stuck ops a counterexample lists at most. */
const STUCK_MAX = 64;

/** What the search reads of a prepared op (a `PreparedOp` is one; workers receive only these fields). */
export type SearchOp = Pick<PreparedOp, "input" | "callAt" | "returnAt" | "required">;

export function searchPartition(
  ops: readonly SearchOp[],
  model: AnyModel,
  initial: unknown,
  options: SearchOptions,
): SearchOutcome {
  const n = ops.length;
  const head = 2 * n;
  const NIL = -1;
  const next = new Int32Array(2 * n + 1).fill(NIL);
  const prev = new Int32Array(2 * n + 1).fill(NIL);
  const hasReturn = new Uint8Array(n);
  // Events: call of op i is i, return of op i is n + i; ordered by history position.
  const events: { at: number; id: number }[] = [];
  let required = 0;
  for (let i = 0; i < n; i++) {
    const op = ops[i]!;
    events.push({ at: op.callAt * 2, id: i });
    if (Number.isFinite(op.returnAt)) {
      // A return at the same position as a call cannot happen (positions are distinct); *2+1 keeps calls first anyway.
      events.push({ at: op.returnAt * 2 + 1, id: n + i });
      hasReturn[i] = 1;
    }
    if (op.required) required++;
  }
  events.sort((a, b) => a.at - b.at);
  let last = head;
  for (const event of events) {
    next[last] = event.id;
    prev[event.id] = last;
    last = event.id;
  }

  const inputs = ops.map((op) => op.input);
  const zobrist = new Int32Array(n);
  for (let i = 0; i < n; i++) zobrist[i] = mix32(Math.imul(i + 1, 0x9e3779b9));
  const words = (n + 31) >>> 5;
  const bits = new Uint32Array(words);
  // The cache: each entry keeps only the window of the linearized set's bitset that is not implied, from the
  // word holding the smallest op not yet linearized (every op below it is in the set) to the word holding the
  // largest linearized op (every op above it is out). That window is canonical (the set determines it) and,
  // in a long history, about as wide as the concurrency instead of the whole history: a 100,000-op
  // unpartitioned history stores a few words per entry, not 3,125. Windows lie back to back in one arena,
  // with an open-addressing table of entry numbers, so recording a state allocates nothing but the
  // occasional doubling.
  let capacity = INITIAL_ENTRIES;
  let arena = new Uint32Array(INITIAL_ARENA_WORDS);
  let arenaUsed = 0;
  let entryHash = new Int32Array(capacity);
  let entryOffset = new Int32Array(capacity);
  let entryLowWord = new Int32Array(capacity);
  let entryLength = new Int32Array(capacity);
  const entryState: unknown[] = [];
  let tableMask = capacity * 2 - 1;
  let table = new Int32Array(capacity * 2).fill(-1);
  let cacheEntries = 0;
  let cacheFull = false;
  const maxCacheBytes = options.maxCacheBytes;
  const cacheBytes = (): number => arena.byteLength + capacity * ENTRY_OVERHEAD_BYTES;

  const growEntries = (): void => {
    const nextCapacity = capacity * 2;
    const widen = (old: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> => {
      const wider = new Int32Array(nextCapacity);
      wider.set(old);
      return wider;
    };
    entryHash = widen(entryHash);
    entryOffset = widen(entryOffset);
    entryLowWord = widen(entryLowWord);
    entryLength = widen(entryLength);
    capacity = nextCapacity;
    // The table stays a power of two twice the entries, so probing always finds a free slot.
    tableMask = capacity * 2 - 1;
    table = new Int32Array(capacity * 2).fill(-1);
    for (let e = 0; e < cacheEntries; e++) {
      let slot = entryHash[e]! & tableMask;
      while (table[slot] !== -1) slot = (slot + 1) & tableMask;
      table[slot] = e;
    }
  };

  /** Smallest op id at or after `from` whose bit is clear (`n` when none). */
  const firstClear = (from: number): number => {
    let w = from >>> 5;
    if (w >= words) return n;
    const below = from & 31;
    let x = ~(bits[w]! | (below === 0 ? 0 : (1 << below) - 1));
    while (x === 0) {
      if (++w >= words) return n;
      x = ~bits[w]!;
    }
    const id = (w << 5) + (31 - Math.clz32(x & -x));
    return id < n ? id : n;
  };

  /**
   * Record `(bits, s)` as seen; false when it was already there. `lowId` is the smallest op not in the set
   * and `maxId` the largest in it.
   */
  const cacheAdd = (s: unknown, h: number, lowId: number, maxId: number): boolean => {
    const lowWord = lowId >>> 5;
    const length = Math.max(lowWord, maxId >>> 5) - lowWord + 1;
    let slot = h & tableMask;
    for (;;) {
      const e = table[slot]!;
      if (e === -1) break;
      if (
        entryHash[e] === h &&
        entryLowWord[e] === lowWord &&
        entryLength[e] === length &&
        sameWords(arena, entryOffset[e]!, bits, lowWord, length) &&
        model.equal(entryState[e], s)
      )
        return false;
      slot = (slot + 1) & tableMask;
    }
    if (cacheFull) return true;
    if (arenaUsed + length > arena.length || cacheEntries >= capacity) {
      const arenaWords = arenaUsed + length > arena.length ? arena.length * 2 + length : arena.length;
      const entryWords = cacheEntries >= capacity ? capacity * 2 : capacity;
      if (arenaWords * 4 + entryWords * ENTRY_OVERHEAD_BYTES > maxCacheBytes) {
        cacheFull = true;
        return true;
      }
      if (arenaWords !== arena.length) {
        const wider = new Uint32Array(arenaWords);
        wider.set(arena.subarray(0, arenaUsed));
        arena = wider;
      }
      if (entryWords !== capacity) {
        growEntries();
        slot = h & tableMask;
        while (table[slot] !== -1) slot = (slot + 1) & tableMask;
      }
    }
    const e = cacheEntries++;
    arena.set(bits.subarray(lowWord, lowWord + length), arenaUsed);
    entryOffset[e] = arenaUsed;
    arenaUsed += length;
    entryLowWord[e] = lowWord;
    entryLength[e] = length;
    entryHash[e] = h;
    entryState.push(s);
    table[slot] = e;
    return true;
  };

  const stackOps = new Int32Array(n);
  const stackStates: unknown[] = new Array(n);
  /** Per depth: the smallest op not linearized and the largest linearized, before that depth's op. */
  const stackLow = new Int32Array(n);
  const stackMax = new Int32Array(n);
  let lowId = firstClear(0);
  let maxId = -1;
  let depth = 0;
  let state = initial;
  let zob = 0;
  let remaining = required;

  let best = -1;
  let longestPrefix = new Int32Array(0);
  let stuck: number[] = [];
  let stuckState: unknown = initial;

  const lift = (i: number): void => {
    next[prev[i]!] = next[i]!;
    if (next[i]! !== NIL) prev[next[i]!] = prev[i]!;
    if (hasReturn[i]) {
      const r = n + i;
      next[prev[r]!] = next[r]!;
      if (next[r]! !== NIL) prev[next[r]!] = prev[r]!;
    }
  };
  const unlift = (i: number): void => {
    if (hasReturn[i]) {
      const r = n + i;
      next[prev[r]!] = r;
      if (next[r]! !== NIL) prev[next[r]!] = r;
    }
    next[prev[i]!] = i;
    if (next[i]! !== NIL) prev[next[i]!] = i;
  };

  let steps = 0;
  let entry = next[head]!;
  const outcome = (valid: boolean | "unknown", reason?: "time limit" | "aborted"): SearchOutcome => ({
    valid,
    ...(reason ? { reason } : {}),
    steps,
    peakCacheBytes: cacheBytes(),
    cacheEntries,
    cacheFull,
    longestPrefix,
    stuck,
    stuckState,
  });
  const recordStuck = (blocking: number): void => {
    best = depth;
    longestPrefix = stackOps.slice(0, depth);
    stuck = [];
    for (let e = next[head]!; e !== NIL && e < n && stuck.length < STUCK_MAX - 1; e = next[e]!) {
      if (e !== blocking) stuck.push(e);
    }
    if (blocking >= 0) stuck.push(blocking);
    stuckState = state;
  };

  // Candidates are tried in two passes: required ops first, then optional (`info`) ones. An info op
  // linearized early only opens branches; trying it last finds linearizations of valid histories sooner
  // (etcd histories are full of timed-out writes), and exhausts the same candidates when there are none.
  const isRequired = new Uint8Array(n);
  let optionalLeft = 0;
  for (let i = 0; i < n; i++) {
    isRequired[i] = ops[i]!.required ? 1 : 0;
    optionalLeft += 1 - isRequired[i]!;
  }
  let pass = 1;
  while (remaining > 0) {
    if (++steps % CLOCK_EVERY_STEPS === 0) {
      if (options.signal?.aborted || options.stopRequested?.()) {
        if (best < depth) recordStuck(-1);
        return outcome("unknown", "aborted");
      }
      if (performance.now() > options.deadline) {
        if (best < depth) recordStuck(-1);
        return outcome("unknown", "time limit");
      }
    }
    if (entry !== NIL && entry < n) {
      const i = entry;
      if (isRequired[i] !== pass) {
        // pass 1 takes required ops (1), pass 2 optional ones (0): skip the others.
        if (pass === 1 || isRequired[i] === 1) {
          entry = next[i]!;
          continue;
        }
      }
      const nextState = model.step(state, inputs[i]);
      if (nextState !== undefined) {
        bits[i >>> 5]! |= 1 << (i & 31);
        zob ^= zobrist[i]!;
        const nextLow = i === lowId ? firstClear(i) : lowId;
        const nextMax = i > maxId ? i : maxId;
        if (cacheAdd(nextState, zob ^ mix32(model.hash(nextState)), nextLow, nextMax)) {
          stackOps[depth] = i;
          stackStates[depth] = state;
          stackLow[depth] = lowId;
          stackMax[depth] = maxId;
          lowId = nextLow;
          maxId = nextMax;
          depth++;
          if (isRequired[i] === 1) remaining--;
          else optionalLeft--;
          state = nextState;
          lift(i);
          entry = next[head]!;
          pass = 1;
          continue;
        }
        bits[i >>> 5]! &= ~(1 << (i & 31));
        zob ^= zobrist[i]!;
      }
      entry = next[i]!;
      continue;
    }
    // A return (or the end of the list): its op had to be linearized by now.
    if (pass === 1 && optionalLeft > 0) {
      // Required candidates exhausted: now the optional ones before the same return.
      pass = 2;
      entry = next[head]!;
      continue;
    }
    // Every candidate failed: backtrack.
    if (depth > best) recordStuck(entry === NIL ? -1 : entry - n);
    if (depth === 0) return outcome(false);
    depth--;
    const i = stackOps[depth]!;
    state = stackStates[depth];
    stackStates[depth] = undefined;
    lowId = stackLow[depth]!;
    maxId = stackMax[depth]!;
    if (isRequired[i] === 1) remaining++;
    else optionalLeft++;
    bits[i >>> 5]! &= ~(1 << (i & 31));
    zob ^= zobrist[i]!;
    unlift(i);
    entry = next[i]!;
    pass = isRequired[i] === 1 ? 1 : 2;
  }
  return outcome(true);
}

function sameWords(
  arena: Uint32Array,
  offset: number,
  bits: Uint32Array,
  from: number,
  length: number,
): boolean {
  for (let w = 0; w < length; w++) if (arena[offset + w] !== bits[from + w]) return false;
  return true;
}
