import { describe, expect, it } from "vitest";
import { cliErrorMessage, exitCodeForError, flagOfSetting } from "../../src/cli/errors.js";
import { ExitCode, UsageError } from "../../src/errors/index.js";

describe("the CLI's translation of library errors", () => {
  it("names a chosen setting by its flag; the library names it by its option", () => {
    const error = new UsageError("needs root", undefined, { setting: { name: "network", value: "netns" } });
    expect(error.message).toBe("network netns: needs root");
    expect(cliErrorMessage(error)).toBe("--network netns: needs root");
  });

  it("keeps where, and lists the values a missing setting could take", () => {
    const error = new UsageError("cluster directives need one", "a.txt:6", {
      setting: { name: "target", expected: ["demo", "etcd"] },
    });
    expect(error.message).toBe("a.txt:6: cluster directives need one (target demo|etcd)");
    expect(cliErrorMessage(error)).toBe("a.txt:6: cluster directives need one (--target demo|etcd)");
  });

  it("says which setting another one needs", () => {
    const error = new UsageError("not etcd", undefined, {
      setting: { name: "demoMode", value: "stale-reads", requires: { name: "target", value: "demo" } },
    });
    expect(error.message).toBe("demoMode applies to target demo, not etcd");
    expect(cliErrorMessage(error)).toBe("--demo-mode applies to --target demo, not etcd");
  });

  it("spells a setting missing from the table in kebab case", () => {
    expect(flagOfSetting("nemesisIntervalMs")).toBe("--nemesis-interval");
    expect(flagOfSetting("entropyFile")).toBe("--entropy-file");
  });

  it("leaves other errors as describeError words, and maps exit codes", () => {
    expect(cliErrorMessage(new UsageError("bad", "f:1"))).toBe("f:1: bad");
    expect(cliErrorMessage(new TypeError("boom"))).toBe("TypeError: boom");
    expect(cliErrorMessage("plain")).toBe("plain");
    expect(exitCodeForError(new UsageError("bad"))).toBe(ExitCode.usage);
    expect(exitCodeForError(new Error("crash"))).toBe(ExitCode.runFailed);
  });
});
