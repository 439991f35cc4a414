import { describe, expect, it } from "vitest";
import { Directive, parseGoDurationMs } from "../../src/datadriven/directive.js";
import { parseDirectiveLine } from "../../src/datadriven/line-parser.js";
import { retry } from "../../src/datadriven/retry.js";
import { UsageError } from "../../src/errors/index.js";

function directive(line: string, extra: { expected?: string; rewrite?: boolean } = {}): Directive {
  const { cmd, args } = parseDirectiveLine(line);
  return new Directive({
    file: "t.txt",
    line: 7,
    cmd,
    args,
    input: "",
    expected: extra.expected ?? "",
    context: {
      rewrite: extra.rewrite ?? false,
      tempDir: () => "/tmp/x",
      presentOutput: (o) => (o === "" || o.endsWith("\n") ? o : `${o}\n`),
    },
  });
}

function usageError(run: () => unknown): UsageError {
  try {
    run();
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error("expected a UsageError");
}

describe("Directive argument helpers", () => {
  const d = directive("cmd n=42 neg=-3 on=true off=F flag t=1m30s f=2.5 s=hi range=(1, 5) many=(a, b) bad=x");

  it("looks arguments up by key (first occurrence)", () => {
    expect(d.hasArg("flag")).toBe(true);
    expect(d.hasArg("nope")).toBe(false);
    expect(d.arg("range")).toEqual({ key: "range", vals: ["1", "5"] });
    expect(directive("c k=1 k=2").intArg("k")).toBe(1);
  });

  it("parses typed values, with fallbacks for absent arguments", () => {
    expect(d.intArg("n")).toBe(42);
    expect(d.intArg("neg")).toBe(-3);
    expect(d.boolArg("on")).toBe(true);
    expect(d.boolArg("off")).toBe(false);
    expect(d.boolArg("flag")).toBe(true);
    expect(d.durationMsArg("t")).toBe(90_000);
    expect(d.scanArg("f", "float")).toBe(2.5);
    expect(d.stringArg("s")).toBe("hi");
    expect(d.intArg("absent", 9)).toBe(9);
    expect(d.stringsArg("many")).toEqual(["a", "b"]);
    const [low, high] = d.scanArgs("range", ["int", "int"]);
    expect(low + high).toBe(6);
  });

  it("throws UsageErrors that name file:line", () => {
    expect(usageError(() => d.intArg("bad")).message).toBe('t.txt:7: bad: cannot parse "x" as an integer');
    expect(usageError(() => d.intArg("missing")).message).toBe("t.txt:7: missing argument: missing");
    expect(usageError(() => d.scanArgs("range", ["int"])).message).toBe(
      "t.txt:7: range: expected 1 value(s), got 2",
    );
    expect(usageError(() => d.boolArg("s")).message).toBe('t.txt:7: s: cannot parse "hi" as a boolean');
    expect(usageError(() => d.durationMsArg("n")).message).toMatch(
      /^t\.txt:7: n: cannot parse "42" as a duration/,
    );
    expect(usageError(() => d.intArg("many")).message).toBe("t.txt:7: many: expected one value, got 2");
  });

  it("parses Go durations", () => {
    expect(parseGoDurationMs("300ms")).toBe(300);
    expect(parseGoDurationMs("1.5s")).toBe(1500);
    expect(parseGoDurationMs("1h2m")).toBe(3_720_000);
    expect(parseGoDurationMs("250us")).toBeCloseTo(0.25);
    expect(parseGoDurationMs("-2s")).toBe(-2000);
    expect(parseGoDurationMs("0")).toBe(0);
    expect(parseGoDurationMs("5")).toBeUndefined();
    expect(parseGoDurationMs("s")).toBeUndefined();
    expect(parseGoDurationMs("1x")).toBeUndefined();
  });

  it("writes its title as the directive line", () => {
    expect(directive("c a b=1 c=(x, y)").title).toBe("c a b=1 c=(x, y)");
  });
});

/** A fake clock: sleeping advances it, so no real time passes. */
function fakeClock() {
  let nowMs = 0;
  const sleeps: number[] = [];
  return {
    nowMs: () => nowMs,
    sleepMs: async (ms: number) => {
      sleeps.push(ms);
      nowMs += ms;
    },
    sleeps,
  };
}

describe("retry", () => {
  it("polls until the output matches, backing off", async () => {
    const clock = fakeClock();
    let calls = 0;
    const outcome = await retry(() => (++calls >= 4 ? "done" : "not yet"), {
      expected: "done\n",
      intervalMs: 10,
      ...clock,
    });
    expect(outcome).toEqual({ output: "done\n", matched: true, attempts: 4 });
    expect(clock.sleeps).toEqual([10, 20, 40]);
  });

  it("returns the last output when the deadline passes, never sleeping past it", async () => {
    const clock = fakeClock();
    const outcome = await retry(() => "never", {
      expected: "done\n",
      timeoutMs: 100,
      intervalMs: 30,
      ...clock,
    });
    expect(outcome.matched).toBe(false);
    expect(outcome.output).toBe("never\n");
    expect(clock.sleeps).toEqual([30, 60, 10]);
    expect(clock.nowMs()).toBe(100);
  });

  it("calls beforeRetry before every attempt after the first", async () => {
    const clock = fakeClock();
    const ticks: number[] = [];
    let value = 0;
    await retry(() => String(value), {
      expected: "3\n",
      beforeRetry: (attempt) => {
        ticks.push(attempt);
        value++;
      },
      ...clock,
    });
    expect(ticks).toEqual([2, 3, 4]);
  });

  it("Directive.retry waits for the expected output, and runs once in rewrite mode", async () => {
    let calls = 0;
    const attempt = () => String(++calls);
    const waiting = directive("c", { expected: "3\n" });
    expect(await waiting.retry(attempt, { sleepMs: async () => {} })).toBe("3\n");
    calls = 0;
    expect(await directive("c", { expected: "3\n", rewrite: true }).retry(attempt)).toBe("1");
  });
});
