/**
 * Options a test file declares for itself (Jepsen's `opt-spec`): each has a
 * name, a type, a default and a help line (all required). `crucible run my-test.ts --help`
 * lists them beside the built-in flags, `--rate 10` sets one, a bad value is
 * a usage error naming it (exit 64), and the values reach the test's
 * definition function as `options.test`, are stored in `test.json` and are
 * replayed by the reproduce command (which repeats the command line).
 *
 * ```ts
 * export default defineTest(
 *   (options) => ({ name: "bank", generator: transfers(options.test.accounts), ... }),
 *   { options: { accounts: { type: "integer", default: 5, help: "accounts to transfer between" } } },
 * );
 * ```
 *
 * Names are written in camelCase in the declaration (`readRatio`) and as
 * kebab-case flags on the command line (`--read-ratio`). A declaration that
 * reuses a built-in flag's name is refused: the built-in would silently win.
 */
import { UsageError } from "../errors/index.js";

export type TestOptionType = "string" | "integer" | "number" | "boolean" | "duration" | "choice";

interface TestOptionBase {
  /** One line for `--help`. */
  readonly help: string;
}

export type TestOptionSpec =
  | (TestOptionBase & { readonly type: "string"; readonly default: string })
  | (TestOptionBase & {
      readonly type: "integer";
      readonly default: number;
      readonly min?: number;
      readonly max?: number;
    })
  | (TestOptionBase & {
      readonly type: "number";
      readonly default: number;
      readonly min?: number;
      readonly max?: number;
    })
  | (TestOptionBase & { readonly type: "boolean"; readonly default: boolean })
  /** Milliseconds; given on the command line as `20`, `2.5s`, `500ms` or `1m` (seconds without a unit). */
  | (TestOptionBase & { readonly type: "duration"; readonly default: number })
  | (TestOptionBase & {
      readonly type: "choice";
      readonly choices: readonly string[];
      readonly default: string;
    });

export type TestOptionSpecs = Readonly<Record<string, TestOptionSpec>>;

export type TestOptionValue = string | number | boolean;

/** The values a test receives, typed from its declarations. */
export type TestOptionValues<O extends TestOptionSpecs> = {
  readonly [K in keyof O]: O[K] extends { type: "boolean" }
    ? boolean
    : O[K] extends { type: "integer" | "number" | "duration" }
      ? number
      : O[K] extends { type: "choice"; choices: readonly (infer C)[] }
        ? C
        : string;
};

/** Where a definition carries its declarations ({@link attachTestOptions}). */
const DECLARED = Symbol.for("crucible.testOptions");

/** Attach declarations to a definition (what `defineTest(definition, { options })` does). */
export function attachTestOptions<T extends object>(definition: T, options: TestOptionSpecs): T {
  Object.defineProperty(definition, DECLARED, { value: options, enumerable: false });
  return definition;
}

/** The options a definition declares; `{}` when none. */
export function declaredTestOptions(definition: unknown): TestOptionSpecs {
  if ((typeof definition !== "object" && typeof definition !== "function") || definition === null) return {};
  const declared = (definition as { [DECLARED]?: unknown })[DECLARED];
  return (declared ?? {}) as TestOptionSpecs;
}

const TYPES: readonly TestOptionType[] = ["string", "integer", "number", "boolean", "duration", "choice"];

/** `readRatio` → `read-ratio`: the flag a declared name is given as. */
export function flagNameOf(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * Check declarations before any is used: a bad one is the test file's mistake
 * (exit 64 naming it). `reserved` are the built-in flag names (kebab-case,
 * without dashes) a declaration may not reuse.
 */
export function validateTestOptionSpecs(
  specs: unknown,
  reserved: ReadonlySet<string>,
  source: string | undefined,
): TestOptionSpecs {
  if (typeof specs !== "object" || specs === null || Array.isArray(specs))
    throw new UsageError("`options` must be an object of option declarations", source);
  for (const [name, spec] of Object.entries(specs)) {
    const at = `option ${JSON.stringify(name)}`;
    if (!/^[a-z][a-zA-Z0-9]*$/.test(name))
      throw new UsageError(`${at}: expected a camelCase name of letters and digits`, source);
    if (reserved.has(flagNameOf(name)) || flagNameOf(name) === "help")
      throw new UsageError(`${at}: --${flagNameOf(name)} is a built-in flag; choose another name`, source);
    if (typeof spec !== "object" || spec === null)
      throw new UsageError(`${at}: expected { type, default?, help }`, source);
    const { type, help } = spec as { type?: unknown; help?: unknown };
    if (!TYPES.includes(type as TestOptionType))
      throw new UsageError(
        `${at}: type ${JSON.stringify(type)}; expected one of ${TYPES.join(", ")}`,
        source,
      );
    if (typeof help !== "string" || help.trim() === "")
      throw new UsageError(`${at}: expected \`help\`, one line saying what it does`, source);
    const typed = spec as TestOptionSpec;
    if (typed.type === "choice") {
      const choices = (typed as { choices?: unknown }).choices;
      if (!Array.isArray(choices) || choices.length === 0 || !choices.every((c) => typeof c === "string"))
        throw new UsageError(`${at}: a choice needs \`choices\`, a non-empty list of strings`, source);
    }
    if (typed.default === undefined)
      throw new UsageError(`${at}: expected \`default\`, the value when the flag is not given`, source);
    if (!defaultFits(typed))
      throw new UsageError(
        `${at}: default ${JSON.stringify(typed.default)} is not a valid ${typed.type}`,
        source,
      );
  }
  return specs as TestOptionSpecs;
}

function defaultFits(spec: TestOptionSpec): boolean {
  const value = spec.default;
  switch (spec.type) {
    case "string":
      return typeof value === "string";
    case "boolean":
      return typeof value === "boolean";
    case "choice":
      return typeof value === "string" && spec.choices.includes(value);
    case "integer":
      return Number.isSafeInteger(value) && inRange(spec, value as number);
    case "number":
      return typeof value === "number" && Number.isFinite(value) && inRange(spec, value);
    case "duration":
      return typeof value === "number" && value > 0 && value <= MAX_DURATION_MS;
  }
}

function inRange(spec: { min?: number; max?: number }, value: number): boolean {
  return (spec.min === undefined || value >= spec.min) && (spec.max === undefined || value <= spec.max);
}

/** The longest duration accepted: 24 days, just under Node's timer limit (2^31-1 ms). */
export const MAX_DURATION_MS = 24 * 86_400_000;

/**
 * A duration in seconds (`20`, `2.5`, `20s`, `500ms`, `1m`) → milliseconds,
 * or the words saying what was expected. Shared by the built-in duration
 * flags and declared `duration` options.
 */
export function parseDuration(text: string): number | string {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(text);
  if (!match) return `expected a duration like 20, 2.5s, 500ms or 1m; got "${text}"`;
  const amount = Number(match[1]);
  const unit = match[2] ?? "s";
  const ms = unit === "ms" ? amount : unit === "m" ? amount * 60_000 : amount * 1000;
  if (!(ms > 0)) return `expected a positive duration; got "${text}"`;
  // Node's timers hold at most 2^31-1 ms; a longer delay silently fires after 1 ms.
  if (ms > MAX_DURATION_MS)
    return `expected a duration of at most ${MAX_DURATION_MS / 86_400_000} days; got "${text}"`;
  return ms;
}

/** One value from its command-line text, or the words saying what was expected. */
export function parseTestOptionValue(
  spec: TestOptionSpec,
  text: string,
): TestOptionValue | { problem: string } {
  switch (spec.type) {
    case "string":
      return text;
    case "boolean":
      if (/^(true|1|yes)$/i.test(text)) return true;
      if (/^(false|0|no)$/i.test(text)) return false;
      return { problem: `expected true or false; got "${text}"` };
    case "choice":
      return spec.choices.includes(text)
        ? text
        : { problem: `expected one of ${spec.choices.join(", ")}; got "${text}"` };
    case "duration": {
      const ms = parseDuration(text);
      return typeof ms === "number" ? ms : { problem: ms };
    }
    case "integer":
    case "number": {
      const value = Number(text);
      const shape = spec.type === "integer" ? /^\s*-?\d+\s*$/ : /^\s*-?(\d+(\.\d*)?|\.\d+)(e[-+]?\d+)?\s*$/i;
      if (
        !shape.test(text) ||
        !Number.isFinite(value) ||
        (spec.type === "integer" && !Number.isSafeInteger(value))
      )
        return { problem: `expected ${spec.type === "integer" ? "an integer" : "a number"}; got "${text}"` };
      if (!inRange(spec, value)) {
        const bounds = [
          spec.min === undefined ? "" : `>= ${spec.min}`,
          spec.max === undefined ? "" : `<= ${spec.max}`,
        ];
        return { problem: `expected a value ${bounds.filter(Boolean).join(" and ")}; got "${text}"` };
      }
      return value;
    }
  }
}

/** Every declared option's value: what was given (already parsed), else its default. */
export function resolveTestOptions(
  specs: TestOptionSpecs,
  given: Readonly<Record<string, TestOptionValue | undefined>>,
): Record<string, TestOptionValue> {
  const values: Record<string, TestOptionValue> = {};
  for (const [name, spec] of Object.entries(specs)) {
    values[name] = given[name] ?? spec.default;
  }
  return values;
}
