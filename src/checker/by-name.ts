/**
 * The checkers other than linearizability that `crucible check --model NAME`
 * runs on a recorded history, by name, with the options the command line
 * can give them. Linearizability models are looked up in `models/` instead.
 */
import { bank } from "./bank.js";
import { counterChecker } from "./counter.js";
import { longFork } from "./long-fork.js";
import { setChecker } from "./set.js";
import { setFull } from "./set-full.js";
import type { Checker } from "./types.js";

export const historyCheckerNames = ["bank", "counter", "set", "set-full", "long-fork"] as const;
export type HistoryCheckerName = (typeof historyCheckerNames)[number];

export interface HistoryCheckerOptions {
  /** long-fork: keys per group. */
  groupSize?: number;
  /** bank: allow balances below zero. */
  negativeBalances?: boolean;
  /** bank: the constant total (default: the first read's). */
  totalAmount?: number;
  /** set-full: stale reads are anomalies. */
  linearizable?: boolean;
}

export function isHistoryCheckerName(name: string): name is HistoryCheckerName {
  return (historyCheckerNames as readonly string[]).includes(name);
}

/** The checker for a name in {@link historyCheckerNames}. */
export function historyChecker(name: HistoryCheckerName, options: HistoryCheckerOptions = {}): Checker {
  switch (name) {
    case "bank":
      return bank({
        ...(options.negativeBalances !== undefined && { negativeBalances: options.negativeBalances }),
        ...(options.totalAmount !== undefined && { totalAmount: options.totalAmount }),
      });
    case "counter":
      return counterChecker();
    case "set":
      return setChecker();
    case "set-full":
      return setFull({ linearizable: options.linearizable ?? false });
    case "long-fork":
      return longFork(options.groupSize === undefined ? {} : { groupSize: options.groupSize });
  }
}
