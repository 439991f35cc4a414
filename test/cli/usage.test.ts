import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { main } from "../../src/cli/main.js";

let stderr: string;

beforeEach(() => {
  stderr = "";
  process.exitCode = undefined;
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
});

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

describe("crucible run: bad input exits 64 with a message naming the problem", () => {
  it("an unknown flag", async () => {
    expect(await main(["run", "--no-such-flag"])).toBe(64);
    expect(stderr).toContain("unknown option '--no-such-flag'");
  });

  it("a bad --time-limit", async () => {
    expect(await main(["run", "--time-limit", "soon"])).toBe(64);
    expect(stderr).toContain('expected a duration like 20, 2.5s, 500ms or 1m; got "soon"');
  });

  it("a bad --nemesis kind", async () => {
    expect(await main(["run", "--nemesis", "kill,meteor"])).toBe(64);
    expect(stderr).toContain('got "meteor"');
  });

  it("an empty --nemesis list (a typo, not a way to say none)", async () => {
    expect(await main(["run", "--nemesis", ""])).toBe(64);
    expect(stderr).toContain("expected none or a comma-separated list");
    expect(await main(["run", "--nemesis", ","])).toBe(64);
  });

  it("a --nemesis-interval past Node's timer limit", async () => {
    expect(await main(["run", "--nemesis-interval", "99999999999999999999"])).toBe(64);
    expect(stderr).toContain("at most 24 days");
  });

  it("--nemesis clock on --target redis: its redis-server never starts under libfaketime", async () => {
    const began = performance.now();
    expect(await main(["run", "--target", "redis", "--nemesis", "kill,clock", "--time-limit", "10"])).toBe(
      64,
    );
    expect(performance.now() - began, "refused before any node starts").toBeLessThan(2_000);
    expect(stderr).toContain("--nemesis clock on --target redis");
    expect(stderr).toContain("linked with jemalloc, which hangs at start under libfaketime");
    expect(stderr).not.toContain("seed:");
  });

  it("--tls on a target or workload without TLS", async () => {
    expect(await main(["run", "--tls"])).toBe(64);
    expect(stderr).toContain("--tls needs --target etcd, redis or postgres (the demo server has no TLS)");
    expect(await main(["run", "--tls", "--target", "etcd", "--workload", "lock"])).toBe(64);
    expect(stderr).toContain("--tls: the lock workload's wrappers (etcdctl, demo-lock) do not speak TLS yet");
  });

  it("a test file that does not export a test", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "crucible-cli-")), "not-a-test.ts");
    writeFileSync(file, "export const answer: number = 42;\n");
    expect(await main(["run", file])).toBe(64);
    expect(stderr).toContain(`${file}: the file does not export a test`);
  });

  it("a test file that does not exist", async () => {
    expect(await main(["run", "/nonexistent/test.ts"])).toBe(64);
    expect(stderr).toContain("/nonexistent/test.ts: no such test file");
  });

  it("a test file that does not compile", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "crucible-cli-")), "broken.ts");
    writeFileSync(file, "export default {{{\n");
    expect(await main(["run", file])).toBe(64);
    expect(stderr).toContain(`${file}: could not load the test file`);
  });

  it("a test that would check nothing (no checker)", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "crucible-cli-")), "no-checker.ts");
    writeFileSync(
      file,
      'export default { name: "t", client: { name: "c", open: async () => ({}) }, generator: [], checker: [] };\n',
    );
    expect(await main(["run", file, "--nemesis", "none"])).toBe(64);
    expect(stderr).toContain(`${file}: not a valid test: expected \`checker\``);
  });

  it("an unknown command", async () => {
    expect(await main(["frobnicate"])).toBe(64);
  });
});

describe("--help shows durations in the units its labels name", () => {
  it("run --help: (default: 20s), never milliseconds under <seconds>", async () => {
    let stdout = "";
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      stdout += String(chunk);
      return true;
    });
    expect(await main(["run", "--help"])).toBe(0);
    expect(stdout).toMatch(/--time-limit <seconds>[\s\S]*?\(default: 20s\)/);
    // Help wraps long descriptions: the default's words may be split over lines.
    expect(stdout).toMatch(
      /--op-timeout <seconds>[\s\S]*?\(default: a\s+fifth\s+of\s+--nemesis-interval,\s+at\s+most\s+5s\)/,
    );
    expect(stdout).not.toContain("20000");
  });
});
