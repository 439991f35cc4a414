import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { demoServerCommand, packageRoot } from "../../src/demo/launch.js";
import { eventually, stopAll, tempDir } from "./helpers.js";

afterEach(stopAll);

describe("demoServerCommand", () => {
  it("runs the source through tsx, resolved from the package (not the child's cwd)", () => {
    const { command, args } = demoServerCommand({ from: "source" });
    expect(command).toBe(process.execPath);
    expect(args[0]).toBe("--import");
    expect(args[1]).toMatch(/^file:\/\/.*\/tsx\/.*\.mjs$/);
    expect(args[2]).toBe(join(packageRoot(), "src", "demo", "main.ts"));
  });

  it("points at dist/demo/main.js when asked for the build, or says to build", () => {
    const built = join(packageRoot(), "dist", "demo", "main.js");
    if (existsSync(built)) {
      expect(demoServerCommand({ from: "dist" }).args).toEqual([built]);
    } else {
      expect(() => demoServerCommand({ from: "dist" })).toThrow(/npm run build/);
    }
  });

  it("a server started with --exit-on-stdin-close stops when its parent's pipe closes", async () => {
    const { command, args } = demoServerCommand();
    const child = spawn(
      command,
      [...args, "--name", "n1", "--data-dir", await tempDir(), "--exit-on-stdin-close"],
      { stdio: ["pipe", "pipe", "ignore"] },
    );
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      let stdout = "";
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      await eventually("READY", 30_000, async () => stdout.includes("READY "));
      child.stdin.end(); // what the kernel does for us when the parent dies
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
