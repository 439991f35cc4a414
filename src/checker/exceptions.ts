/**
 * Unhandled exceptions: groups the errors behind `info` completions (a client
 * that threw, a timeout) by message, with a count and the first op of each.
 *
 * By default it reports and does not judge (as Jepsen's does): errors are
 * expected under faults. Give `maxInfoFraction` to fail a run in which more
 * than that fraction of client ops ended in an unknown outcome — such a run
 * checks little.
 */
import type { Checker, CheckResult } from "./types.js";

export interface UnhandledExceptionsOptions {
  /** Invalid when info completions / all client completions exceeds this (0..1). Default: never invalid. */
  maxInfoFraction?: number;
}

export function unhandledExceptions(options: UnhandledExceptionsOptions = {}): Checker {
  return {
    name: "unhandled-exceptions",
    check(history): CheckResult {
      const groups = new Map<string, { count: number; firstOpIndex: number; f: string }>();
      let completions = 0;
      let infos = 0;
      for (const op of history) {
        if (op.process === "nemesis" || op.type === "invoke") continue;
        completions++;
        if (op.type !== "info") continue;
        infos++;
        const message = (op.error ?? "unknown outcome (no error given)").split("\n")[0]!.slice(0, 200);
        const group = groups.get(message);
        if (group) group.count++;
        else groups.set(message, { count: 1, firstOpIndex: op.index, f: op.f });
      }
      const exceptions = [...groups.entries()]
        .map(([message, group]) => ({ message, ...group }))
        .sort((a, b) => b.count - a.count);
      if (completions === 0) {
        return {
          valid: "unknown",
          infoFraction: 0,
          exceptions: [],
          explanation: "no client operation completed, so there is nothing to judge",
        };
      }
      const infoFraction = infos / completions;
      const limit = options.maxInfoFraction;
      const tooMany = limit !== undefined && infoFraction > limit;
      return {
        valid: !tooMany,
        infoFraction,
        exceptions,
        ...(tooMany && {
          explanation: `${(infoFraction * 100).toFixed(1)}% of client ops ended with an unknown outcome (limit ${(limit * 100).toFixed(1)}%); most common: ${exceptions[0]?.message}`,
        }),
      };
    },
  };
}
