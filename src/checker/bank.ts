/**
 * Bank: money moves between accounts, and reads see every balance at once
 * (Jepsen's bank test). Ops:
 *
 * - `transfer`, value `{ from, to, amount }`: moves `amount` from one account
 *   to another inside one transaction (what it does to the balances is not
 *   judged here: a transfer may fail or be unknown);
 * - `read`, completion value `{ [account]: balance }`: a snapshot of every
 *   account.
 *
 * Transfers conserve money, so every successful read must add up to the same
 * total. Each ok read is judged on its own (Jepsen's checker):
 *
 * - `wrong-total`: its balances do not sum to the total;
 * - `negative-value`: some balance is below zero (unless `negativeBalances`
 *   says overdrafts are allowed);
 * - `unexpected-key`: an account outside `accounts` (when they are given);
 * - `wrong-n`: fewer or more accounts than `accounts` lists;
 * - `nil-balance`: an account read with no balance (null) or a non-number.
 *
 * When `totalAmount` is not given the first ok read's sum is taken as the
 * total (the result says so): the checker then judges that the total stays
 * constant, which is what a history alone can show. No ok read is no
 * evidence: `unknown`.
 */
import type { Op } from "../history/op.js";
import type { Checker, CheckResult } from "./types.js";

export interface BankOptions {
  /** The account ids every read must hold, exactly. Default: not checked. */
  accounts?: readonly (string | number)[];
  /** The constant sum of all balances. Default: the first ok read's sum. */
  totalAmount?: number;
  /** Allow balances below zero. Default false (Jepsen's `:negative-balances?`). */
  negativeBalances?: boolean;
}

export type BankErrorKind = "wrong-total" | "negative-value" | "unexpected-key" | "wrong-n" | "nil-balance";

export interface BankError {
  kind: BankErrorKind;
  /** The read's completion index. */
  opIndex: number;
  /** What the read saw. */
  balances: Record<string, unknown>;
  /** In words: which account, which total. */
  detail: string;
}

/** Errors kept in the result, at most (the counts are exact). */
const ERRORS_KEPT_MAX = 100;

export function bank(options: BankOptions = {}): Checker {
  const allowNegative = options.negativeBalances ?? false;
  const accounts = options.accounts === undefined ? undefined : new Set(options.accounts.map(String));
  return {
    name: "bank",
    check(history): CheckResult {
      let total = options.totalAmount;
      const totalInferred = total === undefined;
      const errors: BankError[] = [];
      const counts: Partial<Record<BankErrorKind, number>> = {};
      let reads = 0;
      let transfers = 0;
      const note = (error: BankError): void => {
        counts[error.kind] = (counts[error.kind] ?? 0) + 1;
        if (errors.length < ERRORS_KEPT_MAX) errors.push(error);
      };
      for (const op of history) {
        if (op.process === "nemesis" || op.type !== "ok") continue;
        if (op.f === "transfer") transfers++;
        if (op.f !== "read") continue;
        const balances = balancesOf(op);
        if (balances === undefined) {
          return {
            valid: "unknown",
            explanation: `read at op ${op.index} returned ${JSON.stringify(op.value)}, not a map of account to balance`,
          };
        }
        reads++;
        let sum = 0;
        let summable = true;
        for (const [account, balance] of Object.entries(balances)) {
          if (typeof balance !== "number" || !Number.isFinite(balance)) {
            note({
              kind: "nil-balance",
              opIndex: op.index,
              balances,
              detail: `account ${account} read as ${JSON.stringify(balance)}`,
            });
            summable = false;
            continue;
          }
          sum += balance;
          if (balance < 0 && !allowNegative)
            note({
              kind: "negative-value",
              opIndex: op.index,
              balances,
              detail: `account ${account} has ${balance}`,
            });
          if (accounts && !accounts.has(account))
            note({
              kind: "unexpected-key",
              opIndex: op.index,
              balances,
              detail: `account ${account} is not one of the ${accounts.size} accounts`,
            });
        }
        const n = Object.keys(balances).length;
        if (accounts && n !== accounts.size)
          note({
            kind: "wrong-n",
            opIndex: op.index,
            balances,
            detail: `${n} accounts read, expected ${accounts.size}`,
          });
        if (!summable) continue;
        total ??= sum;
        if (sum !== total)
          note({
            kind: "wrong-total",
            opIndex: op.index,
            balances,
            detail: `balances sum to ${sum}, expected ${total}`,
          });
      }
      const errorCount = Object.values(counts).reduce((a, b) => a + b, 0);
      const base = {
        readCount: reads,
        transferCount: transfers,
        ...(total !== undefined && { totalAmount: total }),
        totalInferred,
        errorCounts: counts,
        errors,
      };
      if (reads === 0)
        return { ...base, valid: "unknown", explanation: "no successful read of the balances" };
      if (errorCount === 0) return { ...base, valid: true };
      const first = errors[0]!;
      const kinds = Object.entries(counts)
        .map(([kind, count]) => `${count} ${kind}`)
        .join(", ");
      return {
        ...base,
        valid: false,
        explanation: `${kinds} among ${reads} reads${totalInferred ? ` (total ${total} taken from the first read)` : ""}; first: op ${first.opIndex}: ${first.kind}, ${first.detail}`,
      };
    },
  };
}

/** A read's balances as `{ account: balance }`; undefined when the value is no map. */
function balancesOf(op: Op): Record<string, unknown> | undefined {
  const value = op.value;
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  return value as Record<string, unknown>;
}
