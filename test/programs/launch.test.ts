import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { crucibleCliCommand, demoServerCommand } from "../../src/demo/launch.js";
import { packageRoot, programCommand } from "../../src/programs/launch.js";

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/** A throwaway package: dist/p/main.js built at t=2000 s, src/p/main.ts and src/lib/deep/util.ts at t=1000 s. */
function fakePackage(): string {
  const root = mkdtempSync(join(tmpdir(), "crucible-programs-"));
  roots.push(root);
  const files = ["dist/p/main.js", "src/p/main.ts", "src/lib/deep/util.ts"];
  for (const file of files) {
    mkdirSync(join(root, file, ".."), { recursive: true });
    writeFileSync(join(root, file), "");
  }
  utimesSync(join(root, "dist/p/main.js"), 2000, 2000);
  utimesSync(join(root, "src/p/main.ts"), 1000, 1000);
  utimesSync(join(root, "src/lib/deep/util.ts"), 1000, 1000);
  return root;
}

const spec = (root: string, watch: readonly string[]) =>
  ({ root, built: "dist/p/main.js", source: "src/p/main.ts", watch }) as const;

describe("programCommand", () => {
  it("runs the build when no watched source is newer", () => {
    const root = fakePackage();
    expect(programCommand(spec(root, ["p", "lib"])).args).toEqual([join(root, "dist/p/main.js")]);
  });

  it("runs the source through tsx when a file deep in a watched folder is newer than the build", () => {
    const root = fakePackage();
    utimesSync(join(root, "src/lib/deep/util.ts"), 3000, 3000);
    const { command, args } = programCommand(spec(root, ["p", "lib"]));
    expect(command).toBe(process.execPath);
    expect(args[0]).toBe("--import");
    expect(args[1]).toMatch(/^file:\/\/.*\/tsx\/.*\.mjs$/);
    expect(args[2]).toBe(join(root, "src/p/main.ts"));
    // Watching the whole of src/ sees it too; watching only the program's own folder does not.
    expect(programCommand(spec(root, ["."])).args[2]).toBe(join(root, "src/p/main.ts"));
    expect(programCommand(spec(root, ["p"])).args).toEqual([join(root, "dist/p/main.js")]);
  });

  it("honours from, and says what is missing", () => {
    const root = fakePackage();
    utimesSync(join(root, "src/p/main.ts"), 3000, 3000);
    expect(programCommand({ ...spec(root, ["p"]), from: "dist" }).args).toEqual([
      join(root, "dist/p/main.js"),
    ]);
    rmSync(join(root, "dist"), { recursive: true });
    expect(() => programCommand({ ...spec(root, ["p"]), from: "dist" })).toThrow(/npm run build/);
    expect(programCommand(spec(root, ["p"])).args[2]).toBe(join(root, "src/p/main.ts"));
    rmSync(join(root, "src"), { recursive: true });
    expect(() => programCommand(spec(root, ["p"]))).toThrow(/neither .* nor .* exists/);
  });

  it("names this package's demo server and CLI entry points", () => {
    expect(demoServerCommand({ from: "source" }).args[2]).toBe(join(packageRoot(), "src", "demo", "main.ts"));
    expect(crucibleCliCommand({ from: "source" }).args[2]).toBe(join(packageRoot(), "src", "cli", "bin.ts"));
  });
});
