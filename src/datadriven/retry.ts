/**
 * `retry`: poll a function until its output matches the expected output or a
 * deadline passes. For outputs that only eventually match (a replica that
 * catches up, a lease that expires): the test states the final answer and
 * the engine waits for it, instead of sleeping a guessed amount.
 *
 * It is not a substitute for deterministic control (hold/release, a logical
 * clock); it is the bounded wait for what cannot be controlled.
 */
import { normalizeOutput } from "./text.js";

export interface RetryOptions {
  /** The output that ends the wait; compared after `normalize`. */
  expected: string;
  /** Give up after this long and return the last output; default 5,000 ms. */
  timeoutMs?: number;
  /** First pause between attempts, doubled after each miss up to `maxIntervalMs`; default 10 ms. */
  intervalMs?: number;
  /** Longest pause between attempts; default 250 ms. */
  maxIntervalMs?: number;
  /** Applied to each output before comparing; default: add the final newline Go adds. */
  normalize?: (output: string) => string;
  /** Called before each attempt after the first (e.g. to advance a logical clock). */
  beforeRetry?: (attempt: number) => void | Promise<void>;
  /** Stops the wait early; the last output is returned. */
  signal?: AbortSignal;
  /** Clock and sleep, replaceable in tests; default `performance.now` and a timer. */
  nowMs?: () => number;
  sleepMs?: (ms: number) => Promise<void>;
}

export interface RetryOutcome {
  /** The last output (normalized); equal to `expected` when `matched`. */
  output: string;
  matched: boolean;
  attempts: number;
}

/** Hard cap on attempts, whatever the timeout, so a zero interval cannot spin forever. */
export const MAX_RETRY_ATTEMPTS = 100_000;

/** Run `attempt` until its normalized output equals `expected` or `timeoutMs` passes. */
export async function retry(
  attempt: () => string | Promise<string>,
  options: RetryOptions,
): Promise<RetryOutcome> {
  const normalize = options.normalize ?? normalizeOutput;
  const nowMs = options.nowMs ?? (() => performance.now());
  const sleepMs =
    options.sleepMs ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const timeoutMs = options.timeoutMs ?? 5_000;
  const maxIntervalMs = options.maxIntervalMs ?? 250;
  let intervalMs = options.intervalMs ?? 10;
  const deadlineMs = nowMs() + timeoutMs;

  let output = "";
  for (let attempts = 1; attempts <= MAX_RETRY_ATTEMPTS; attempts++) {
    if (attempts > 1) await options.beforeRetry?.(attempts);
    output = normalize(await attempt());
    if (output === options.expected) return { output, matched: true, attempts };
    const remainingMs = deadlineMs - nowMs();
    if (remainingMs <= 0 || options.signal?.aborted) return { output, matched: false, attempts };
    await sleepMs(Math.min(intervalMs, remainingMs));
    intervalMs = Math.min(maxIntervalMs, intervalMs * 2);
  }
  return { output, matched: false, attempts: MAX_RETRY_ATTEMPTS };
}
