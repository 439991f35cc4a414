/**
 * The set of linearized ops, one bit per partition-local op id, kept apart
 * from the search as Porcupine keeps `bitset.go`. The search sets and clears
 * bits as it linearizes and backtracks; the cache stores windows of `words`.
 *
 * Words are 32 bits (a `Uint32Array`), so bit arithmetic stays in V8's small
 * integers: op `i` is bit `i & 31` of word `i >>> 5`.
 */
export class Bitset {
  /** The words, lowest ops first. Read by the cache; written only through `set` and `clear`. */
  readonly words: Uint32Array;
  /** How many bits (ops) the set holds; ids are `0 .. size - 1`. */
  readonly size: number;
  /** `words.length`, kept as a field because `firstClear` reads it on every call. */
  private readonly wordCount: number;

  constructor(size: number) {
    this.size = size;
    this.wordCount = (size + 31) >>> 5;
    this.words = new Uint32Array(this.wordCount);
  }

  set(id: number): void {
    this.words[id >>> 5]! |= 1 << (id & 31);
  }

  clear(id: number): void {
    this.words[id >>> 5]! &= ~(1 << (id & 31));
  }

  /** Smallest id at or after `from` whose bit is clear (`size` when none). */
  firstClear(from: number): number {
    let w = from >>> 5;
    if (w >= this.wordCount) return this.size;
    const below = from & 31;
    let x = ~(this.words[w]! | (below === 0 ? 0 : (1 << below) - 1));
    while (x === 0) {
      if (++w >= this.wordCount) return this.size;
      x = ~this.words[w]!;
    }
    const id = (w << 5) + (31 - Math.clz32(x & -x));
    return id < this.size ? id : this.size;
  }

  /** True when `length` words of this set from word `from` equal `other[offset ..]`. */
  sameWords(from: number, other: Uint32Array, offset: number, length: number): boolean {
    for (let w = 0; w < length; w++) if (other[offset + w] !== this.words[from + w]) return false;
    return true;
  }
}
