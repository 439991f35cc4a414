import type { Op } from "../../src/history/op.js";

export const read = { f: "read", value: null };
export const write = (value: number) => ({ f: "write", value });

export const invokes = (history: readonly Op[]): Op[] => history.filter((op) => op.type === "invoke");
export const completions = (history: readonly Op[]): Op[] => history.filter((op) => op.type !== "invoke");
export const fs = (history: readonly Op[]): string[] => invokes(history).map((op) => op.f);
