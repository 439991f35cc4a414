import { describe, expect, it } from "vitest";
import { checkLinearizable } from "../../../src/checker/linearizable/index.js";
import {
  type AnyModel,
  fencedMutexModel,
  modelByName,
  ownerMutexModel,
  semaphoreModel,
} from "../../../src/checker/models/index.js";
import type { Op } from "../../../src/history/op.js";

/** [process, type, f, value]: one line per op, times 1 ms apart. */
type Line = [number, Op["type"], string, unknown];
const history = (lines: readonly Line[]): Op[] =>
  lines.map(([process, type, f, value], index) => ({
    index,
    time: index * 1_000_000,
    type,
    process,
    f,
    value,
  }));
const check = (model: AnyModel, lines: readonly Line[]) => checkLinearizable(history(lines), model);

describe("owner-mutex", () => {
  it("is registered by name", () => {
    expect(modelByName("owner-mutex")).toBe(ownerMutexModel);
    expect(modelByName("fenced-mutex")).toBe(fencedMutexModel);
  });

  it("only the holder may release; a plain hand-over is fine", () => {
    expect(
      check(ownerMutexModel, [
        [0, "invoke", "acquire", null],
        [0, "ok", "acquire", null],
        [0, "invoke", "release", null],
        [0, "ok", "release", null],
        [1, "invoke", "acquire", null],
        [1, "ok", "acquire", null],
      ]).valid,
    ).toBe(true);
    const stranger = check(ownerMutexModel, [
      [0, "invoke", "acquire", null],
      [0, "ok", "acquire", null],
      [1, "invoke", "release", null],
      [1, "ok", "release", null],
    ]);
    expect(stranger.valid).toBe(false);
  });

  it("is not reentrant, and an owner in the value survives a process change", () => {
    expect(
      check(ownerMutexModel, [
        [0, "invoke", "acquire", null],
        [0, "ok", "acquire", null],
        [0, "invoke", "acquire", null],
        [0, "ok", "acquire", null],
      ]).valid,
    ).toBe(false);
    // Process 0's acquire ended info; as process 5 the same client (owner c1) releases: legal.
    expect(
      check(ownerMutexModel, [
        [0, "invoke", "acquire", { owner: "c1" }],
        [0, "info", "acquire", { owner: "c1" }],
        [5, "invoke", "release", { owner: "c1" }],
        [5, "ok", "release", { owner: "c1" }],
      ]).valid,
    ).toBe(true);
  });
});

describe("fenced-mutex", () => {
  it("fences must grow with every new hold", () => {
    const ok = check(fencedMutexModel, [
      [0, "invoke", "acquire", null],
      [0, "ok", "acquire", 3],
      [0, "invoke", "release", null],
      [0, "ok", "release", null],
      [1, "invoke", "acquire", null],
      [1, "ok", "acquire", { fence: 4 }],
    ]);
    expect(ok.valid).toBe(true);
    const stale = check(fencedMutexModel, [
      [0, "invoke", "acquire", null],
      [0, "ok", "acquire", 3],
      [0, "invoke", "release", null],
      [0, "ok", "release", null],
      [1, "invoke", "acquire", null],
      [1, "ok", "acquire", 3],
    ]);
    expect(stale.valid).toBe(false);
  });

  it("refuses an ok acquire without a fence, naming the op", () => {
    expect(() =>
      check(fencedMutexModel, [
        [0, "invoke", "acquire", null],
        [0, "ok", "acquire", "soon"],
      ]),
    ).toThrow(/op 0: an ok acquire of a fenced-mutex returned "soon"/);
  });
});

describe("semaphore", () => {
  it("N permits: N holders at once, not N+1", () => {
    const two = semaphoreModel(2);
    expect(two.name).toBe("semaphore-2");
    const lines: Line[] = [
      [0, "invoke", "acquire", null],
      [0, "ok", "acquire", null],
      [1, "invoke", "acquire", null],
      [1, "ok", "acquire", null],
    ];
    expect(check(two, lines).valid).toBe(true);
    expect(check(two, [...lines, [2, "invoke", "acquire", null], [2, "ok", "acquire", null]]).valid).toBe(
      false,
    );
    // A release lets the third in.
    expect(
      check(two, [
        ...lines,
        [0, "invoke", "release", null],
        [0, "ok", "release", null],
        [2, "invoke", "acquire", null],
        [2, "ok", "acquire", null],
      ]).valid,
    ).toBe(true);
  });

  it("owner-aware: one may release only permits it holds; several permits at once", () => {
    const three = semaphoreModel(3);
    expect(
      check(three, [
        [0, "invoke", "acquire", { permits: 2 }],
        [0, "ok", "acquire", { permits: 2 }],
        [1, "invoke", "release", null],
        [1, "ok", "release", null],
      ]).valid,
    ).toBe(false);
    expect(
      check(semaphoreModel(3, { ownerAware: false }), [
        [0, "invoke", "acquire", { permits: 2 }],
        [0, "ok", "acquire", { permits: 2 }],
        [1, "invoke", "release", null],
        [1, "ok", "release", null],
      ]).valid,
    ).toBe(true);
    expect(() => semaphoreModel(0)).toThrow(/permits is 0/);
  });
});
