/**
 * Control-plane calls to a demo server, for tests, datadriven directives
 * (`print-state`, `tick`) and clock-fault verification. Not on any hot path,
 * so they use `fetch`; each call is bounded by `timeoutMs` and `signal`.
 */
import type { ClockResponse, HealthResponse, StateResponse } from "./protocol.js";

export interface AdminCallOptions {
  /** Give up after this long. Default 5000 ms. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** `GET /state`: the node's durable store, role, log position and replication progress. */
export function demoState(baseUrl: string, options: AdminCallOptions = {}): Promise<StateResponse> {
  return call<StateResponse>(baseUrl, "GET", "/state", undefined, options);
}

/** `GET /health`. */
export function demoHealth(baseUrl: string, options: AdminCallOptions = {}): Promise<HealthResponse> {
  return call<HealthResponse>(baseUrl, "GET", "/health", undefined, options);
}

/** `GET /clock`: the logical clock and the process' wall clock (`Date.now()`). */
export function demoClock(baseUrl: string, options: AdminCallOptions = {}): Promise<ClockResponse> {
  return call<ClockResponse>(baseUrl, "GET", "/clock", undefined, options);
}

/** `POST /clock/tick`: advance the node's logical clock by `n` (default 1); returns the new clock. */
export function demoTick(baseUrl: string, n = 1, options: AdminCallOptions = {}): Promise<ClockResponse> {
  return call<ClockResponse>(baseUrl, "POST", "/clock/tick", { n }, options);
}

async function call<T>(
  baseUrl: string,
  method: "GET" | "POST",
  path: string,
  body: unknown,
  options: AdminCallOptions,
): Promise<T> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 5000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const init: RequestInit = { method, signal };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { "content-type": "application/json" };
  }
  const response = await fetch(new URL(path, baseUrl), init);
  const text = await response.text();
  if (!response.ok)
    throw new Error(`${method} ${new URL(path, baseUrl).href}: HTTP ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}
