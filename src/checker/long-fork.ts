/**
 * Long fork: Jepsen's test for a snapshot-isolation anomaly that parallel
 * snapshot isolation allows. Keys come in groups of `groupSize`; each key is
 * written once (an insert, `["w", k, v]`), and reads read a whole group in one
 * transaction (`[["r", k1, v1], ["r", k2, v2], ...]`, `null` = not written
 * yet). Ops are transactions (`f: "txn"`, or any `f` whose value is such a
 * list of micro-ops).
 *
 * Under snapshot isolation the inserts are totally ordered, so the reads of
 * one group, each a set of keys seen, form a chain: of any two reads, one
 * saw everything the other saw. Two reads that each saw an insert the other
 * missed (`T1 saw x but not y, T2 saw y but not x`) observed the inserts in
 * different orders: a **long fork**, invalid.
 *
 * Finding one is cheap: sort a group's reads by how many keys they saw; the
 * reads form a chain exactly when each is a subset of the next, and a pair
 * of neighbours where that fails is a fork (the smaller saw a key the larger
 * missed, and the larger saw more). Every break in the chain is found this
 * way; Jepsen compares all pairs, so its fork count may be larger, the
 * verdict is the same.
 *
 * As Jepsen's checker does, a history that breaks the workload's premise is
 * `unknown`: a key written twice (the inserts' order could then not be read
 * off), two reads that saw different values for one key, and (with
 * `groupSize`) a read that does not cover one whole group of that size;
 * without `groupSize`, reads are grouped by the keys they read. Unlike
 * Jepsen, no read of two or more keys is no evidence: `unknown`, not valid.
 * Reads of keys nobody was seen writing are counted (`unwrittenReads`, e.g.
 * a history cut short) but do not change the verdict, as in Jepsen.
 */
import type { Op } from "../history/op.js";
import { canonicalJson } from "../history/values.js";
import type { Checker, CheckResult } from "./types.js";

export interface LongForkOptions {
  /** Keys per group (Jepsen's `--group-size`, default there 3). Default: inferred from the reads. */
  groupSize?: number;
}

export interface LongFork {
  /** The keys of the group. */
  keys: unknown[];
  /** Completion indices of the two reads. */
  reads: [number, number];
  /** In words. */
  explanation: string;
}

interface Read {
  index: number;
  keys: string[];
  seen: Set<string>;
  /** Key → the value read (canonical JSON), for keys seen. */
  values: Map<string, string>;
}

/** Forks kept in the result, at most (the count is exact). */
const FORKS_KEPT_MAX = 100;

type Micro = [string, unknown, unknown];

function microOps(value: unknown): Micro[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  for (const micro of value)
    if (!Array.isArray(micro) || micro.length !== 3 || (micro[0] !== "r" && micro[0] !== "w"))
      return undefined;
  return value as Micro[];
}

export function longFork(options: LongForkOptions = {}): Checker {
  const groupSize = options.groupSize;
  if (groupSize !== undefined && !(Number.isSafeInteger(groupSize) && groupSize >= 2))
    throw new RangeError(`longFork: groupSize must be an integer of 2 or more, got ${groupSize}`);
  return {
    name: "long-fork",
    check(history): CheckResult {
      const written = new Set<string>();
      const reads: Read[] = [];
      for (const op of history) {
        if (op.process === "nemesis") continue;
        const micros = microOps(op.value);
        if (op.type === "invoke") {
          for (const [f, k] of micros ?? []) {
            if (f !== "w") continue;
            const key = canonicalJson(k);
            if (written.has(key))
              return {
                valid: "unknown",
                explanation: `key ${key} is written more than once (again at op ${op.index}): the long-fork checker needs one insert per key`,
              };
            written.add(key);
          }
          continue;
        }
        if (op.type !== "ok" || !micros || !micros.every(([f]) => f === "r")) continue;
        const read = readOf(op, micros);
        if (groupSize !== undefined && read.keys.length !== groupSize) {
          return {
            valid: "unknown",
            explanation: `read at op ${op.index} covers ${read.keys.length} keys, but the group size is ${groupSize}: not a long-fork history, or the wrong --group-size`,
          };
        }
        if (read.keys.length >= 2) reads.push(read);
      }
      if (reads.length === 0)
        return {
          valid: "unknown",
          explanation: "no successful read of two or more keys: nothing to compare",
        };
      const unwritten: { index: number; key: unknown }[] = [];
      for (const read of reads)
        for (const key of read.seen)
          if (!written.has(key)) unwritten.push({ index: read.index, key: JSON.parse(key) });
      const valueSeen = new Map<string, { value: string; index: number }>();
      for (const read of reads)
        for (const [key, value] of read.values) {
          const before = valueSeen.get(key);
          if (before === undefined) valueSeen.set(key, { value, index: read.index });
          else if (before.value !== value)
            return {
              valid: "unknown",
              explanation: `key ${key} read as ${before.value} at op ${before.index} and as ${value} at op ${read.index}: the long-fork checker needs one write per key`,
            };
        }
      const groups = new Map<string, Read[]>();
      for (const read of reads) {
        const id = read.keys.join("\u0000");
        const group = groups.get(id);
        if (group) group.push(read);
        else groups.set(id, [read]);
      }
      const forks: LongFork[] = [];
      let forkCount = 0;
      for (const group of groups.values()) {
        group.sort((a, b) => a.seen.size - b.seen.size || a.index - b.index);
        for (let i = 0; i + 1 < group.length; i++) {
          const a = group[i]!;
          const b = group[i + 1]!;
          const onlyA = [...a.seen].find((k) => !b.seen.has(k));
          if (onlyA === undefined) continue;
          forkCount++;
          if (forks.length >= FORKS_KEPT_MAX) continue;
          const onlyB = [...b.seen].find((k) => !a.seen.has(k))!;
          forks.push({
            keys: a.keys.map((k) => JSON.parse(k) as unknown),
            reads: [a.index, b.index],
            explanation: `op ${a.index} saw key ${onlyA} but not ${onlyB}, while op ${b.index} saw ${onlyB} but not ${onlyA}: the two reads saw the inserts in different orders`,
          });
        }
      }
      return {
        valid: forkCount === 0,
        readCount: reads.length,
        groupCount: groups.size,
        forkCount,
        forks,
        unwrittenReadCount: unwritten.length,
        unwrittenReads: unwritten.slice(0, FORKS_KEPT_MAX),
        ...(forkCount > 0 && { explanation: `${forkCount} long forks; first: ${forks[0]!.explanation}` }),
      };
    },
  };
}

function readOf(op: Op, micros: readonly Micro[]): Read {
  const keys = new Set<string>();
  const seen = new Set<string>();
  const values = new Map<string, string>();
  for (const [, k, v] of micros) {
    const key = canonicalJson(k);
    keys.add(key);
    if (v !== null && v !== undefined) {
      seen.add(key);
      values.set(key, canonicalJson(v));
    }
  }
  return { index: op.index, keys: [...keys].sort(), seen, values };
}
