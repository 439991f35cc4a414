/**
 * Actors: client-side processes of the system under test (lock wrappers,
 * command-line users with their own homes), started, stopped, killed and
 * paused like cluster nodes, with every exit recorded. See docs/actors.md.
 */
export { EXEC_OUTPUT_MAX_BYTES } from "./exec.js";
export {
  ACTOR_ENV,
  ACTOR_STOP_GRACE_MS,
  ACTORS_MAX,
  Actors,
  type ActorsOptions,
  actorNames,
  startActors,
} from "./fixture.js";
export { ACTOR_EXIT_F, ACTORS_PROCESS, type ActorExitValue, actorExitOp } from "./ops.js";
export { type ActorTargetSpec, parseActorTarget, resolveActorTarget } from "./targets.js";
export type { Actor, ActorExit, ActorExitCause, ActorSpec, ExecOptions, ExecResult } from "./types.js";
