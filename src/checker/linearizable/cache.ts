/**
 * Lowe's cache for the linearizability search: the (linearized set, model
 * state) pairs already explored, so that none is explored twice.
 *
 * Each entry keeps only the window of the linearized set's bitset that is not
 * implied, from the word holding the smallest op not yet linearized (every op
 * below it is in the set) to the word holding the largest linearized op
 * (every op above it is out). That window is canonical (the set determines
 * it) and, in a long history, about as wide as the concurrency instead of the
 * whole history: a 100,000-op unpartitioned history stores a few words per
 * entry, not 3,125. Windows lie back to back in one arena, with an
 * open-addressing table of entry numbers, so recording a state allocates
 * nothing but the occasional doubling.
 *
 * The hash is the caller's (the search keeps a Zobrist hash of the set
 * incrementally and mixes in the model's hash of the state), so a probe costs
 * one table lookup and, on a hit, one window comparison and one `equal`.
 */
import type { AnyModel } from "../models/types.js";
import type { Bitset } from "./bitset.js";

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
/** An empty table slot. */
const EMPTY = -1;

function widen(old: Int32Array<ArrayBuffer>, length: number): Int32Array<ArrayBuffer> {
  const wider = new Int32Array(length);
  wider.set(old);
  return wider;
}

export class SearchCache {
  /** Entries recorded. */
  entries = 0;
  /** True once the cap was reached: from then on `add` records nothing and the search runs uncached. */
  full = false;
  private capacity = INITIAL_ENTRIES;
  private arena = new Uint32Array(INITIAL_ARENA_WORDS);
  private arenaUsed = 0;
  private entryHash = new Int32Array(INITIAL_ENTRIES);
  private entryOffset = new Int32Array(INITIAL_ENTRIES);
  private entryLowWord = new Int32Array(INITIAL_ENTRIES);
  private entryLength = new Int32Array(INITIAL_ENTRIES);
  private readonly entryState: unknown[] = [];
  private tableMask = INITIAL_ENTRIES * 2 - 1;
  private table = new Int32Array(INITIAL_ENTRIES * 2).fill(EMPTY);

  /**
   * @param model whose `equal` is asked only when hash and window already match.
   * @param maxBytes cap on the estimated size (`bytes()`); beyond it the cache stops growing.
   */
  constructor(
    private readonly model: Pick<AnyModel, "equal">,
    private readonly maxBytes: number,
  ) {}

  /** Estimated size: the arena and the per-entry overhead of the current capacity. */
  bytes(): number {
    return this.arena.byteLength + this.capacity * ENTRY_OVERHEAD_BYTES;
  }

  /**
   * Whether `(bits, state)` is recorded under `hash`. `lowId` is the smallest op not in the set and
   * `maxId` the largest in it.
   */
  has(bits: Bitset, state: unknown, hash: number, lowId: number, maxId: number): boolean {
    const lowWord = lowId >>> 5;
    const length = Math.max(lowWord, maxId >>> 5) - lowWord + 1;
    // The probe is the search's hottest loop: the fields it reads are read once, into locals.
    const table = this.table;
    const tableMask = this.tableMask;
    const entryHash = this.entryHash;
    let slot = hash & tableMask;
    for (;;) {
      const e = table[slot]!;
      if (e === EMPTY) return false;
      if (
        entryHash[e] === hash &&
        this.entryLowWord[e] === lowWord &&
        this.entryLength[e] === length &&
        bits.sameWords(lowWord, this.arena, this.entryOffset[e]!, length) &&
        this.model.equal(this.entryState[e], state)
      )
        return true;
      slot = (slot + 1) & tableMask;
    }
  }

  /**
   * Record `(bits, state)` under `hash`, which `has` said is not there. When the cache is full, nothing
   * is recorded (the search goes on uncached).
   */
  add(bits: Bitset, state: unknown, hash: number, lowId: number, maxId: number): void {
    if (this.full) return;
    const lowWord = lowId >>> 5;
    const length = Math.max(lowWord, maxId >>> 5) - lowWord + 1;
    if (this.arenaUsed + length > this.arena.length || this.entries >= this.capacity) {
      if (!this.grow(length)) return;
    }
    const e = this.entries++;
    const arena = this.arena;
    const words = bits.words;
    const offset = this.arenaUsed;
    for (let w = 0; w < length; w++) arena[offset + w] = words[lowWord + w]!;
    this.entryOffset[e] = offset;
    this.arenaUsed += length;
    this.entryLowWord[e] = lowWord;
    this.entryLength[e] = length;
    this.entryHash[e] = hash;
    this.entryState.push(state);
    this.table[this.freeSlot(hash)] = e;
  }

  /** Make room for one more entry of `length` words; false (and `full`) when that would pass the cap. */
  private grow(length: number): boolean {
    const arenaWords =
      this.arenaUsed + length > this.arena.length ? this.arena.length * 2 + length : this.arena.length;
    const entryWords = this.entries >= this.capacity ? this.capacity * 2 : this.capacity;
    if (arenaWords * 4 + entryWords * ENTRY_OVERHEAD_BYTES > this.maxBytes) {
      this.full = true;
      return false;
    }
    if (arenaWords !== this.arena.length) {
      const wider = new Uint32Array(arenaWords);
      wider.set(this.arena.subarray(0, this.arenaUsed));
      this.arena = wider;
    }
    if (entryWords !== this.capacity) this.growEntries();
    return true;
  }

  private growEntries(): void {
    const capacity = this.capacity * 2;
    this.entryHash = widen(this.entryHash, capacity);
    this.entryOffset = widen(this.entryOffset, capacity);
    this.entryLowWord = widen(this.entryLowWord, capacity);
    this.entryLength = widen(this.entryLength, capacity);
    this.capacity = capacity;
    // The table stays a power of two twice the entries, so probing always finds a free slot.
    this.tableMask = capacity * 2 - 1;
    this.table = new Int32Array(capacity * 2).fill(EMPTY);
    for (let e = 0; e < this.entries; e++) this.table[this.freeSlot(this.entryHash[e]!)] = e;
  }

  /** The first empty slot on `hash`'s probe path. */
  private freeSlot(hash: number): number {
    let slot = hash & this.tableMask;
    while (this.table[slot] !== EMPTY) slot = (slot + 1) & this.tableMask;
    return slot;
  }
}
