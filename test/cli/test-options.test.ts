/**
 * Options a test file declares for itself: listed by `--help`, set from the
 * command line, validated like the built-in flags (exit 64 naming the flag),
 * given to the definition as `options.test`, stored in test.json and kept in
 * the replay command. Each case is a separate `crucible` process, as a user
 * runs it.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const CLI = resolve("test/cli/fixtures/crucible.ts");
const SRC = resolve("src/index.ts");
const root = mkdtempSync(join(tmpdir(), "crucible-test-options-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A test whose client writes the value of `--level` and whose options are `declarations` (source). */
function testFile(name: string, declarations: string): string {
  const path = join(root, `${name}.mjs`);
  writeFileSync(
    path,
    `import { defineTest, stats } from ${JSON.stringify(SRC)};
export default defineTest((options) => ({
  name: "opts", timeLimitMs: 500,
  client: { name: "c", open: async () => ({ invoke: async () => ({ type: "ok" }), close: async () => {} }) },
  generator: () => ({ f: "write", value: options.test.level ?? 0 }),
  describe: { level: options.test.level, mode: options.test.mode },
  checker: [stats()],
}), { options: ${declarations} });
`,
  );
  return path;
}

const DECLARED = `{
  level: { type: "integer", default: 1, min: 0, max: 9, help: "how loud" },
  mode: { type: "choice", choices: ["a", "b"], default: "a", help: "which way" },
  pause: { type: "duration", default: 1500, help: "how long to wait" },
}`;

function crucible(args: readonly string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, CI: "1", NO_COLOR: "1" },
    });
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += String(chunk);
    });
    child.stderr.on("data", (chunk) => {
      out += String(chunk);
    });
    child.on("exit", (code) => resolvePromise({ code, out }));
  });
}

describe("test-defined options", () => {
  const file = testFile("declared", DECLARED);

  it("--help lists them with their defaults, after a value of another flag", {
    timeout: 60_000,
  }, async () => {
    const { code, out } = await crucible([
      "run",
      "--store",
      join(root, "s0"),
      file,
      "--level",
      "3",
      "--help",
    ]);
    expect(code).toBe(0);
    expect(out).toContain(`Options of ${file}:`);
    expect(out).toMatch(/--level <value>\s+how loud \(default: 1\)/);
    expect(out).toMatch(/--mode <choice>\s+which way \(a, b\) \(default: a\)/);
    expect(out).toMatch(
      /--pause <seconds>\s+how long to wait \(default: 1.5s\)|--pause <seconds>\s+how long to wait \(default: 1500ms\)/,
    );
  });

  it("--workload with a test file is refused, naming the file", { timeout: 60_000 }, async () => {
    const { code, out } = await crucible(["run", file, "--store", join(root, "s4"), "--workload", "lock"]);
    expect(code).toBe(64);
    expect(out).toContain(
      `${file}: a test file defines its own workload: drop --workload lock or the test file`,
    );
  });

  it("crucible antithesis lists them too", { timeout: 60_000 }, async () => {
    const { code, out } = await crucible(["antithesis", file, "--help"]);
    expect(code).toBe(0);
    expect(out).toMatch(/--level <value>\s+how loud \(default: 1\)/);
  });

  it.each([
    [["--level", "loud"], "--level <value>", 'expected an integer; got "loud"'],
    [["--level", "12"], "--level <value>", 'expected a value >= 0 and <= 9; got "12"'],
    [["--mode", "c"], "--mode <choice>", 'expected one of a, b; got "c"'],
    [["--pause", "soon"], "--pause <seconds>", "expected a duration"],
  ])("a bad value %j exits 64 naming the flag", { timeout: 60_000 }, async (flags, flag, expected) => {
    const { code, out } = await crucible(["run", file, "--store", join(root, "s1"), ...flags]);
    expect(code).toBe(64);
    expect(out).toContain(flag);
    expect(out).toContain(expected);
  });

  it("passes the values to the test, stores them and replays them", { timeout: 60_000 }, async () => {
    const store = join(root, "s2");
    const { code, out } = await crucible(["run", file, "--store", store, "--level", "7", "--seed", "5"]);
    expect(out).toContain("valid");
    expect(code).toBe(0);
    const test = JSON.parse(readFileSync(join(store, "opts", "latest", "test.json"), "utf8"));
    expect(test.testOptions).toEqual({ level: 7, mode: "a", pause: 1500 });
    expect(test.spec).toEqual({ level: 7, mode: "a" });
    expect(test.reproduce).toContain("--level 7");
    const history = readFileSync(join(store, "opts", "latest", "history.jsonl"), "utf8")
      .trim()
      .split("\n");
    const invoke = JSON.parse(history[0] ?? "{}");
    expect(invoke).toMatchObject({ type: "invoke", f: "write", value: 7 });
  });

  it.each([
    [
      "a built-in flag's name",
      `{ seed: { type: "integer", default: 1, help: "x" } }`,
      "--seed is a built-in flag",
    ],
    ["no default", `{ level: { type: "integer", help: "x" } }`, "expected `default`"],
    [
      "a default of the wrong type",
      `{ level: { type: "integer", default: "1", help: "x" } }`,
      "is not a valid integer",
    ],
    ["an unknown type", `{ level: { type: "int", default: 1, help: "x" } }`, 'type "int"'],
    ["no help", `{ level: { type: "integer", default: 1 } }`, "expected `help`"],
    ["a choice without choices", `{ mode: { type: "choice", default: "a", help: "x" } }`, "needs `choices`"],
    ["a kebab-case name", `{ "read-ratio": { type: "number", default: 1, help: "x" } }`, "camelCase"],
  ])(
    "a declaration with %s is refused, naming the test file",
    { timeout: 60_000 },
    async (_, declarations, expected) => {
      const bad = testFile(`bad-${Math.random().toString(36).slice(2)}`, declarations);
      const { code, out } = await crucible(["run", bad, "--store", join(root, "s3")]);
      expect(code).toBe(64);
      expect(out).toContain(bad);
      expect(out).toContain(expected);
    },
  );
});
