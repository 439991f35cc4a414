/**
 * The log scope for vitest, as a setup file: every test runs in a
 * {@link LogScope}, so a failing test prints the node logs of every cluster
 * it started and keeps their dirs, and a passing one removes them, without a
 * line in the test itself.
 *
 * ```ts
 * // vitest.config.ts
 * export default defineConfig({ test: { setupFiles: ["crucible/cluster/vitest"] } });
 * ```
 *
 * Importing it elsewhere than a setup file (at the top of one test file)
 * scopes the tests of that file only.
 */
import { afterEach, beforeEach } from "vitest";
import { type LogScope, openLogScope } from "./log-scope.js";

let scope: LogScope | undefined;

beforeEach((context) => {
  scope = openLogScope(context.task.name);
});

afterEach((context) => {
  const failed = context.task.result?.state === "fail" || (context.task.result?.errors?.length ?? 0) > 0;
  scope?.close({ failed });
  scope = undefined;
});
