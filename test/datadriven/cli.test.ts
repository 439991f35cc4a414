import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type DatadrivenCommandOptions,
  type DatadrivenFlags,
  registerDatadrivenCommand,
  runDatadrivenCommand,
} from "../../src/cli/datadriven.js";
import { ExitCode } from "../../src/errors/index.js";
import { fixtureHandler } from "./handler.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "crucible-dd-cli-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function run(
  paths: string[],
  flags: Partial<DatadrivenFlags> = {},
  options: DatadrivenCommandOptions = {},
) {
  let stdout = "";
  let stderr = "";
  const code = await runDatadrivenCommand(
    paths,
    { rewrite: false, ...flags },
    {
      stdout: (text) => {
        stdout += text;
      },
      stderr: (text) => {
        stderr += text;
      },
      ...options,
    },
  );
  return { code, stdout, stderr };
}

const withFixtureHandler: DatadrivenCommandOptions = {
  makeHandler: async () => ({ handler: fixtureHandler }),
};

describe("crucible datadriven", () => {
  it("exits 0 when every directive matches", async () => {
    const { code, stdout } = await run(["test/datadriven/testdata"], {}, withFixtureHandler);
    expect(code).toBe(ExitCode.valid);
    expect(stdout).toMatch(/8 file\(s\), \d+ directive\(s\): \d+ passed, 0 mismatched, 0 errored, 0 skipped/);
  });

  it("runs the generic directives by default", async () => {
    const { code } = await run(["test/datadriven/testdata/generic"]);
    expect(code).toBe(ExitCode.valid);
  });

  it("exits 1 on a mismatch and prints the diff; --rewrite fixes the file, after which it passes", async () => {
    const path = join(dir, "files");
    const original = readFileSync("test/datadriven/testdata/generic/files", "utf8");
    writeFileSync(path, original.replace("port=1\nmode=fast\n\n# <TEMP>", "port=2\nmode=fast\n\n# <TEMP>"));
    const failed = await run([path]);
    expect(failed.code).toBe(ExitCode.invalid);
    expect(failed.stdout).toContain(`FAIL       ${path}`);
    expect(failed.stderr).toContain(`${path}:10: output of \`cat-file name=config/app.conf\` does not match`);
    expect(failed.stderr).toContain("-port=2\n+port=1\n");

    const rewritten = await run([path], { rewrite: true });
    expect(rewritten.code).toBe(ExitCode.valid);
    expect(rewritten.stdout).toContain(`rewritten  ${path}`);
    expect(readFileSync(path, "utf8")).toBe(original);
    expect((await run([path])).code).toBe(ExitCode.valid);
  });

  it("exits 64 on a parse error, naming file:line", async () => {
    const path = join(dir, "broken");
    writeFileSync(path, "# c\nput k=(1\n----\n");
    const { code, stderr } = await run([path]);
    expect(code).toBe(ExitCode.usage);
    expect(stderr).toContain(`${path}:2: cannot parse directive at column 8`);
  });

  it("exits 64 on an unknown directive and on a missing path", async () => {
    const path = join(dir, "unknown");
    writeFileSync(path, "exec\nwrite x 1\n----\nok write x 1\n");
    const unknown = await run([path]);
    expect(unknown.code).toBe(ExitCode.usage);
    expect(unknown.stderr).toContain(`${path}:1: unknown directive "exec"`);
    expect((await run([join(dir, "nope")])).code).toBe(ExitCode.usage);
  });

  it("with --target, a file of generic directives passes and starts no cluster", async () => {
    const path = join(dir, "any");
    writeFileSync(path, "echo\nx\n----\nx\n");
    expect((await run([path], { target: "demo" })).code).toBe(ExitCode.valid);
  });

  it("exits 3 when a handler crashes, and passes flags to makeHandler", async () => {
    const path = join(dir, "crash");
    writeFileSync(path, "anything\n----\n");
    const seen: DatadrivenFlags[] = [];
    const { code, stderr } = await run(
      [path],
      { target: "etcd", demoMode: "stale-reads" },
      {
        makeHandler: async (_file, flags) => {
          seen.push(flags);
          return {
            handler: () => {
              throw new Error("connection refused");
            },
          };
        },
      },
    );
    expect(code).toBe(ExitCode.runFailed);
    expect(stderr).toContain(`${path}:1: \`anything\` failed: Error: connection refused`);
    expect(seen).toEqual([{ rewrite: false, target: "etcd", demoMode: "stale-reads" }]);
  });

  it("registers the command with its flags on a commander program", async () => {
    cpSync("test/datadriven/testdata/generic/files", join(dir, "files"));
    const program = new Command().exitOverride();
    let out = "";
    const collect = (text: string): void => {
      out += text;
    };
    registerDatadrivenCommand(program, { stdout: collect, stderr: collect });
    const previous = process.exitCode;
    try {
      await program.parseAsync(["datadriven", join(dir, "files"), "--rewrite"], { from: "user" });
      expect(process.exitCode).toBe(ExitCode.valid);
      expect(out).toContain("up to date");
      await expect(
        program.parseAsync(["datadriven", dir, "--target", "nope"], { from: "user" }),
      ).rejects.toThrow(/expected one of demo, etcd, redis/);
    } finally {
      process.exitCode = previous;
    }
  });
});
