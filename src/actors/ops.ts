/**
 * How an actor's exit appears in a history.
 *
 * An exit is a nemesis-lane event, `process: "nemesis"`, so every history
 * reader and checker takes it as it takes fault ops (no new process kind):
 *
 * ```
 * {"type":"invoke","process":"nemesis","f":"actor-exit","value":{"actor":"a2","pid":4711,"code":70,"signal":null,"cause":"exited","run":3,"at":812345678}}
 * {"type":"info",  "process":"nemesis","f":"actor-exit","value":{...the same}}
 * ```
 *
 * It is an invoke with its `info` completion written together, because the
 * readers insist that a process alternates invocation and completion. The
 * runner writes the pair when the nemesis lane has no op open, so an exit
 * caused by `actor-kill` comes right after that op's completion. The op's
 * `time` is therefore when it was written; `value.at` is when the exit was
 * seen (nanoseconds on the run's axis), which is what checkers use.
 */
import type { Invocation } from "../history/op.js";
import type { ActorExit } from "./types.js";

/** The `f` of an actor-exit op. */
export const ACTOR_EXIT_F = "actor-exit";

/** The process an actor-exit op is journaled on. */
export const ACTORS_PROCESS = "nemesis" as const;

/** The value of an actor-exit op. */
export interface ActorExitValue {
  readonly actor: string;
  readonly pid: number;
  readonly code: number | null;
  readonly signal: string | null;
  readonly cause: ActorExit["cause"];
  readonly run: number;
  /** Nanoseconds on the run's time axis when the exit was seen. */
  readonly at: number;
}

/** The invocation the runner journals (as invoke + info) for an exit seen at `atNs` on the run's axis. */
export function actorExitOp(exit: ActorExit, atNs: number): Invocation<ActorExitValue> {
  return {
    f: ACTOR_EXIT_F,
    value: {
      actor: exit.actor,
      pid: exit.pid,
      code: exit.code,
      signal: exit.signal,
      cause: exit.cause,
      run: exit.run,
      at: Math.round(atNs),
    },
  };
}
