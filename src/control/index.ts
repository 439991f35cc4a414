/**
 * External control: a test's main phase driven from outside, one operation
 * per command, through a control directory of FIFOs (Antithesis' test
 * composer protocol, as Jepsen's `jepsen.antithesis` speaks it).
 *
 * - `mainPhase(gen)` marks the part of a test's generator that is the main
 *   phase: under `crucible antithesis` it ends when the driver says `check`,
 *   elsewhere it changes nothing.
 * - `FifoController` is the runner side: pass its `driveMainPhase` to
 *   `runTest`, then hand the verdict to `finish`.
 * - `resolveControlledSeed` takes the seed from the driver's entropy.
 *
 * The driver's side is `scripts/composer/composer.sh op|check` (or
 * `crucible composer op|check`). See docs/antithesis.md.
 */
export {
  CONTROLLED_MAIN_PHASE_LIMIT_MS,
  controlledSpec,
  EXHAUSTED_ANSWER,
  FifoController,
  type FifoControllerOptions,
} from "./controller.js";
export { type ControlCommand, ControlDirectory, parseCommandName, RUNNER_PID_FILE } from "./directory.js";
export { closeQuietly, openFifoForWriting, writeAndClose } from "./fifo.js";
export {
  controlledWorkload,
  cutAtMainPhaseEnd,
  defaultPhaseSwitch,
  type MainPhaseOptions,
  mainPhase,
  PhaseSwitch,
  type TestPhase,
} from "./phase.js";
export {
  ENTROPY_FILE_ENV,
  resolveControlledSeed,
  SEED_ENV,
  type SeedChoice,
  seedFromEntropyFile,
} from "./seed.js";
