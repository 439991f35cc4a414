/**
 * Checkers of interval logs: what lock, lease and semaphore services promise
 * (see docs/locks.md).
 *
 * - {@link boundedConcurrency}: at most N holders at once, except within a
 *   window after each loss event, and that window closes;
 * - {@link fencingTokens}: tokens strictly increase per office or slot, in
 *   order of acquisition; {@link fencedResource} for writes through a
 *   resource that must reject stale tokens;
 * - {@link lockConvergence}: after the last heal and a quiet period, the
 *   expected holders hold and every other contender was promoted or exited
 *   with an allowed code;
 * - {@link exactlyOnce}: each key (a cron tick, a job id) ran at most once,
 *   and at least once unless its claimant was killed.
 *
 * Each reads `ctx.intervals` (the run's interval log) and the history's
 * nemesis ops (the loss events: {@link lossEvents}).
 */
export {
  type BoundedConcurrencyOptions,
  boundedConcurrency,
  type ConcurrencyViolation,
  checkBoundedConcurrency,
  type LossEventOverlap,
  type ViolationInterval,
} from "./bounded-concurrency.js";
export type { OpenEnd } from "./ends.js";
export {
  checkExactlyOnce,
  type ExactlyOnceOptions,
  type ExactlyOnceViolation,
  exactlyOnce,
} from "./exactly-once.js";
export {
  checkFencingTokens,
  checkTokenSequences,
  type FencedResource,
  type FencedWrite,
  type FencingTokensOptions,
  type FencingViolation,
  fencedResource,
  fencingTokens,
  type Tokened,
} from "./fencing-tokens.js";
export {
  checkLockConvergence,
  exitOf,
  type LockConvergenceOptions,
  lockConvergence,
} from "./lock-convergence.js";
export {
  DEFAULT_EXIT_FS,
  DEFAULT_LOSS_RULES,
  type LossEvent,
  type LossEventOptions,
  type LossKind,
  type LossRule,
  lossEvents,
  namedTargets,
} from "./loss-events.js";
