/**
 * The log scope for node:test: every test and subtest runs in a
 * {@link LogScope}, so a failing test prints the node logs of every cluster
 * it started and keeps their dirs, and a passing one removes them, without a
 * line in the test itself (what `crucible/cluster/vitest` gives vitest).
 *
 * Import it at the top of a test file, or preload it for every file:
 *
 * ```sh
 * node --test --import crucible/cluster/node-test
 * ```
 *
 * It registers a top-level `beforeEach`/`afterEach`, which node:test runs
 * around every test of the file, subtests (`t.test`) included; a subtest's
 * scope nests in its parent's. The verdict is the test context's `passed`
 * (Node 20.12 and later) after the test body and its own hooks ran; a failed
 * subtest fails its parents' scopes too, as node:test fails the parents.
 */
import { afterEach, beforeEach } from "node:test";
import { type LogScope, openLogScope } from "./log-scope.js";

/** What the hooks read of a test context; `passed` is in Node since 20.12, not yet in @types/node 20. */
interface HookContext {
  readonly name: string;
  readonly passed?: boolean;
}

const scopes = new WeakMap<HookContext, LogScope>();

beforeEach((context: HookContext) => {
  scopes.set(context, openLogScope(context.name, { nested: true }));
});

afterEach((context: HookContext) => {
  const scope = scopes.get(context);
  scopes.delete(context);
  // `passed` is missing only on a Node older than engines allows; a verdict we cannot read keeps the evidence.
  scope?.close({ failed: context.passed !== true });
});
