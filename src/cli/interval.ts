/**
 * `crucible interval --log F --holder H [--token T] -- cmd args...`: run
 * `cmd` while recording the hold in the interval log (a start record
 * before, an end record after; docs/locks.md, "Recording intervals").
 * Exits with the command's code (128 + signal number when a signal ended
 * it), 127 when it does not exist, 64 on bad flags.
 */
import { type Command, InvalidArgumentError } from "commander";
import { recordInterval } from "../actors/record-interval.js";
import { UsageError } from "../errors/index.js";

interface IntervalFlags {
  log: string;
  holder: string;
  token?: string;
  tokenEnv?: string;
  slot?: number;
  slotEnv?: string;
  office?: string;
  key?: string;
}

const nonEmpty = (what: string) => (text: string) => {
  if (text === "") throw new InvalidArgumentError(`expected ${what}; got an empty string`);
  return text;
};

function parseSlot(text: string): number {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)))
    throw new InvalidArgumentError(`expected a non-negative integer; got "${text}"`);
  return Number(text);
}

/** A token that is all digits is recorded as an integer (fencing tokens compare as numbers), else as text. */
function tokenValue(text: string): string | number {
  return /^\d{1,15}$/.test(text) ? Number(text) : text;
}

function fromEnv(name: string, flag: string): string {
  const value = process.env[name];
  if (value === undefined || value === "")
    throw new UsageError(`${flag} ${name}: the environment has no ${name}; expected the wrapper to set it`);
  return value;
}

export function registerIntervalCommand(program: Command): Command {
  return program
    .command("interval")
    .description("run a command while recording its hold (start and end records) in an interval log")
    .requiredOption("--log <file>", "the interval log (JSONL, appended with O_APPEND)", nonEmpty("a file"))
    .requiredOption("--holder <name>", "who holds (an actor's name)", nonEmpty("a name"))
    .option("--token <token>", "the fencing token this hold was given")
    .option(
      "--token-env <var>",
      "take the token from this environment variable (etcdctl lock: ETCD_LOCK_REV)",
    )
    .option("--slot <n>", "which of N slots (semaphore permits) is held", parseSlot)
    .option("--slot-env <var>", "take the slot from this environment variable")
    .option("--office <name>", "which lock (several in one log)", nonEmpty("a name"))
    .option(
      "--key <key>",
      "what the hold ran for (a cron tick, a job id), for exactly-once",
      nonEmpty("a key"),
    )
    .argument("<command...>", "the command to run (after --)")
    .action(async (argv: string[], flags: IntervalFlags) => {
      if (flags.token !== undefined && flags.tokenEnv !== undefined)
        throw new UsageError("--token and --token-env: expected one of them, not both");
      if (flags.slot !== undefined && flags.slotEnv !== undefined)
        throw new UsageError("--slot and --slot-env: expected one of them, not both");
      const tokenText = flags.tokenEnv === undefined ? flags.token : fromEnv(flags.tokenEnv, "--token-env");
      const slot =
        flags.slotEnv === undefined
          ? flags.slot
          : (() => {
              const text = fromEnv(flags.slotEnv, "--slot-env");
              if (!/^\d+$/.test(text))
                throw new UsageError(
                  `--slot-env ${flags.slotEnv}: "${text}"; expected a non-negative integer`,
                );
              return Number(text);
            })();
      process.exitCode = await recordInterval({
        log: flags.log,
        holder: flags.holder,
        argv,
        ...(tokenText === undefined ? {} : { token: tokenValue(tokenText) }),
        ...(slot === undefined ? {} : { slot }),
        ...(flags.office === undefined ? {} : { office: flags.office }),
        ...(flags.key === undefined ? {} : { key: flags.key }),
      });
    });
}
