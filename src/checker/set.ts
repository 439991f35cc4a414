/**
 * Set: clients `add` elements (value = the element) and `read` the whole set
 * (value = array of elements). The judged reads are the final reads: every
 * successful read invoked after the last add was invoked — all of them, on
 * whichever node (replica) served them, since two replicas may disagree. When
 * no read came after the last add, the last successful read of each node is
 * judged instead. Against each judged read:
 * - lost: adds acknowledged ok before the read began but missing from it →
 *   invalid (an add acknowledged while the read ran may or may not be in it);
 * - unexpected: elements read that no one ever tried to add → invalid;
 * - recovered: adds with unknown outcome (info) that did make it (fine).
 *
 * Elements are compared by their JSON text, so `5` and `"5"` differ. A read
 * that returns strings where numbers were added (Redis's SMEMBERS does) is
 * not a lost-data bug but a client that did not convert: that is said in
 * words, as unknown, instead of calling every add lost.
 */
import type { Op } from "../history/op.js";
import { canonicalJson } from "../history/values.js";
import type { Checker, CheckResult } from "./types.js";

/** Elements compare by value: objects with the same fields in another order are one element. */
const keyOf = (value: unknown): string => canonicalJson(value);

/** One judged read's findings. */
export interface SetReadResult {
  index: number;
  node: string | undefined;
  size: number;
  lost: unknown[];
  unexpected: unknown[];
}

interface Collected {
  attempted: Set<string>;
  /** Element → the history index at which its add was first acknowledged. */
  acknowledgedAt: Map<string, number>;
  lastAddInvokedAt: number;
  /** Successful reads with the index of their invocation. */
  reads: { op: Op; invokedAt: number }[];
  notArray: Op | undefined;
}

function collect(history: readonly Op[]): Collected {
  const collected: Collected = {
    attempted: new Set(),
    acknowledgedAt: new Map(),
    lastAddInvokedAt: -1,
    reads: [],
    notArray: undefined,
  };
  const readInvokedAt = new Map<unknown, number>();
  for (const op of history) {
    if (op.process === "nemesis") continue;
    if (op.f === "add") {
      const element = keyOf(op.value);
      if (op.type === "invoke") {
        collected.attempted.add(element);
        collected.lastAddInvokedAt = op.index;
      } else if (op.type === "ok" && !collected.acknowledgedAt.has(element))
        collected.acknowledgedAt.set(element, op.index);
    } else if (op.f === "read" && op.type === "invoke") {
      readInvokedAt.set(op.process, op.index);
    } else if (op.f === "read" && op.type === "ok") {
      if (!Array.isArray(op.value)) {
        collected.notArray ??= op;
        continue;
      }
      collected.reads.push({ op, invokedAt: readInvokedAt.get(op.process) ?? op.index });
    }
  }
  return collected;
}

/** The final reads, or else the last successful read of each node. */
function judgedReads(collected: Collected): Collected["reads"] {
  const final = collected.reads.filter((read) => read.invokedAt > collected.lastAddInvokedAt);
  if (final.length > 0) return final;
  const lastByNode = new Map<string | undefined, Collected["reads"][number]>();
  for (const read of collected.reads) lastByNode.set(read.op.node, read);
  return [...lastByNode.values()].sort((a, b) => a.op.index - b.op.index);
}

/** `"5"` read where `5` was added (or the reverse): a client that did not convert types. */
function typeMismatch(collected: Collected, readElements: Iterable<string>): string | undefined {
  for (const element of readElements) {
    if (collected.attempted.has(element)) continue;
    const value = JSON.parse(element) as unknown;
    const other =
      typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))
        ? keyOf(Number(value))
        : typeof value === "number"
          ? keyOf(String(value))
          : undefined;
    if (other !== undefined && collected.attempted.has(other)) {
      return typeof value === "string"
        ? `reads return strings (e.g. ${element}) where numbers were added (${other}): the client must convert what it reads to the type it adds`
        : `reads return numbers (e.g. ${element}) where strings were added (${other}): the client must convert what it reads to the type it adds`;
    }
  }
  return undefined;
}

function judge(collected: Collected, read: Collected["reads"][number]): SetReadResult {
  const elements = new Set((read.op.value as unknown[]).map(keyOf));
  const lost: unknown[] = [];
  for (const [element, acknowledgedAt] of collected.acknowledgedAt) {
    // Only adds acknowledged before the read began must be in it.
    if (acknowledgedAt < read.invokedAt && !elements.has(element)) lost.push(JSON.parse(element));
  }
  const unexpected = [...elements]
    .filter((element) => !collected.attempted.has(element))
    .map((e) => JSON.parse(e));
  return { index: read.op.index, node: read.op.node, size: elements.size, lost, unexpected };
}

const sample = (values: readonly unknown[]): string =>
  values
    .slice(0, 5)
    .map((value) => keyOf(value))
    .join(", ");

function words(result: SetReadResult): string {
  const where = `read (op ${result.index}${result.node === undefined ? "" : ` on ${result.node}`})`;
  const problems: string[] = [];
  if (result.lost.length)
    problems.push(`${result.lost.length} acknowledged adds were lost (e.g. ${sample(result.lost)})`);
  if (result.unexpected.length)
    problems.push(
      `${result.unexpected.length} elements were read that no one added (e.g. ${sample(result.unexpected)})`,
    );
  return `${where}: ${problems.join("; ")}`;
}

export function setChecker(): Checker {
  return {
    name: "set",
    check(history): CheckResult {
      const collected = collect(history);
      if (collected.notArray) {
        return {
          valid: "unknown",
          explanation: `read at op ${collected.notArray.index} returned ${keyOf(collected.notArray.value)}, not an array`,
        };
      }
      const reads = judgedReads(collected);
      if (reads.length === 0) {
        return {
          valid: "unknown",
          explanation: "no successful read of the set, so nothing can be said about it",
        };
      }
      const mismatch = typeMismatch(
        collected,
        reads.flatMap((read) => (read.op.value as unknown[]).map(keyOf)),
      );
      if (mismatch) return { valid: "unknown", typeMismatch: true, explanation: mismatch };
      const results = reads.map((read) => judge(collected, read));
      const bad = results.filter((result) => result.lost.length || result.unexpected.length);
      const union = (pick: (result: SetReadResult) => unknown[]): unknown[] => [
        ...new Map(results.flatMap(pick).map((value) => [keyOf(value), value])).values(),
      ];
      const last = results[results.length - 1]!;
      const lastElements = new Set((reads[reads.length - 1]!.op.value as unknown[]).map(keyOf));
      const acknowledged = new Set(collected.acknowledgedAt.keys());
      return {
        valid: bad.length === 0,
        attemptedCount: collected.attempted.size,
        acknowledgedCount: acknowledged.size,
        readCount: last.size,
        finalReadIndex: last.index,
        reads: results,
        lost: union((result) => result.lost),
        unexpected: union((result) => result.unexpected),
        recoveredCount: [...lastElements].filter((e) => collected.attempted.has(e) && !acknowledged.has(e))
          .length,
        highlights: bad.map((result) => ({
          index: result.index,
          label: `final read: ${[
            result.lost.length ? `${result.lost.length} acknowledged adds missing` : "",
            result.unexpected.length ? `${result.unexpected.length} never added` : "",
          ]
            .filter(Boolean)
            .join(", ")}`,
        })),
        ...(bad.length > 0 && {
          explanation: `${bad.length} of ${results.length} final reads disagree with the adds: ${bad.map(words).join("; ")}`,
        }),
      };
    },
  };
}
