/**
 * The register workload's invocations, checked once so each client maps a
 * typed op instead of re-validating `unknown` values:
 * `{ f: "read", key, value: null }`, `{ f: "write", key, value }` and
 * `{ f: "cas", key, value: [expected, new] }`, values integers (Jepsen's
 * register test), keys integers or strings.
 */
import type { Completion, Key, Op } from "../../history/op.js";
import { definiteFailure, type OutcomeRules } from "./outcome.js";

export type RegisterCall =
  | { readonly f: "read"; readonly key: Key }
  | { readonly f: "write"; readonly key: Key; readonly value: number }
  | { readonly f: "cas"; readonly key: Key; readonly expected: number; readonly next: number };

const isInt = (value: unknown): value is number => typeof value === "number" && Number.isSafeInteger(value);

/**
 * The register call an op stands for, or a sentence saying why it is not one
 * (the client turns that into a `fail`: nothing was sent).
 */
export function registerCall(op: Op): RegisterCall | string {
  const key = op.key;
  if (typeof key !== "number" && typeof key !== "string") {
    return `register op needs a key (number or string), got ${JSON.stringify(key)}`;
  }
  switch (op.f) {
    case "read":
      return { f: "read", key };
    case "write":
      if (!isInt(op.value)) return `write needs an integer value, got ${JSON.stringify(op.value)}`;
      return { f: "write", key, value: op.value };
    case "cas": {
      const pair = op.value;
      if (!Array.isArray(pair) || pair.length !== 2 || !isInt(pair[0]) || !isInt(pair[1])) {
        return `cas needs [expected, new] integers, got ${JSON.stringify(pair)}`;
      }
      return { f: "cas", key, expected: pair[0], next: pair[1] };
    }
    default:
      return `no register op ${JSON.stringify(op.f)} (read, write, cas)`;
  }
}

/**
 * A stored register value as the number it was written as; undefined when it
 * is not one (someone else's key, or corruption: the client reports `info`,
 * never a made-up value).
 */
export function parseStoredValue(text: string): number | undefined {
  if (!/^-?\d{1,15}$/.test(text)) return undefined;
  return Number(text);
}

/**
 * The register call to make, or the certain failure to return without
 * sending anything: the connection is closed, or the op is not a register op.
 * Every register client opens its `invoke` with this.
 */
export function admitRegisterCall(
  op: Op,
  rules: OutcomeRules,
  closed: boolean,
): { call: RegisterCall } | { failure: Completion } {
  if (closed) return { failure: definiteFailure(rules, "connection closed") };
  const call = registerCall(op);
  return typeof call === "string" ? { failure: definiteFailure(rules, call) } : { call };
}
