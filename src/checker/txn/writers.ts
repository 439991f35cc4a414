/**
 * Who appended (or wrote) each value of each key: an open-addressing hash
 * table over (key id, value id) pairs in typed arrays, plus, per key, the
 * list of its writes (compressed sparse rows, built by `seal`). Off the
 * JavaScript heap on purpose: a million-transaction history has millions of
 * writes, and as Map entries they made the garbage collector trace them on
 * every major collection, beside the history itself.
 */
import { type Arena, NO_ARENA } from "./arena.js";
import { GrowableInt32 } from "./graph.js";

export class WriteIndex {
  /**
   * Slot i is `slots[3i .. 3i+2]` = key id (-1: empty), value id, write id:
   * interleaved so that a probe touches one cache line, not three arrays
   * (the table is far larger than the cache, and every lookup misses).
   */
  private slots: Int32Array;
  private mask: number;
  private used = 0;
  /** Per write: key id, value id, writer (transaction id), and 1 when its writer wrote the key again later. */
  readonly key: GrowableInt32;
  readonly value: GrowableInt32;
  readonly writer: GrowableInt32;
  readonly intermediate: GrowableInt32;
  private offsets: Int32Array | undefined;
  private byKey: Int32Array | undefined;

  constructor(capacity = 1024, arena: Arena = NO_ARENA) {
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.slots = emptySlots(size, arena);
    this.mask = size - 1;
    this.key = new GrowableInt32(capacity, arena);
    this.value = new GrowableInt32(capacity, arena);
    this.writer = new GrowableInt32(capacity, arena);
    this.intermediate = new GrowableInt32(capacity, arena);
  }

  /** The write of `value` to `key`, or -1. */
  find(key: number, value: number): number {
    const slots = this.slots;
    let slot = hash(key, value) & this.mask;
    for (;;) {
      const at = slot * 3;
      const k = slots[at]!;
      if (k === -1) return -1;
      if (k === key && slots[at + 1] === value) return slots[at + 2]!;
      slot = (slot + 1) & this.mask;
    }
  }

  /** The writer (transaction id) of `value` on `key`, or undefined. */
  writerOf(key: number, value: number): number | undefined {
    const write = this.find(key, value);
    return write === -1 ? undefined : this.writer.data[write];
  }

  isIntermediate(key: number, value: number): boolean {
    const write = this.find(key, value);
    return write !== -1 && this.intermediate.data[write] === 1;
  }

  /** Record a write; returns the earlier write of the same pair when there is one (and records nothing). */
  add(key: number, value: number, writer: number, intermediate: boolean): number {
    const existing = this.find(key, value);
    if (existing !== -1) return existing;
    if ((this.used + 1) * 2 > this.mask + 1) this.grow();
    const write = this.key.length;
    this.key.push(key);
    this.value.push(value);
    this.writer.push(writer);
    this.intermediate.push(intermediate ? 1 : 0);
    this.insert(key, value, write);
    return -1;
  }

  /** Group writes by key; call once every write is in. */
  seal(keyCount: number): void {
    const offsets = new Int32Array(keyCount + 1);
    const keys = this.key.data;
    const count = this.key.length;
    for (let w = 0; w < count; w++) offsets[keys[w]! + 1]!++;
    for (let k = 0; k < keyCount; k++) offsets[k + 1]! += offsets[k]!;
    const fill = offsets.slice(0, keyCount);
    const byKey = new Int32Array(count);
    for (let w = 0; w < count; w++) byKey[fill[keys[w]!]!++] = w;
    this.offsets = offsets;
    this.byKey = byKey;
  }

  /** Number of writes to `key`. */
  countOf(key: number): number {
    return this.offsets![key + 1]! - this.offsets![key]!;
  }

  /** Write ids of `key` (after `seal`). */
  writesOf(key: number): Int32Array {
    return this.byKey!.subarray(this.offsets![key]!, this.offsets![key + 1]!);
  }

  private insert(key: number, value: number, write: number): void {
    const slots = this.slots;
    let slot = hash(key, value) & this.mask;
    while (slots[slot * 3] !== -1) slot = (slot + 1) & this.mask;
    slots[slot * 3] = key;
    slots[slot * 3 + 1] = value;
    slots[slot * 3 + 2] = write;
    this.used++;
  }

  private grow(): void {
    const size = (this.mask + 1) * 2;
    this.slots = emptySlots(size, NO_ARENA);
    this.mask = size - 1;
    this.used = 0;
    for (let w = 0; w < this.key.length; w++) this.insert(this.key.data[w]!, this.value.data[w]!, w);
  }
}

/** `size` slots, every one empty (key -1). */
function emptySlots(size: number, arena: Arena): Int32Array {
  const slots = arena.int32(size * 3);
  for (let at = 0; at < slots.length; at += 3) slots[at] = -1;
  return slots;
}

const hash = (key: number, value: number): number =>
  (Math.imul(key, 0x9e3779b1) ^ Math.imul(value + 0x632be5ab, 0x85ebca77)) >>> 0;
