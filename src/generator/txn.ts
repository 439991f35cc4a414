/**
 * Transactions for the list-append and read-write-register workloads, in the
 * way Jepsen's `elle.list-append/gen` makes them:
 *
 *   stagger(10, listAppendTxns())     // {f: "txn", value: [["append", 3, 1], ["r", 5, null]]}
 *   stagger(10, rwRegisterTxns())     // {f: "txn", value: [["w", 2, 1], ["r", 2, null]]}
 *
 * Each transaction has `minLength`–`maxLength` micro-ops (default 1–5), each
 * a read (`["r", k, null]`, probability `readFraction`, default ½) or a write
 * of a key drawn from a window of `activeKeys` keys (default 10). Values are
 * unique per key (1, 2, 3, ... for each key), which is what lets a checker
 * infer who read from whom. A key that has taken `maxWritesPerKey` writes
 * (default 32) leaves the window and the next fresh key takes its place: the
 * window moves, so every key's history stays short (the checker's work per
 * key stays bounded) while the ops keep overlapping on a few hot keys.
 *
 * Randomness comes from `ctx.random` only, so a seed replays the same
 * transactions in the same order of requests.
 */
import type { Op } from "../history/op.js";
import { fillIn } from "./lift.js";
import type { GenContext, Generator, Step } from "./types.js";

export interface TxnGeneratorOptions {
  /** Keys in the window at any time. Default 10. */
  activeKeys?: number;
  /** Micro-ops per transaction, at least. Default 1. */
  minLength?: number;
  /** Micro-ops per transaction, at most. Default 5. */
  maxLength?: number;
  /** Writes a key takes before it leaves the window. Default 32. */
  maxWritesPerKey?: number;
  /** Chance that a micro-op is a read. Default 0.5. */
  readFraction?: number;
}

/** A micro-op as generated: `[f, key, value]`. */
export type TxnMicroOp = [string, number, number | null];

/** The transaction generator; it also tells the keys now in its window (for final reads of the live keys). */
export interface TxnGenerator extends Generator {
  activeKeys(): number[];
}

interface Settings {
  writeF: "append" | "w";
  minLength: number;
  maxLength: number;
  maxWritesPerKey: number;
  readFraction: number;
}

/** What the generators of one chain share: the window as of the last transaction actually invoked. */
interface Tracker {
  window: readonly number[];
}

/**
 * Pure: `op` returns the transaction and the generator that comes after it
 * (with the window and per-key counts advanced), never changing itself, so
 * an op the runner asks for and then does not take leaves no trace. Only
 * `update`, which hears of ops really invoked, writes the shared tracker
 * that `activeKeys()` reads.
 */
class Txns implements TxnGenerator {
  constructor(
    private readonly tracker: Tracker,
    private readonly settings: Settings,
    private readonly window: readonly number[],
    private readonly nextKey: number,
    private readonly writes: ReadonlyMap<number, number>,
  ) {}

  op(ctx: GenContext): Step {
    if (ctx.freeWorkers.length === 0) return { op: "pending", next: this };
    const { writeF, minLength, maxLength, maxWritesPerKey, readFraction } = this.settings;
    const window = [...this.window];
    const writes = new Map(this.writes);
    let nextKey = this.nextKey;
    const length = ctx.random.int(minLength, maxLength);
    const value: TxnMicroOp[] = [];
    for (let i = 0; i < length; i++) {
      const slot = ctx.random.int(0, window.length - 1);
      const key = window[slot]!;
      if (ctx.random.float() < readFraction) {
        value.push(["r", key, null]);
        continue;
      }
      const written = (writes.get(key) ?? 0) + 1;
      value.push([writeF, key, written]);
      if (written >= maxWritesPerKey) {
        writes.delete(key);
        window[slot] = nextKey++;
      } else writes.set(key, written);
    }
    const op = fillIn({ f: "txn", value }, ctx);
    if (op === "pending") return { op, next: this };
    return { op, next: new Txns(this.tracker, this.settings, window, nextKey, writes) };
  }

  update(_ctx: GenContext, event: Op): Generator {
    // After the runner took an op, it holds the generator that follows it: its window is the live one.
    if (event.type === "invoke" && event.f === "txn") this.tracker.window = this.window;
    return this;
  }

  activeKeys(): number[] {
    return [...this.tracker.window].sort((a, b) => a - b);
  }
}

function txnGenerator(writeF: "append" | "w", options: TxnGeneratorOptions): TxnGenerator {
  const activeKeys = options.activeKeys ?? 10;
  const minLength = options.minLength ?? 1;
  const maxLength = options.maxLength ?? 5;
  const maxWritesPerKey = options.maxWritesPerKey ?? 32;
  const readFraction = options.readFraction ?? 0.5;
  if (!(Number.isSafeInteger(activeKeys) && activeKeys >= 1))
    throw new RangeError("activeKeys must be 1 or more");
  if (
    !(
      Number.isSafeInteger(minLength) &&
      minLength >= 1 &&
      Number.isSafeInteger(maxLength) &&
      maxLength >= minLength
    )
  )
    throw new RangeError("need 1 <= minLength <= maxLength");
  if (!(Number.isSafeInteger(maxWritesPerKey) && maxWritesPerKey >= 1))
    throw new RangeError("maxWritesPerKey must be 1 or more");
  if (!(readFraction >= 0 && readFraction <= 1)) throw new RangeError("readFraction must be within [0, 1]");
  const window = Array.from({ length: activeKeys }, (_, i) => i);
  return new Txns(
    { window },
    { writeF, minLength, maxLength, maxWritesPerKey, readFraction },
    window,
    activeKeys,
    new Map(),
  );
}

/** List-append transactions: `["append", k, v]` and `["r", k, null]`. */
export function listAppendTxns(options: TxnGeneratorOptions = {}): TxnGenerator {
  return txnGenerator("append", options);
}

/** Read-write-register transactions: `["w", k, v]` and `["r", k, null]`. */
export function rwRegisterTxns(options: TxnGeneratorOptions = {}): TxnGenerator {
  return txnGenerator("w", options);
}
