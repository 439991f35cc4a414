import { Help } from "commander";
import { describe, expect, it } from "vitest";
import { buildProgram, COMMANDS } from "../../src/cli/main.js";

describe("the static command table", () => {
  it("lists each command as its module registers it: name, usage and description", async () => {
    const loaded = await buildProgram();
    const help = new Help();
    expect(loaded.commands.map((command) => command.name())).toEqual(COMMANDS.map((entry) => entry.name));
    for (const entry of COMMANDS) {
      const command = loaded.commands.find((candidate) => candidate.name() === entry.name)!;
      expect(command.description(), entry.name).toBe(entry.description);
      expect(help.subcommandTerm(command), entry.name).toBe(`${entry.name} ${entry.usage}`.trim());
    }
  });

  it("loads only the invoked command; the others are stubs that --help still lists", async () => {
    const program = await buildProgram(["check", "x.jsonl"]);
    const check = program.commands.find((command) => command.name() === "check")!;
    const run = program.commands.find((command) => command.name() === "run")!;
    expect(check.options.map((option) => option.long)).toContain("--model");
    expect(run.options).toEqual([]);
    const listed = program.helpInformation();
    for (const entry of COMMANDS) expect(listed).toContain(`${entry.name} ${entry.usage}`.trim());
  });

  it("`help <cmd>` and a command registered by another's module (composer) load the right module", async () => {
    const viaHelp = await buildProgram(["help", "run"]);
    expect(viaHelp.commands.find((command) => command.name() === "run")!.options.length).toBeGreaterThan(0);
    const composer = await buildProgram(["composer", "op"]);
    const names = composer.commands.find((command) => command.name() === "composer")!.commands;
    expect(names.map((command) => command.name())).toEqual(["op", "check"]);
  });
});
