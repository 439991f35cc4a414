/**
 * One block of memory for a check's large typed arrays, handed out front to
 * back and freed all at once when the check's result no longer needs it.
 *
 * Why: V8 answers each sizeable new ArrayBuffer with a full collection once
 * external memory grows past a soft limit (about 64 MiB over what the last
 * full collection saw), and a full collection traces the whole heap — the
 * history under check included. A million-transaction check allocated some
 * 400 MiB of typed arrays in a few dozen buffers and paid four to six full
 * collections of a 900 MiB heap, half its CPU time. One buffer costs one.
 *
 * The block is sized generously (`bytesPerOp` per history op): untouched
 * pages of a fresh buffer are zero-filled lazily by the system, so reserving
 * more than is used costs address space, not resident memory. A request that
 * no longer fits gets an ordinary array of its own. Arrays from the arena
 * start zeroed, like ordinary ones, since no space is ever handed out twice.
 */

/** Reserved per history op: an upper bound on what the list-append check uses (about 200 bytes). */
const BYTES_PER_OP = 256;
/** At most this much in one block; beyond it, arrays are allocated one by one. */
const ARENA_BYTES_MAX = 1536 * 2 ** 20;

export class Arena {
  private readonly buffer: ArrayBuffer;
  private used = 0;

  constructor(bytes: number) {
    this.buffer = new ArrayBuffer(Math.max(0, Math.min(ARENA_BYTES_MAX, Math.ceil(bytes / 8) * 8)));
  }

  /** An arena for checking a history of `opCount` ops. */
  static forHistory(opCount: number): Arena {
    return new Arena(opCount * BYTES_PER_OP);
  }

  int32(length: number): Int32Array {
    const at = this.take(length * 4);
    return at === -1 ? new Int32Array(length) : new Int32Array(this.buffer, at, length);
  }

  uint8(length: number): Uint8Array {
    const at = this.take(length);
    return at === -1 ? new Uint8Array(length) : new Uint8Array(this.buffer, at, length);
  }

  float64(length: number): Float64Array {
    const at = this.take(length * 8);
    return at === -1 ? new Float64Array(length) : new Float64Array(this.buffer, at, length);
  }

  /** Offset of `bytes` more (8-byte aligned), or -1 when they do not fit. */
  private take(bytes: number): number {
    const size = Math.ceil(bytes / 8) * 8;
    if (this.used + size > this.buffer.byteLength) return -1;
    const at = this.used;
    this.used += size;
    return at;
  }
}

/** Ordinary allocation, for callers without an arena. */
export const NO_ARENA: Arena = new Arena(0);
