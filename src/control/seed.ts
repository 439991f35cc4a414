/**
 * Where a run's seed comes from: the one resolution `crucible run` and
 * `crucible antithesis` share (`resolveSeed`), and the run's seed under
 * external control, from the driver's entropy (`resolveControlledSeed`).
 *
 * A driver such as Antithesis explores schedules by controlling every source
 * of randomness a program reads (it replaces `/dev/urandom`); a CI script or
 * fuzzer may instead hand over a number. Under control the seed is taken
 * from, first to last:
 *
 * 1. `--seed N` on the command line;
 * 2. the `CRUCIBLE_SEED` environment variable (a decimal integer);
 * 3. an entropy file: `--entropy-file PATH` or `CRUCIBLE_ENTROPY_FILE`
 *    (its first 6 bytes, big-endian: a 48-bit seed; `/dev/urandom` under
 *    Antithesis);
 * 4. a fresh seed from the OS (`crypto.getRandomValues`, which is itself the
 *    hypervisor's entropy under Antithesis).
 *
 * Whichever it was is recorded in test.json (`spec.control.seedSource`), and
 * the printed replay command pins the seed. `crucible run` takes steps 1 and
 * 4 only: an environment variable left over in a shell must not pin the seed
 * of every ordinary run (the run prints its seed, so it replays anyway).
 */
import { closeSync, openSync, readSync } from "node:fs";
import { describeError, UsageError } from "../errors/index.js";
import { freshSeed, parseSeed } from "../random/random.js";

export const SEED_ENV = "CRUCIBLE_SEED";
export const ENTROPY_FILE_ENV = "CRUCIBLE_ENTROPY_FILE";

/** Bytes read from an entropy file: 48 bits, inside Number.MAX_SAFE_INTEGER like `freshSeed`. */
const ENTROPY_BYTES = 6;

export interface SeedChoice {
  seed: number;
  /** Where it came from, in words: `--seed`, `env CRUCIBLE_SEED`, `file /dev/urandom`, `fresh`. */
  source: string;
}

export interface SeedSources {
  /** `--seed`, when given: always first. */
  flagSeed?: number | undefined;
  /** `--entropy-file`, when given (before `CRUCIBLE_ENTROPY_FILE`). */
  entropyFile?: string | undefined;
  /**
   * The environment to read `CRUCIBLE_SEED` and `CRUCIBLE_ENTROPY_FILE` from; without it no environment
   * variable is read (`crucible run`).
   */
  env?: Readonly<Record<string, string | undefined>> | undefined;
}

export interface ControlledSeedOptions extends SeedSources {
  /** The environment to read (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
}

/** Read the first 6 bytes of `path` as a big-endian 48-bit seed. */
export function seedFromEntropyFile(path: string): number {
  const buffer = Buffer.alloc(ENTROPY_BYTES);
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    throw new UsageError(`cannot open the entropy file: ${describeError(error)}`, path);
  }
  try {
    let filled = 0;
    // A device may return fewer bytes than asked; a bounded number of reads then.
    for (let attempt = 0; attempt < 64 && filled < ENTROPY_BYTES; attempt++) {
      const read = readSync(fd, buffer, filled, ENTROPY_BYTES - filled, null);
      if (read === 0) break;
      filled += read;
    }
    if (filled < ENTROPY_BYTES) {
      throw new UsageError(`the entropy file holds fewer than ${ENTROPY_BYTES} bytes`, path);
    }
  } finally {
    closeSync(fd);
  }
  return buffer.readUIntBE(0, ENTROPY_BYTES);
}

/**
 * The seed from the sources given, first to last: `flagSeed`, `CRUCIBLE_SEED` in `env`, the entropy file
 * (`entropyFile`, else `CRUCIBLE_ENTROPY_FILE` in `env`), a fresh one. A malformed `CRUCIBLE_SEED`, or an
 * entropy file that cannot be read, is a `UsageError`. The one place a seed is chosen for a run.
 */
export function resolveSeed(sources: SeedSources): SeedChoice {
  if (sources.flagSeed !== undefined) return { seed: sources.flagSeed, source: "--seed" };
  const env = sources.env ?? {};
  const fromEnv = env[SEED_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== "") {
    const seed = parseSeed(fromEnv);
    if (seed === undefined) {
      throw new UsageError(`${SEED_ENV} must be a non-negative integer, got "${fromEnv}"`);
    }
    return { seed, source: `env ${SEED_ENV}` };
  }
  const file = sources.entropyFile ?? (env[ENTROPY_FILE_ENV]?.trim() || undefined);
  if (file !== undefined) return { seed: seedFromEntropyFile(file), source: `file ${file}` };
  return { seed: freshSeed(), source: "fresh" };
}

/** The seed for an externally controlled run, and where it came from: `resolveSeed` reading `process.env` by default. */
export function resolveControlledSeed(options: ControlledSeedOptions = {}): SeedChoice {
  return resolveSeed({ ...options, env: options.env ?? process.env });
}
