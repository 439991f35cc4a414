/**
 * Flag parsers shared by the CLI's commands. Each throws commander's
 * InvalidArgumentError with what was expected, which the CLI turns into a
 * message and exit code 64.
 */
import { InvalidArgumentError, Option } from "commander";
import { parseSeed } from "../random/random.js";

/** The longest duration a flag takes: 24 days, just under Node's timer limit (2^31-1 ms). */
export const MAX_DURATION_MS = 24 * 86_400_000;

/** A duration in seconds (`20`, `2.5`, `20s`, `500ms`, `1m`) → milliseconds. */
export function parseDurationMs(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(text);
  if (!match) throw new InvalidArgumentError(`expected a duration like 20, 2.5s, 500ms or 1m; got "${text}"`);
  const amount = Number(match[1]);
  const unit = match[2] ?? "s";
  const ms = unit === "ms" ? amount : unit === "m" ? amount * 60_000 : amount * 1000;
  if (!(ms > 0)) throw new InvalidArgumentError(`expected a positive duration; got "${text}"`);
  // Node's timers hold at most 2^31-1 ms; a longer delay silently fires after 1 ms.
  if (ms > MAX_DURATION_MS)
    throw new InvalidArgumentError(
      `expected a duration of at most ${MAX_DURATION_MS / 86_400_000} days; got "${text}"`,
    );
  return ms;
}

export function parsePositiveInt(text: string): number {
  if (!/^\s*\d+\s*$/.test(text) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) {
    throw new InvalidArgumentError(`expected a positive integer; got "${text}"`);
  }
  return Number(text);
}

export function parseSeedFlag(text: string): number {
  const seed = parseSeed(text);
  if (seed === undefined)
    throw new InvalidArgumentError(`expected a non-negative integer seed; got "${text}"`);
  return seed;
}

/** A comma-separated list whose items must be among `allowed`; "none" → []. */
export function listParser(allowed: readonly string[]): (text: string) => string[] {
  return (text) => {
    const items = text
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean);
    // An empty list is a typo (`--nemesis ''`, `--nemesis ,`), not a way to say none: that is spelled out.
    if (items.length === 0)
      throw new InvalidArgumentError(
        `expected none or a comma-separated list of ${allowed.join(", ")}; got "${text}"`,
      );
    if (items.length === 1 && items[0] === "none") return [];
    for (const item of items) {
      if (!allowed.includes(item)) {
        throw new InvalidArgumentError(
          `expected none or a comma-separated list of ${allowed.join(", ")}; got "${item}"`,
        );
      }
    }
    return items;
  };
}

export function choiceParser(allowed: readonly string[]): (text: string) => string {
  return (text) => {
    if (!allowed.includes(text))
      throw new InvalidArgumentError(`expected one of ${allowed.join(", ")}; got "${text}"`);
    return text;
  };
}

/** `20_000` → `"20s"`, `300` → `"300ms"`, `3_600_000` → `"60m"`: how a duration default reads in `--help`. */
export function formatDurationFlag(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/**
 * A duration flag whose default `--help` shows in the flag's own units
 * (`(default: 20s)`), not as the milliseconds it is held in.
 */
export function durationOption(flags: string, description: string, defaultMs?: number): Option {
  const option = new Option(flags, description).argParser(parseDurationMs);
  // No default: the caller derives one from other flags (and says how in the description).
  return defaultMs === undefined ? option : option.default(defaultMs, formatDurationFlag(defaultMs));
}
