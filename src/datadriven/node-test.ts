/**
 * node:test adapter: one test per call, a subtest per file, per subtest and
 * per directive (`t.test`), so `node --test` shows each directive as a step
 * and a failure names its `file:line` with the unified diff.
 *
 * ```ts
 * import { testDataDriven } from "crucible/datadriven/node-test";
 * testDataDriven("testdata", handler);          // registers a top-level test
 * // or inside your own test:
 * test("scenarios", (t) => walkDataDriven("testdata", handler, { step: nodeTestStep(t) }));
 * ```
 */
import { type TestContext, test } from "node:test";
import { type DataDrivenOptions, type HandlerSource, type StepRunner, walkDataDriven } from "./run.js";

/** A step runner that makes each step a node:test subtest of `t`. */
export function nodeTestStep(t: TestContext): StepRunner {
  return (name, run) => t.test(name, (inner) => run(nodeTestStep(inner)));
}

export type NodeTestDataDrivenOptions = Pick<DataDrivenOptions, "rewrite" | "onResult" | "signal">;

/** Register a top-level node:test test that runs the datadriven files of `path`. */
export function testDataDriven(
  path: string,
  handler: HandlerSource,
  options: NodeTestDataDrivenOptions = {},
): void {
  test(`datadriven ${path}`, async (t) => {
    // Failures are reported by the failing subtests; node:test fails this parent with them.
    await walkDataDriven(path, handler, { ...options, step: nodeTestStep(t), throwOnFailure: false });
  });
}
