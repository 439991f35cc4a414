import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Directive } from "../../src/datadriven/directive.js";
import { tableHandler } from "../../src/datadriven/generic.js";
import {
  DataDrivenError,
  perFile,
  rewriteFromEnv,
  runDataDriven,
  type StepRunner,
  walkDataDriven,
} from "../../src/datadriven/run.js";
import { UsageError } from "../../src/errors/index.js";
import { fixtureHandler } from "./handler.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "crucible-dd-test-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe("runDataDriven", () => {
  it("passes when every output matches", async () => {
    const path = write("ok", "echo\nhi\n----\nhi\n\nnoop\n----\n");
    const result = await runDataDriven(path, fixtureHandler);
    expect(result.status).toBe("pass");
    expect(result.results.map((r) => r.status)).toEqual(["pass", "pass"]);
  });

  it("reports a mismatch at file:line with a unified diff, and stops the file there", async () => {
    const path = write("bad", "# c\necho\na\nb\n----\na\nc\n\necho\nnever run\n----\nnever run\n");
    const error = await runDataDriven(path, fixtureHandler).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataDrivenError);
    const message = (error as DataDrivenError).message;
    expect(message).toContain(`${path}:2: output of \`echo\` does not match the expected output`);
    expect(message).toContain("--- expected\n+++ actual\n@@ -1,2 +1,2 @@\n a\n-c\n+b\n");
    expect(message).toContain("CRUCIBLE_REWRITE=1");
    const [file] = (error as DataDrivenError).files;
    expect(file!.results.map((r) => r.status)).toEqual(["mismatch", "skipped"]);
  });

  it("reports a handler error at file:line without throwing when throwOnFailure is false", async () => {
    const path = write("err", "\n\nboom\n----\n");
    const handler = tableHandler({
      boom: () => {
        throw new Error("kaput");
      },
    });
    const result = await runDataDriven(path, handler, { throwOnFailure: false });
    expect(result.status).toBe("fail");
    expect(result.results[0]!.message).toMatch(new RegExp(`^${path}:3: \`boom\` failed: Error: kaput`));
  });

  it("names an unknown directive and the known ones", async () => {
    const path = write("unknown", "frobnicate x=1\n----\n");
    const result = await runDataDriven(path, fixtureHandler, { throwOnFailure: false });
    expect(result.results[0]!.error).toBeInstanceOf(UsageError);
    expect(result.results[0]!.message).toMatch(
      new RegExp(`^${path}:1: unknown directive "frobnicate"; known: append-file, cat-file, .*retry`),
    );
  });

  it("returns a parse error as an invalid file (and throws it by default)", async () => {
    const path = write("broken", "a k=(1\n----\n");
    const result = await runDataDriven(path, fixtureHandler, { throwOnFailure: false });
    expect(result.status).toBe("invalid");
    expect(result.error?.message).toMatch(new RegExp(`^${path}:1: cannot parse directive`));
    await expect(runDataDriven(path, fixtureHandler)).rejects.toThrow(DataDrivenError);
  });

  it("gives each file a fresh handler with perFile and closes it", async () => {
    const a = write("a", "count\n----\n1\n\ncount\n----\n2\n");
    const events: string[] = [];
    const source = perFile((file) => {
      let count = 0;
      events.push(`open ${file}`);
      return { handler: () => String(++count), close: () => void events.push(`close ${file}`) };
    });
    await runDataDriven(a, source);
    await runDataDriven(a, source);
    expect(events).toEqual([`open ${a}`, `close ${a}`, `open ${a}`, `close ${a}`]);
  });

  it("calls the step runner for each subtest and directive, nested", async () => {
    const path = write("steps", "a\n----\n\nsubtest s\nb\n----\n\nsubtest end\n");
    const names: string[] = [];
    const step =
      (prefix: string): StepRunner =>
      async (name, run) => {
        names.push(prefix + name);
        await run(step(`${prefix}${name} > `));
      };
    await runDataDriven(path, tableHandler({ a: () => "", b: () => "" }), { step: step("") });
    expect(names).toEqual(["line 1: a", "s", "s > line 5: b"]);
  });

  it("removes the temp dir after the file", async () => {
    const path = write("temp", "create-file name=f\nx\n----\n\necho\n<TEMP>\n----\n<TEMP>\n");
    let seen = "";
    const handler = (d: Directive) => {
      seen = d.tempDir;
      return fixtureHandler(d);
    };
    await runDataDriven(path, handler);
    expect(seen).not.toBe("");
    expect(() => readFileSync(join(seen, "f"))).toThrow(/ENOENT/);
  });
});

describe("rewrite mode", () => {
  it("fixes a mismatching copy of a fixture, preserving comments, then passes", async () => {
    const path = join(dir, "basic");
    cpSync("test/datadriven/testdata/format/basic", path);
    const original = readFileSync(path, "utf8");
    const broken = original
      .replace("one\ntwo\n\n", "one\nTWO\n\n")
      .replace('cmd=show\ninput=""\n', "wrong\n");
    expect(broken).not.toBe(original);
    writeFileSync(path, broken);
    await expect(runDataDriven(path, fixtureHandler, { rewrite: false })).rejects.toThrow(DataDrivenError);

    const result = await runDataDriven(path, fixtureHandler, { rewrite: true });
    expect(result.rewritten).toBe(true);
    expect(readFileSync(path, "utf8")).toBe(original);
    expect((await runDataDriven(path, fixtureHandler, { rewrite: false })).status).toBe("pass");
  });

  it("leaves correct files byte for byte (every fixture)", async () => {
    cpSync("test/datadriven/testdata", join(dir, "copy"), { recursive: true });
    const results = await walkDataDriven(join(dir, "copy"), fixtureHandler, { rewrite: true });
    expect(results.length).toBeGreaterThanOrEqual(8);
    for (const result of results) {
      expect(result.rewritten).toBe(false);
      const original = result.path.replace(join(dir, "copy"), "test/datadriven/testdata");
      expect(readFileSync(result.path, "utf8")).toBe(readFileSync(original, "utf8"));
    }
  });

  it("switches a changed output with blank lines to the double separator", async () => {
    const path = write("grow", "# keep me\necho\na\n\nb\n----\nold\n\n# and me\n");
    await runDataDriven(path, fixtureHandler, { rewrite: true });
    expect(readFileSync(path, "utf8")).toBe(
      "# keep me\necho\na\n\nb\n----\n----\na\n\nb\n----\n----\n\n# and me\n",
    );
  });

  it("does not write a file whose handler failed", async () => {
    const text = "echo\nx\n----\nold\n\nboom\n----\n";
    const path = write("fail", text);
    const handler = tableHandler({
      echo: (d) => d.input,
      boom: () => {
        throw new Error("no");
      },
    });
    const result = await runDataDriven(path, handler, { rewrite: true, throwOnFailure: false });
    expect(result.status).toBe("fail");
    expect(readFileSync(path, "utf8")).toBe(text);
  });

  it("is turned on by CRUCIBLE_REWRITE=1", () => {
    expect(rewriteFromEnv({ CRUCIBLE_REWRITE: "1" })).toBe(true);
    expect(rewriteFromEnv({ CRUCIBLE_REWRITE: "true" })).toBe(true);
    expect(rewriteFromEnv({ CRUCIBLE_REWRITE: "0" })).toBe(false);
    expect(rewriteFromEnv({})).toBe(false);
  });
});

describe("walkDataDriven", () => {
  it("runs files in name order, recursively, skipping hidden and editor temp files", async () => {
    write("b", "noop\n----\n");
    write("a", "noop\n----\n");
    write(".hidden", "broken k=(\n");
    write("a~", "broken k=(\n");
    write("#a#", "broken k=(\n");
    const results = await walkDataDriven(dir, fixtureHandler);
    expect(results.map((r) => r.path)).toEqual([join(dir, "a"), join(dir, "b")]);
  });

  it("collects every failing file into one error", async () => {
    write("a", "echo\nx\n----\ny\n");
    write("b", "a k=(\n");
    write("c", "noop\n----\n");
    const error = (await walkDataDriven(dir, fixtureHandler).catch((e: unknown) => e)) as DataDrivenError;
    expect(error).toBeInstanceOf(DataDrivenError);
    expect(error.files.map((f) => [f.path, f.status])).toEqual([
      [join(dir, "a"), "fail"],
      [join(dir, "b"), "invalid"],
    ]);
  });
});

describe("retry bounds (a typo must neither spin nor hang)", () => {
  it.each([
    ["timeout=-5s", "timeout= expects a duration above 0"],
    ["timeout=0", "timeout= expects a duration above 0"],
    ["timeout=2h", "at most 10m"],
    ["timeout=1s interval=-1ms", "interval= expects"],
  ])("retry %s is an error at file:line", async (args, expected) => {
    const path = write("retry-bad", `retry ${args}\nnoop\n----\n`);
    const result = await runDataDriven(path, fixtureHandler, { throwOnFailure: false });
    expect(result.status).toBe("fail");
    expect(JSON.stringify(result.results)).toContain(expected);
    expect(JSON.stringify(result.results)).toContain(`${path}:1`);
  });
});
