/**
 * Set-full: Jepsen's thorough set analysis. Clients `add` elements and `read`
 * the whole set many times during the run (not only at the end). For every
 * element that someone tried to add, the checker follows it through time:
 *
 * - **known**: the earliest moment it certainly existed: its add completed
 *   ok, or a read that saw it completed, whichever came first;
 * - then, over the reads that *began after* it was known (earlier reads may
 *   rightly miss it): the last read that saw it and the last that did not.
 *
 * Each element ends up in one outcome:
 *
 * - **stable**: seen by the last such read (every later read is no absence):
 *   its stable latency is how long after it was known the last read that
 *   missed it began (0 when none did);
 * - **lost**: known, then missing from every read after some read that saw
 *   it, or acknowledged and never seen by any read that began after: the
 *   last absent read comes after the last present one. Its lost latency is
 *   from known to the first read of the final absent run;
 * - **never-read**: no read began after it was known (nothing to judge).
 *
 * A stable element missed by some read that began after it was known had
 * **stale** reads: allowed by a weak set, not by a linearizable one
 * (`linearizable: true` makes them invalid). An element read more than once
 * in one read is a **duplicate** (invalid: a set holds it once); an element
 * read that no one tried to add is **unexpected** (invalid).
 *
 * Valid: no lost, duplicate or unexpected element (and, if linearizable, no
 * stale one), and at least one stable element; with none stable the result
 * is `unknown` (nothing was seen to persist). Times are the ops' `time`
 * (ns); latencies are reported in ms with quantiles.
 */
import type { Op } from "../history/op.js";
import { canonicalJson } from "../history/values.js";
import type { Checker, CheckResult } from "./types.js";

export interface SetFullOptions {
  /** Stale reads are anomalies (the set claims linearizability). Default false. */
  linearizable?: boolean;
}

export type ElementOutcome = "stable" | "lost" | "never-read";

export interface ElementReport {
  element: unknown;
  outcome: ElementOutcome;
  /** ns; undefined when it was never known to exist (an add that never completed ok, never seen). */
  knownTime?: number;
  /** Reads that began after it was known and missed it. */
  staleReads: number;
  /** ms: stable latency (stable) or lost latency (lost). */
  latencyMs?: number;
}

interface Read {
  invokeTime: number;
  completeTime: number;
  index: number;
  elements: Set<string>;
}

interface Element {
  value: unknown;
  addCompleteTime?: number;
}

/** Sample elements kept per outcome in the result, at most (the counts are exact). */
const SAMPLE_MAX = 20;

export function setFull(options: SetFullOptions = {}): Checker {
  const linearizable = options.linearizable ?? false;
  return {
    name: "set-full",
    check(history): CheckResult {
      const collected = collect(history);
      if ("problem" in collected) return { valid: "unknown", explanation: collected.problem };
      const { elements, reads, duplicates } = collected;
      if (reads.length === 0)
        return {
          valid: "unknown",
          explanation: "no successful read of the set, so nothing can be said about it",
        };
      const unexpected = new Set<string>();
      for (const read of reads) for (const e of read.elements) if (!elements.has(e)) unexpected.add(e);
      // The earliest completion of a read that saw each element.
      const firstSeen = new Map<string, number>();
      for (const read of reads)
        for (const e of read.elements) {
          const seen = firstSeen.get(e);
          if (seen === undefined || read.completeTime < seen) firstSeen.set(e, read.completeTime);
        }
      const byInvoke = [...reads].sort((a, b) => a.invokeTime - b.invokeTime || a.index - b.index);
      const reports: ElementReport[] = [];
      for (const [key, element] of elements) {
        const candidates = [element.addCompleteTime, firstSeen.get(key)].filter((t) => t !== undefined);
        if (candidates.length === 0) {
          reports.push({ element: element.value, outcome: "never-read", staleReads: 0 });
          continue;
        }
        const known = Math.min(...candidates);
        let lastPresent: Read | undefined;
        let lastAbsent: Read | undefined;
        let firstAbsentOfRun: Read | undefined;
        let stale = 0;
        let endsAbsent = false;
        for (const read of byInvoke) {
          if (read.invokeTime <= known) continue;
          endsAbsent = !read.elements.has(key);
          if (!endsAbsent) {
            lastPresent = read;
            firstAbsentOfRun = undefined;
          } else {
            lastAbsent = read;
            firstAbsentOfRun ??= read;
            stale++;
          }
        }
        if (!lastPresent && !lastAbsent) {
          reports.push({ element: element.value, outcome: "never-read", knownTime: known, staleReads: 0 });
        } else if (endsAbsent) {
          reports.push({
            element: element.value,
            outcome: "lost",
            knownTime: known,
            staleReads: 0,
            latencyMs: ((firstAbsentOfRun ?? lastAbsent)!.invokeTime - known) / 1e6,
          });
        } else {
          reports.push({
            element: element.value,
            outcome: "stable",
            knownTime: known,
            staleReads: stale,
            latencyMs: lastAbsent ? Math.max(0, (lastAbsent.invokeTime - known) / 1e6) : 0,
          });
        }
      }
      const of = (outcome: ElementOutcome) => reports.filter((r) => r.outcome === outcome);
      const stable = of("stable");
      const lost = of("lost");
      const neverRead = of("never-read");
      const stale = stable.filter((r) => r.staleReads > 0);
      const sample = (list: readonly ElementReport[]) => list.slice(0, SAMPLE_MAX).map((r) => r.element);
      const problems: string[] = [];
      if (lost.length)
        problems.push(
          `${lost.length} lost (e.g. ${describe(sample(lost).slice(0, 5))}: known to exist, then missing from every later read)`,
        );
      if (duplicates.size)
        problems.push(
          `${duplicates.size} read more than once in one read (e.g. ${[...duplicates].slice(0, 5).join(", ")})`,
        );
      if (unexpected.size)
        problems.push(
          `${unexpected.size} read that no one added (e.g. ${[...unexpected].slice(0, 5).join(", ")})`,
        );
      if (linearizable && stale.length)
        problems.push(
          `${stale.length} had stale reads (e.g. ${describe(sample(stale).slice(0, 5))}: a read that began after the element was known missed it)`,
        );
      const valid = problems.length > 0 ? false : stable.length === 0 ? "unknown" : true;
      return {
        valid,
        attemptedCount: elements.size,
        stableCount: stable.length,
        lostCount: lost.length,
        neverReadCount: neverRead.length,
        staleCount: stale.length,
        duplicatedCount: duplicates.size,
        unexpectedCount: unexpected.size,
        lost: sample(lost),
        stale: sample(stale),
        neverRead: sample(neverRead),
        duplicated: [...duplicates].slice(0, SAMPLE_MAX).map((e) => JSON.parse(e) as unknown),
        unexpected: [...unexpected].slice(0, SAMPLE_MAX).map((e) => JSON.parse(e) as unknown),
        // The longest-stale elements (Jepsen's worst-stale): how long reads kept missing them.
        worstStale: [...stale]
          .sort((a, b) => (b.latencyMs ?? 0) - (a.latencyMs ?? 0))
          .slice(0, 8)
          .map((r) => ({ element: r.element, staleReads: r.staleReads, latencyMs: r.latencyMs ?? 0 })),
        stableLatencyMs: quantiles(stable.map((r) => r.latencyMs ?? 0)),
        lostLatencyMs: quantiles(lost.map((r) => r.latencyMs ?? 0)),
        ...(valid === false && { explanation: `of ${elements.size} elements: ${problems.join("; ")}` }),
        ...(valid === "unknown" && {
          explanation: `no element was seen to persist: ${neverRead.length} of ${elements.size} never read after they were known`,
        }),
      };
    },
  };
}

const describe = (values: readonly unknown[]): string => values.map((v) => canonicalJson(v)).join(", ");

function collect(
  history: readonly Op[],
): { elements: Map<string, Element>; reads: Read[]; duplicates: Set<string> } | { problem: string } {
  const elements = new Map<string, Element>();
  const reads: Read[] = [];
  const duplicates = new Set<string>();
  const open = new Map<unknown, Op>();
  for (const op of history) {
    if (op.process === "nemesis") continue;
    if (op.type === "invoke") {
      open.set(op.process, op);
      if (op.f === "add") {
        const key = canonicalJson(op.value);
        if (!elements.has(key)) elements.set(key, { value: op.value });
      }
      continue;
    }
    const invocation = open.get(op.process);
    open.delete(op.process);
    if (op.type !== "ok" || !invocation) continue;
    if (op.f === "add") {
      const element = elements.get(canonicalJson(invocation.value))!;
      element.addCompleteTime = Math.min(element.addCompleteTime ?? op.time, op.time);
    } else if (op.f === "read") {
      if (!Array.isArray(op.value))
        return { problem: `read at op ${op.index} returned ${canonicalJson(op.value)}, not an array` };
      const seen = new Set<string>();
      for (const value of op.value) {
        const key = canonicalJson(value);
        if (seen.has(key)) duplicates.add(key);
        seen.add(key);
      }
      reads.push({ invokeTime: invocation.time, completeTime: op.time, index: op.index, elements: seen });
    }
  }
  return { elements, reads, duplicates };
}

/** p50, p90, p99 and max of a list of ms values (empty → no fields). */
function quantiles(values: number[]): Record<string, number> {
  if (values.length === 0) return {};
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[sorted.length - 1]! };
}
