/**
 * The ready-made handler of `crucible datadriven --target demo|etcd|redis`:
 * the generic directives plus the cluster directives
 * (`directives/cluster.ts`), over one cluster per file.
 *
 * ```ts
 * await walkDataDriven("examples/datadriven", perFile((file) =>
 *   makeClusterHandler(file, { rewrite: false, target: "demo" })));
 * ```
 *
 * The cluster starts on the first directive that needs it (a file of
 * generic directives starts nothing) and stops in `close()`, which the
 * engine calls after the file whether its directives passed, mismatched or
 * threw: no process outlives the file. Without a target (`flags.target`
 * undefined) only the generic directives run, and a cluster directive is a
 * usage error that says to pass `--target`.
 */
import type { DatadrivenFlags } from "../cli/datadriven.js";
import { UsageError } from "../errors/index.js";
import { CLUSTER_DIRECTIVE_NAMES, clusterDirectives } from "./directives/cluster.js";
import { ClusterHarness } from "./directives/harness.js";
import { TARGET_KINDS, type TargetKind } from "./directives/target.js";
import { type DirectiveTable, genericDirectives, tableHandler } from "./generic.js";
import type { DirectiveHandler, FileHandler } from "./run.js";

export { CLUSTER_DIRECTIVE_NAMES, clusterDirectives } from "./directives/cluster.js";
export { ClusterHarness } from "./directives/harness.js";
export { allTrue, formatCompletion, formatValue, parseOpLine, parseOpLines } from "./directives/ops.js";
export { type OpResult, Sessions } from "./directives/sessions.js";
export {
  type DataDrivenTarget,
  type DemoTargetMode,
  startTarget,
  TARGET_KINDS,
  type TargetKind,
  type TargetOptions,
} from "./directives/target.js";

/** Make the handler for one file; see the module doc. `_file` is unused: every file gets the same setup. */
export async function makeClusterHandler(_file: string, flags: DatadrivenFlags): Promise<FileHandler> {
  if (flags.target === undefined) return { handler: tableHandler(genericDirectives(withoutTarget())) };
  if (!(TARGET_KINDS as readonly string[]).includes(flags.target))
    throw new UsageError(`--target ${flags.target}: expected one of ${TARGET_KINDS.join(", ")}`);
  const kind = flags.target as TargetKind;
  if (flags.demoMode !== undefined && kind !== "demo")
    throw new UsageError(`--demo-mode applies to --target demo, not ${kind}`);
  if (flags.demoMode !== undefined && flags.demoMode !== "linearizable" && flags.demoMode !== "stale-reads")
    throw new UsageError(`--demo-mode ${flags.demoMode}: expected linearizable or stale-reads`);
  const harness = new ClusterHarness({
    kind,
    ...(flags.demoMode === undefined ? {} : { demoMode: flags.demoMode }),
  });
  return {
    handler: tableHandler(genericDirectives(clusterDirectives(harness))),
    close: () => harness.close(),
  };
}

/** Without a target, each cluster directive explains how to get one instead of "unknown directive". */
function withoutTarget(): DirectiveTable {
  const table: Record<string, DirectiveHandler> = {};
  for (const name of CLUSTER_DIRECTIVE_NAMES) {
    table[name] = (d) => {
      throw d.error(
        `unknown directive ${JSON.stringify(d.cmd)} without a target: cluster directives need --target ${TARGET_KINDS.join("|")}`,
      );
    };
  }
  return table;
}
