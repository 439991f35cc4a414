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
 * probe costs one map lookup and, on a hit, one bitset comparison. A pair
 * is recorded when the search backtracks out of it (everything after it
 * failed), not when it is reached: the pruning is the same, and a valid
 * history that never backtracks records nothing.
 *
 * `info` ops have no return event (they complete at +infinity) and are not
 * required: they are linearized only where they help, which is exactly "may
 * have taken effect at any time after the call, or never".
 */
import { mix32 } from "../models/context.js";
import type { AnyModel, RegisterView } from "../models/types.js";
import { Bitset } from "./bitset.js";
import { SearchCache } from "./cache.js";
import { EventList, NIL } from "./events.js";
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

/** How often (in steps) the deadline and the abort signal are looked at. */
const CLOCK_EVERY_STEPS = 4096;
/** How many stuck ops a counterexample lists at most. */
const STUCK_MAX = 64;

/** What the search reads of a prepared op (a `PreparedOp` is one; workers receive only these fields). */
export type SearchOp = Pick<PreparedOp, "input" | "callAt" | "returnAt" | "required">;

type StopReason = "time limit" | "aborted";

/** What `tryLinearize` did. */
const REJECTED = 0;
const LINEARIZED = 1;
const KEPT_AND_EXPLORED = 2;
type Tried = typeof REJECTED | typeof LINEARIZED | typeof KEPT_AND_EXPLORED;

/** Search for a linearization of one partition's ops from `initial`; see the file comment. */
export function searchPartition(
  ops: readonly SearchOp[],
  model: AnyModel,
  initial: unknown,
  options: SearchOptions,
): SearchOutcome {
  return new PartitionSearch(ops, model, initial, options).run();
}

/**
 * One search's state. The walk (`run`) keeps its position in locals; what linearizing and backtracking
 * change lives here, in typed arrays where it is per op or per depth.
 */
class PartitionSearch {
  private readonly n: number;
  private readonly inputs: unknown[];
  /** 1 for a required op, 0 for an optional (`info`) one. */
  private readonly isRequired: Uint8Array;
  /** A fixed random word per op; the linearized set's hash is the XOR of its ops' words. */
  private readonly zobrist: Int32Array;
  private readonly events: EventList;
  private readonly bits: Bitset;
  private readonly cache: SearchCache;
  /** Per depth: the op linearized there and the state, smallest unlinearized and largest linearized op before it. */
  private readonly stackOps: Int32Array;
  private readonly stackStates: unknown[];
  private readonly stackLow: Int32Array;
  private readonly stackMax: Int32Array;
  /**
   * 1 for an op that never changes the state, whatever it is (the model's register view says it writes
   * nothing, or writes what it read: a read, a failed compare, a cas of a value to itself).
   */
  private readonly readOnly: Uint8Array;
  /**
   * Per op: its group of writing ops that step alike (same register view), when the group has two or
   * more; -1 otherwise. See `dominated`.
   */
  private readonly effect: Int32Array;
  /** Per op: `returnAt` (Infinity for an optional op). */
  private readonly returnAt: Float64Array;
  /** Per depth: 1 when the op linearized there is read-only (`readOnly`). */
  private readonly stackKept: Uint8Array;
  /** Per depth: 1 once the level with that many ops linearized was searched for a candidate that keeps the state. */
  private readonly levelScanned: Uint8Array;
  private depth = 0;
  private state: unknown;
  /** Smallest op not linearized, and largest linearized (-1 when none). */
  private lowId: number;
  private maxId = -1;
  /** Zobrist hash of the linearized set. */
  private zob = 0;
  /** Required ops not yet linearized, and optional ones. */
  private remaining = 0;
  private optionalLeft = 0;
  private steps = 0;
  /** The deepest point reported so far, and what the outcome reports about it. */
  private best = -1;
  /**
   * The deepest prefix, kept up to date incrementally: `stackOps` below `prefixFrom` still equals it (the
   * stack has not been popped below there since it was recorded), so recording a new deepest point copies
   * only the ops above `prefixFrom`. Copying the whole stack each time was quadratic on long valid
   * histories, where every new depth is a new deepest point.
   */
  private readonly bestPrefix: Int32Array;
  private prefixFrom = 0;
  private stuck: number[] = [];
  private stuckState: unknown;

  constructor(
    ops: readonly SearchOp[],
    private readonly model: AnyModel,
    initial: unknown,
    private readonly options: SearchOptions,
  ) {
    const n = ops.length;
    this.n = n;
    this.inputs = ops.map((op) => op.input);
    this.isRequired = new Uint8Array(n);
    this.zobrist = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      this.isRequired[i] = ops[i]!.required ? 1 : 0;
      if (this.isRequired[i] === 1) this.remaining++;
      else this.optionalLeft++;
      this.zobrist[i] = mix32(Math.imul(i + 1, 0x9e3779b9));
    }
    this.events = new EventList(ops);
    this.bits = new Bitset(n);
    this.cache = new SearchCache(model, options.maxCacheBytes);
    this.stackOps = new Int32Array(n);
    this.stackStates = new Array(n);
    this.stackLow = new Int32Array(n);
    this.stackMax = new Int32Array(n);
    this.stackKept = new Uint8Array(n);
    this.readOnly = new Uint8Array(n);
    this.effect = new Int32Array(n).fill(-1);
    this.returnAt = new Float64Array(n);
    if (model.registerView !== undefined) {
      // Ops that write, grouped by what they read and write: two of a group step alike from every state.
      // Most histories write each value once: only a value written twice is looked at further.
      const views: (RegisterView | undefined)[] = new Array(n);
      const writers = new Map<number, number>();
      for (let i = 0; i < n; i++) {
        const v = model.registerView(this.inputs[i]);
        if (v === undefined || v.writes === undefined || v.writes === v.reads) this.readOnly[i] = 1;
        else {
          views[i] = v;
          writers.set(v.writes, (writers.get(v.writes) ?? 0) + 1);
        }
      }
      const groups = new Map<string, number>();
      for (let i = 0; i < n; i++) {
        const v = views[i];
        if (v === undefined || v.writes === undefined || writers.get(v.writes)! < 2) continue;
        const name = `${v.key}:${v.reads ?? ""}:${v.writes}`;
        let id = groups.get(name);
        if (id === undefined) {
          id = groups.size;
          groups.set(name, id);
        }
        this.effect[i] = id;
      }
    }
    for (let i = 0; i < n; i++) this.returnAt[i] = ops[i]!.returnAt;
    this.levelScanned = new Uint8Array(n + 1);
    this.bestPrefix = new Int32Array(n);
    this.lowId = this.bits.firstClear(0);
    this.state = initial;
    this.stuckState = initial;
  }

  /**
   * The walk. Candidates are tried in two passes: required ops first (`pass` 1), then optional (`info`) ones
   * (`pass` 2). An info op linearized early only opens branches; trying it last finds linearizations of valid
   * histories sooner (etcd histories are full of timed-out writes), and exhausts the same candidates when
   * there are none.
   */
  run(): SearchOutcome {
    const next = this.events.next;
    const isRequired = this.isRequired;
    let entry = this.events.first();
    let pass = 1;
    while (this.remaining > 0) {
      if (++this.steps % CLOCK_EVERY_STEPS === 0) {
        const reason = this.stopReason();
        if (reason !== undefined) {
          if (this.best < this.depth) this.recordStuck(-1);
          return this.outcome("unknown", reason);
        }
      }
      if (entry !== NIL && entry < this.n) {
        const i = entry;
        // pass 1 takes required ops (1), pass 2 optional ones (0): skip the others.
        if (isRequired[i] !== pass && (pass === 1 || isRequired[i] === 1)) {
          entry = next[i]!;
        } else if (this.effect[i]! >= 0 && this.dominated(i)) {
          entry = next[i]!;
        } else {
          const tried = this.tryLinearize(i);
          if (tried === LINEARIZED) {
            entry = this.events.first();
            pass = 1;
          } else if (tried === KEPT_AND_EXPLORED) {
            // Every candidate here fails (see `tryLinearize`): on to the first return, and back.
            let e = next[i]!;
            while (e !== NIL && e < this.n) e = next[e]!;
            entry = e;
            pass = 2;
          } else {
            entry = next[i]!;
          }
        }
        continue;
      }
      // A return (or the end of the list): its op had to be linearized by now.
      if (pass === 1 && this.optionalLeft > 0) {
        // Required candidates exhausted: now the optional ones before the same return.
        pass = 2;
        entry = this.events.first();
        continue;
      }
      // Every candidate failed: backtrack.
      if (this.depth > this.best) this.recordStuck(entry === NIL ? -1 : entry - this.n);
      if (this.depth === 0) return this.outcome(false);
      let i = this.backtrack();
      // A read-only op need not be tried later instead: had the (set, state) it was linearized from any
      // linearization, moving that op to its front would give one from here (the op was a candidate, so
      // every op that must precede it is in the set; it changes no state, where it was or at the front).
      // Its failure is that (set, state)'s failure: backtrack past it too, without trying the candidates
      // after it. (An op that merely kept this state, a write of the value held, would not do: where it
      // stood in that linearization it may have changed another state.)
      while (this.stackKept[this.depth] === 1) {
        if (this.depth === 0) return this.outcome(false);
        i = this.backtrack();
      }
      // Back at a level whose first choice failed: if some candidate here is read-only and legal, it alone
      // decides the level (as above), so take it instead of trying the others one by one. Looked for once
      // per level, and only when the level is backtracked to: a search that never backtracks pays nothing.
      if (this.levelScanned[this.depth] === 0) {
        this.levelScanned[this.depth] = 1;
        const kept = this.linearizeKeptCandidate();
        if (kept === LINEARIZED) {
          entry = this.events.first();
          pass = 1;
          continue;
        }
        if (kept === KEPT_AND_EXPLORED) {
          let e = this.events.first();
          while (e !== NIL && e < this.n) e = next[e]!;
          entry = e;
          pass = 2;
          continue;
        }
      }
      entry = next[i]!;
      pass = isRequired[i] === 1 ? 1 : 2;
    }
    return this.outcome(true);
  }

  /**
   * Linearize op `i` next if the model accepts it and the resulting (set, state) is new: `LINEARIZED`.
   * `KEPT_AND_EXPLORED` when the op is read-only and legal here but that pair is known to fail: then the
   * current (set, state) fails too (see `run`), and no other candidate need be tried.
   */
  private tryLinearize(i: number): Tried {
    const nextState = this.model.step(this.state, this.inputs[i]);
    if (nextState === undefined) return REJECTED;
    this.bits.set(i);
    this.zob ^= this.zobrist[i]!;
    const nextLow = i === this.lowId ? this.bits.firstClear(i) : this.lowId;
    const nextMax = i > this.maxId ? i : this.maxId;
    const kept = this.readOnly[i] === 1;
    if (
      this.cache.has(this.bits, nextState, this.zob ^ mix32(this.model.hash(nextState)), nextLow, nextMax)
    ) {
      this.bits.clear(i);
      this.zob ^= this.zobrist[i]!;
      return kept ? KEPT_AND_EXPLORED : REJECTED;
    }
    const depth = this.depth++;
    this.stackOps[depth] = i;
    this.stackStates[depth] = this.state;
    this.stackLow[depth] = this.lowId;
    this.stackMax[depth] = this.maxId;
    this.stackKept[depth] = kept ? 1 : 0;
    this.levelScanned[depth + 1] = 0;
    this.lowId = nextLow;
    this.maxId = nextMax;
    if (this.isRequired[i] === 1) this.remaining--;
    else this.optionalLeft--;
    this.state = nextState;
    this.events.lift(i);
    return LINEARIZED;
  }

  /**
   * Undo the last linearized op and return it; the walk resumes after its call. The (set, state) being
   * left is recorded in the cache here, when everything after it has been tried and failed, not when it
   * was reached: that prunes exactly the same (a pair still on the stack cannot be reached again, as
   * the set only grows along a path), and a valid history that never backtracks records nothing.
   */
  private backtrack(): number {
    this.cache.add(
      this.bits,
      this.state,
      this.zob ^ mix32(this.model.hash(this.state)),
      this.lowId,
      this.maxId,
    );
    const depth = --this.depth;
    if (depth < this.prefixFrom) this.prefixFrom = depth;
    const i = this.stackOps[depth]!;
    this.state = this.stackStates[depth];
    this.stackStates[depth] = undefined;
    this.lowId = this.stackLow[depth]!;
    this.maxId = this.stackMax[depth]!;
    if (this.isRequired[i] === 1) this.remaining++;
    else this.optionalLeft++;
    this.bits.clear(i);
    this.zob ^= this.zobrist[i]!;
    this.events.unlift(i);
    return i;
  }

  /**
   * Whether candidate `i` need not be tried because another candidate here, `j`, steps alike and returns
   * no later (ties: the lower id): a linearization from here that takes `i` first gives one that takes `j`
   * first, by swapping the two (`j` may move to the front, being a candidate; `i` may take `j`'s place, as
   * whatever had to follow `i` had to follow `j`). So `j` is tried here, before or after, and decides.
   */
  private dominated(i: number): boolean {
    const next = this.events.next;
    const effect = this.effect[i]!;
    const returnAt = this.returnAt;
    const own = returnAt[i]!;
    for (let e = this.events.first(); e !== NIL && e < this.n; e = next[e]!) {
      if (e !== i && this.effect[e] === effect && (returnAt[e]! < own || (returnAt[e] === own && e < i)))
        return true;
    }
    return false;
  }

  /**
   * Linearize a read-only candidate legal here, if there is one: `LINEARIZED`, or `KEPT_AND_EXPLORED`
   * when its (set, state) is known to fail (so this level fails); `REJECTED` when there is none.
   */
  private linearizeKeptCandidate(): Tried {
    const next = this.events.next;
    const readOnly = this.readOnly;
    for (let e = this.events.first(); e !== NIL && e < this.n; e = next[e]!) {
      if (readOnly[e] === 0) continue;
      this.steps++;
      if (this.model.step(this.state, this.inputs[e]) !== undefined) return this.tryLinearize(e);
    }
    return REJECTED;
  }

  private stopReason(): StopReason | undefined {
    if (this.options.signal?.aborted || this.options.stopRequested?.()) return "aborted";
    if (performance.now() > this.options.deadline) return "time limit";
    return undefined;
  }

  /** Note the current depth as the deepest: its prefix, the candidates left (then `blocking`, if any), the state. */
  private recordStuck(blocking: number): void {
    this.best = this.depth;
    if (this.depth > this.prefixFrom)
      this.bestPrefix.set(this.stackOps.subarray(this.prefixFrom, this.depth), this.prefixFrom);
    this.prefixFrom = this.depth;
    const next = this.events.next;
    const stuck: number[] = [];
    for (let e = this.events.first(); e !== NIL && e < this.n && stuck.length < STUCK_MAX - 1; e = next[e]!) {
      if (e !== blocking) stuck.push(e);
    }
    if (blocking >= 0) stuck.push(blocking);
    this.stuck = stuck;
    this.stuckState = this.state;
  }

  private outcome(valid: boolean | "unknown", reason?: StopReason): SearchOutcome {
    return {
      valid,
      ...(reason ? { reason } : {}),
      steps: this.steps,
      peakCacheBytes: this.cache.bytes(),
      cacheEntries: this.cache.entries,
      cacheFull: this.cache.full,
      longestPrefix: this.bestPrefix.slice(0, Math.max(this.best, 0)),
      stuck: this.stuck,
      stuckState: this.stuckState,
    };
  }
}
