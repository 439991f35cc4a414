/**
 * The graph builder's evidence rows: implicit (edge id = row) while the
 * dependency edges come first, as the checkers add them, and explicit once a
 * dependency edge follows a process or real-time one.
 */
import { describe, expect, it } from "vitest";
import {
  evidenceRow,
  GraphBuilder,
  NONE,
  PROCESS,
  REALTIME,
  RW,
  WR,
  WW,
} from "../../../src/checker/txn/graph.js";

describe("GraphBuilder evidence", () => {
  it("dependency edges first: each is its own row, later edges have none", () => {
    const builder = new GraphBuilder(3);
    builder.add(0, 1, WW, 7, 1, 2);
    builder.add(1, 2, WR, 8, 3);
    builder.add(1, 1, RW, 9, 4, 5); // a self-edge is dropped
    builder.add(0, 2, REALTIME);
    const graph = builder.build();
    expect(graph.edgeCount).toBe(3);
    expect(graph.evidence).toBeUndefined();
    expect([0, 1, 2].map((e) => evidenceRow(graph, e))).toEqual([0, 1, NONE]);
    expect(graph.key[evidenceRow(graph, 1)]).toBe(8);
    expect(graph.valueB[evidenceRow(graph, 0)]).toBe(2);
  });

  it("a dependency edge after a process edge: rows kept per edge", () => {
    const builder = new GraphBuilder(3);
    builder.add(0, 1, WW, 7, 1, 2);
    builder.add(1, 2, PROCESS);
    builder.add(2, 0, RW, 9, 4, 5);
    builder.add(0, 2, REALTIME);
    builder.add(1, 0, WR, 8, 3);
    const graph = builder.build();
    expect(graph.evidence).toBeDefined();
    const rows = [0, 1, 2, 3, 4].map((e) => evidenceRow(graph, e));
    expect(rows).toEqual([0, NONE, 1, NONE, 2]);
    expect(rows.map((row) => (row === NONE ? NONE : graph.key[row]))).toEqual([7, NONE, 9, NONE, 8]);
    expect(graph.valueA[rows[2]!]).toBe(4);
    expect(graph.valueB[rows[2]!]).toBe(5);
  });
});
