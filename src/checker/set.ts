/**
 * Set: clients `add` elements (value = the element) and finally `read` the
 * whole set (value = array of elements). Against the last successful read:
 * - lost: adds acknowledged ok before the read began but missing from it →
 *   invalid (an add acknowledged while the read ran may or may not be in it);
 * - unexpected: elements read that no one ever tried to add → invalid;
 * - recovered: adds with unknown outcome (info) that did make it (fine);
 * - ok: acknowledged adds that were read.
 * Elements are compared by their JSON text, so numbers and strings work.
 */
import type { Checker, CheckResult } from "./types.js";

const keyOf = (value: unknown): string => JSON.stringify(value);

export function setChecker(): Checker {
  return {
    name: "set",
    check(history): CheckResult {
      const attempted = new Set<string>();
      /** Element → the history index at which its add was first acknowledged. */
      const acknowledgedAt = new Map<string, number>();
      const readInvokedAt = new Map<unknown, number>();
      let finalRead: unknown[] | undefined;
      let finalReadIndex = -1;
      let finalReadInvokedAt = -1;
      for (const op of history) {
        if (op.process === "nemesis") continue;
        if (op.f === "add") {
          if (op.type === "invoke") attempted.add(keyOf(op.value));
          else if (op.type === "ok" && !acknowledgedAt.has(keyOf(op.value)))
            acknowledgedAt.set(keyOf(op.value), op.index);
        } else if (op.f === "read" && op.type === "invoke") {
          readInvokedAt.set(op.process, op.index);
        } else if (op.f === "read" && op.type === "ok") {
          if (!Array.isArray(op.value)) {
            return {
              valid: "unknown",
              explanation: `read at op ${op.index} returned ${keyOf(op.value)}, not an array`,
            };
          }
          finalRead = op.value;
          finalReadIndex = op.index;
          finalReadInvokedAt = readInvokedAt.get(op.process) ?? op.index;
        }
      }
      const acknowledged = new Set(acknowledgedAt.keys());
      if (!finalRead) {
        return {
          valid: "unknown",
          explanation: "no successful read of the set, so nothing can be said about it",
        };
      }
      const read = new Set(finalRead.map(keyOf));
      // Only adds acknowledged before the read began must be in it.
      const lost = [...acknowledged].filter(
        (element) => !read.has(element) && acknowledgedAt.get(element)! < finalReadInvokedAt,
      );
      const unexpected = [...read].filter((element) => !attempted.has(element));
      const recovered = [...read].filter((element) => attempted.has(element) && !acknowledged.has(element));
      const problems: string[] = [];
      if (lost.length)
        problems.push(`${lost.length} acknowledged adds were lost (e.g. ${lost.slice(0, 5).join(", ")})`);
      if (unexpected.length)
        problems.push(
          `${unexpected.length} elements were read that no one added (e.g. ${unexpected.slice(0, 5).join(", ")})`,
        );
      return {
        valid: problems.length === 0,
        attemptedCount: attempted.size,
        acknowledgedCount: acknowledged.size,
        readCount: read.size,
        finalReadIndex,
        lost: lost.map((text) => JSON.parse(text) as unknown),
        unexpected: unexpected.map((text) => JSON.parse(text) as unknown),
        recoveredCount: recovered.length,
        ...(problems.length > 0 && {
          explanation: `final read (op ${finalReadIndex}): ${problems.join("; ")}`,
        }),
      };
    },
  };
}
