/**
 * The options a test file declares (`defineTest(fn, { options })`), as flags
 * of the command that runs it: `crucible run my-test.ts --rate 10`. The file
 * is found on the command line before commander parses it (the first
 * positional argument), loaded, and each declared option added to the
 * command, so `--help` lists them, a bad value is exit 64 naming the flag,
 * and the action receives the parsed values among its flags.
 */
import { existsSync } from "node:fs";
import { type Command, InvalidArgumentError, Option } from "commander";
import {
  declaredTestOptions,
  flagNameOf,
  parseTestOptionValue,
  type TestOptionSpec,
  type TestOptionValue,
  validateTestOptionSpecs,
} from "../runner/test-options.js";
import { formatDurationFlag } from "./options.js";

/**
 * The test file `argv` names for `command` (its first positional argument),
 * if any: the arguments after the command's name, skipping flags and the
 * values of flags that take one.
 */
export function testFileArgument(command: Command, argv: readonly string[]): string | undefined {
  const start = argv.indexOf(command.name());
  if (start === -1) return undefined;
  for (let i = start + 1; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") return argv[i + 1];
    if (arg.startsWith("-")) {
      if (arg.includes("=")) continue;
      const option = command.options.find((o) => o.long === arg || o.short === arg);
      if (option?.required) i++;
      continue;
    }
    return arg;
  }
  return undefined;
}

/** What `--help` shows as an option's default. */
function defaultText(spec: TestOptionSpec): string {
  return spec.type === "duration" ? formatDurationFlag(spec.default) : String(spec.default);
}

function optionFor(name: string, spec: TestOptionSpec): Option {
  const flag = flagNameOf(name);
  const parse = (text: string): TestOptionValue => {
    const value = parseTestOptionValue(spec, text);
    if (typeof value === "object") throw new InvalidArgumentError(value.problem);
    return value;
  };
  const help = spec.type === "choice" ? `${spec.help} (${spec.choices.join(", ")})` : spec.help;
  const option =
    spec.type === "boolean"
      ? new Option(`--${flag} [true|false]`, help).preset(true)
      : new Option(
          `--${flag} <${spec.type === "duration" ? "seconds" : spec.type === "choice" ? "choice" : "value"}>`,
          help,
        );
  return option.argParser(parse).default(spec.default, defaultText(spec));
}

/** Load the test file `argv` names (if any) and add the options it declares to `command`. */
export async function addTestOptionFlags(
  command: Command,
  argv: readonly string[],
  load: (path: string) => Promise<unknown>,
): Promise<void> {
  const file = testFileArgument(command, argv);
  if (file === undefined || !existsSync(file)) return;
  const declared = declaredTestOptions(await load(file));
  const reserved = new Set(command.options.map((o) => (o.long ?? "").replace(/^--/, "")));
  validateTestOptionSpecs(declared, reserved, file);
  const entries = Object.entries(declared);
  if (entries.length === 0) return;
  command.optionsGroup(`Options of ${file}:`);
  for (const [name, spec] of entries) command.addOption(optionFor(name, spec));
}

/** The declared options' values among a command's parsed flags. */
export function testOptionsFromFlags(
  definition: unknown,
  flags: object,
): Record<string, TestOptionValue> | undefined {
  const declared = declaredTestOptions(definition);
  const names = Object.keys(declared);
  if (names.length === 0) return undefined;
  const values: Record<string, TestOptionValue> = {};
  for (const name of names) {
    const value = (flags as Record<string, unknown>)[name];
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean")
      values[name] = value;
  }
  return values;
}
