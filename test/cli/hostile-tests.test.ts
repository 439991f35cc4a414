/**
 * Test files written to break the runner, each run as a user runs it (a
 * separate `crucible run t.mjs` process): clients, checkers, generators and
 * clusters that hang, throw what is not an Error, or return the wrong shape.
 * None may crash the run with a trace, exit with Node's 13 ("nothing left to
 * wait on"), lose results.json, or turn into a verdict it has not earned.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const CLI = resolve("test/cli/fixtures/crucible.ts");
const SRC = resolve("src/index.ts");
const root = mkdtempSync(join(tmpdir(), "crucible-hostile-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Case {
  /** The client's invoke function (source). */
  invoke?: string;
  open?: string;
  close?: string;
  generator?: string;
  checker?: string;
  /** Replaces the whole `export default` (source), for definitions that are not objects. */
  definition?: string;
}

function testFile(name: string, c: Case): string {
  const invoke = c.invoke ?? "async () => ({ type: 'ok' })";
  const open = c.open ?? `async () => ({ invoke: ${invoke}, close: ${c.close ?? "async () => {}"} })`;
  const body =
    c.definition ??
    `defineTest({ name: "t", timeLimitMs: 1000, opTimeoutMs: 300, checkerTimeoutMs: 1000,
  client: { name: "c", open: ${open} },
  generator: ${c.generator ?? "() => ({ f: 'write', value: 1 })"}, checker: [${c.checker ?? "stats()"}] })`;
  const path = join(root, `${name}.mjs`);
  writeFileSync(
    path,
    `import { defineTest, stats } from ${JSON.stringify(SRC)};\nconst nullProto = Object.create(null);\nexport default ${body};\n`,
  );
  return path;
}

function run(
  name: string,
  c: Case,
): Promise<{ code: number | null; stdout: string; stderr: string; store: string }> {
  const file = testFile(name, c);
  const store = join(root, `store-${name}`);
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, ["--import", "tsx", CLI, "run", file, "--store", store], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, CI: "1", NO_COLOR: "1" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += String(chunk);
    });
    child.stderr.on("data", (chunk) => {
      stderr += String(chunk);
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 45_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr, store });
    });
  });
}

function hasResults(store: string): boolean {
  if (!existsSync(store)) return false;
  return readdirSync(store).some((test) => existsSync(join(store, test, "latest", "results.json")));
}

describe.concurrent("hostile test files", () => {
  it("an invoke that never settles: its ops time out as info, the run ends (not exit 13)", async () => {
    const r = await run("hung-invoke", { invoke: "() => new Promise(() => {})" });
    expect(r.code).toBe(2);
    expect(hasResults(r.store)).toBe(true);
  });

  it("an open() that never settles: the ops time out, the run ends", async () => {
    const r = await run("hung-open", { open: "() => new Promise(() => {})" });
    expect(r.code).toBe(2);
    expect(hasResults(r.store)).toBe(true);
  });

  it("a close() that never settles: exit 3, results written, the cause named", async () => {
    const r = await run("hung-close", { close: "() => new Promise(() => {})" });
    expect(r.code).toBe(3);
    expect(hasResults(r.store)).toBe(true);
    expect(r.stdout + r.stderr).toContain("close() did not settle");
  });

  it("a checker that never settles is unknown after its bound", async () => {
    const r = await run("hung-checker", { checker: "{ name: 'never', check: () => new Promise(() => {}) }" });
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toContain("did not finish within 1000 ms");
  });

  it.each([
    ["valid-false-string", "{ name: 'odd', check: () => ({ valid: 'false' }) }"],
    ["valid-zero", "{ name: 'odd', check: () => ({ valid: 0 }) }"],
    ["returns-undefined", "{ name: 'odd', check: () => undefined }"],
  ])("a checker returning a non-result (%s) is unknown, named broken", async (name, checker) => {
    const r = await run(name, { checker });
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toContain("checker odd is broken");
    expect(hasResults(r.store)).toBe(true);
  });

  it("a checker throwing a null-prototype object: unknown, checker crashed, no trace", async () => {
    const r = await run("checker-throws", {
      checker: "{ name: 'boom', check: () => { throw nullProto; } }",
    });
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toContain("checker crashed");
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /);
  });

  it("a client throwing a null-prototype object: info ops, not INVALID", async () => {
    const r = await run("client-throws", { invoke: "async () => { throw nullProto; }" });
    expect(r.code).toBe(2);
  });

  it.each([
    ["gen-42", { generator: "() => 42" }, "the generator gave 42"],
    ["gen-no-f", { generator: "() => ({ value: 1 })" }, 'the generator gave {"value":1}'],
    [
      "def-throws",
      { definition: "() => { throw new Error('no config'); }" },
      "definition function threw: no config",
    ],
    [
      "cluster-42",
      {
        definition: `defineTest({ name: "t", timeLimitMs: 1000, cluster: async () => 42,
          client: { name: "c", open: async () => ({ invoke: async () => ({ type: "ok" }), close: async () => {} }) },
          generator: () => ({ f: "write", value: 1 }), checker: [stats()] })`,
      },
      "cluster() resolved to 42",
    ],
  ] as const)("a test of the wrong shape (%s) is exit 64 naming the file", async (name, c, expected) => {
    const r = await run(name, c);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain(`${name}.mjs`);
    expect(r.stderr).toContain(expected);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("a generator throwing a string: exit 3, the string named, never a valid headline", async () => {
    const r = await run("gen-throws-string", { generator: "() => { throw 'boom'; }" });
    expect(r.code).toBe(3);
    expect(r.stdout + r.stderr).toContain("run failed: boom");
    expect(r.stdout).not.toMatch(/· valid/);
  });
});
