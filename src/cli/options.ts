/**
 * Flag parsers shared by the CLI's commands. Each throws commander's
 * InvalidArgumentError with what was expected, which the CLI turns into a
 * message and exit code 64.
 */
import { InvalidArgumentError, Option } from "commander";
import { parseSeed } from "../random/random.js";
import { parseDuration } from "../runner/test-options.js";

/** The longest duration a flag takes: 24 days, just under Node's timer limit (2^31-1 ms). */
export { MAX_DURATION_MS } from "../runner/test-options.js";

/** A duration in seconds (`20`, `2.5`, `20s`, `500ms`, `1m`) → milliseconds. */
export function parseDurationMs(text: string): number {
  const ms = parseDuration(text);
  if (typeof ms === "string") throw new InvalidArgumentError(ms);
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

/** A variant name as recipes spell them (`pre-vote`, `small-snapshots`): refuses empty or odd text at once. */
export function parseVariantName(text: string): string {
  if (!/^[A-Za-z0-9][\w.-]{0,63}$/.test(text))
    throw new InvalidArgumentError(
      `expected a variant name (letters, digits, - _ .); got ${JSON.stringify(text)}`,
    );
  return text;
}
