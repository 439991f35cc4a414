/**
 * Readiness probes: composable "is it up yet?" checks, each one attempt with
 * its own timeout. {@link waitUntilReady} retries a probe until it passes, the
 * deadline passes, or the process exits.
 *
 * A probe resolves `true` when ready, and `false` or throws when not yet; the
 * last failure's message ends up in the timeout error.
 */

import { connect } from "node:net";
import { describeError } from "../errors/index.js";

export interface ProbeContext {
  /** Aborted when the attempt's timeout passes or the wait is abandoned. */
  signal: AbortSignal;
}

export type Probe = (context: ProbeContext) => Promise<boolean>;

/** Ready when a TCP connection to host:port succeeds. */
export function tcpProbe(options: { host: string; port: number }): Probe {
  return ({ signal }) =>
    new Promise<boolean>((resolve) => {
      const socket = connect({ host: options.host, port: options.port });
      const done = (ok: boolean) => {
        socket.destroy();
        signal.removeEventListener("abort", onAbort);
        resolve(ok);
      };
      const onAbort = () => done(false);
      signal.addEventListener("abort", onAbort, { once: true });
      socket.once("connect", () => done(true));
      socket.once("error", () => done(false));
    });
}

export interface HttpProbeOptions {
  url: string;
  method?: string;
  body?: string;
  headers?: Record<string, string>;
  /** Ready when this returns true for the response; default: status 2xx. */
  accept?: (status: number, body: string) => boolean;
}

/** Ready when an HTTP request gets an accepted response (default: any 2xx). */
export function httpProbe(options: HttpProbeOptions): Probe {
  return async ({ signal }) => {
    const response = await fetch(options.url, {
      method: options.method ?? "GET",
      body: options.body,
      headers: options.headers,
      signal,
    });
    const text = await response.text();
    const accept = options.accept ?? ((status) => status >= 200 && status < 300);
    if (!accept(response.status, text)) throw new Error(`HTTP ${response.status}: ${text.slice(0, 200)}`);
    return true;
  };
}

/** A probe from any async function (a client call): ready when it resolves truthy. */
export function functionProbe(check: (signal: AbortSignal) => Promise<unknown>): Probe {
  return async ({ signal }) => Boolean(await check(signal));
}

/** Ready when every probe is ready, checked in order. */
export function allProbes(...probes: Probe[]): Probe {
  return async (context) => {
    for (const probe of probes) {
      if (!(await probe(context))) return false;
    }
    return true;
  };
}

export interface WaitUntilReadyOptions {
  probe: Probe;
  /** Give up after this long. */
  timeoutMs: number;
  /** Each attempt is aborted after this long; default 2000 ms (or less, near the deadline). */
  attemptTimeoutMs?: number;
  /** Pause between attempts; default 50 ms. */
  intervalMs?: number;
  /** Resolves when the process exited: the wait stops at once. */
  exited?: Promise<unknown>;
  /** Abandon the wait. */
  signal?: AbortSignal;
}

export type ReadyOutcome =
  | { ready: true; attempts: number }
  | {
      ready: false;
      reason: "timeout" | "exited" | "aborted";
      attempts: number;
      lastError: string | undefined;
    };

/** Retry `probe` until ready, the deadline, the process exiting, or an abort. Never throws. */
export async function waitUntilReady(options: WaitUntilReadyOptions): Promise<ReadyOutcome> {
  const deadline = performance.now() + options.timeoutMs;
  const intervalMs = options.intervalMs ?? 50;
  let exited = false;
  void options.exited?.then(() => {
    exited = true;
  });
  let attempts = 0;
  let lastError: string | undefined;
  while (true) {
    if (exited) return { ready: false, reason: "exited", attempts, lastError };
    if (options.signal?.aborted) return { ready: false, reason: "aborted", attempts, lastError };
    const remainingMs = deadline - performance.now();
    if (remainingMs <= 0) return { ready: false, reason: "timeout", attempts, lastError };
    attempts++;
    const attempt = AbortSignal.timeout(
      Math.max(1, Math.ceil(Math.min(options.attemptTimeoutMs ?? 2_000, remainingMs))),
    );
    const signal = options.signal ? AbortSignal.any([attempt, options.signal]) : attempt;
    try {
      if (await options.probe({ signal })) return { ready: true, attempts };
      lastError = "probe said not ready";
    } catch (error) {
      lastError = describeError(error);
    }
    const stepMs = Math.min(intervalMs, deadline - performance.now());
    if (stepMs > 0) await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
}
