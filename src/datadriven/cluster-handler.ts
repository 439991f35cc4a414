/**
 * The ready-made handler of `crucible datadriven --target demo|etcd|redis|postgres`:
 * the generic directives plus the cluster directives
 * (`directives/cluster.ts`), over one cluster per file; for `postgres`, the
 * SQL directives (`directives/sql.ts`) over one throwaway server per file.
 *
 * ```ts
 * await walkDataDriven("examples/datadriven/demo", perFile((file) =>
 *   makeClusterHandler(file, { target: "demo" })));
 * ```
 *
 * The cluster starts on the first directive that needs it (a file of
 * generic directives starts nothing) and stops in `close()`, which the
 * engine calls after the file whether its directives passed, mismatched or
 * threw: no process outlives the file. Without a target (`options.target`
 * undefined) only the generic directives run, and a cluster directive is a
 * usage error that names the missing `target` setting.
 */
import { UsageError } from "../errors/index.js";
import { CLUSTER_DIRECTIVE_NAMES, clusterDirectives } from "./directives/cluster.js";
import { ClusterHarness } from "./directives/harness.js";
import { SQL_DIRECTIVE_NAMES, SqlHarness, sqlDirectives } from "./directives/sql.js";
import { TARGET_KINDS, type TargetKind } from "./directives/target.js";
import { type DirectiveTable, genericDirectives, tableHandler } from "./generic.js";
import type { DirectiveHandler, FileHandler } from "./run.js";

export { CLUSTER_DIRECTIVE_NAMES, clusterDirectives } from "./directives/cluster.js";
export { ClusterHarness } from "./directives/harness.js";
export { allTrue, formatCompletion, formatValue, parseOpLine, parseOpLines } from "./directives/ops.js";
export { type OpResult, Sessions } from "./directives/sessions.js";
export {
  formatDatum,
  SQL_DIRECTIVE_NAMES,
  SqlHarness,
  type SqlHarnessOptions,
  splitStatements,
  sqlDirectives,
} from "./directives/sql.js";
export {
  type DataDrivenTarget,
  type DemoTargetMode,
  startTarget,
  TARGET_KINDS,
  type TargetKind,
  type TargetOptions,
} from "./directives/target.js";

/**
 * What the ready-made handler drives. The CLI maps its flags onto this
 * (`--target` → `target`, `--demo-mode` → `demoMode`); a user's own runner
 * fills it in directly.
 */
export interface ClusterHandlerOptions {
  /** The system the directives drive (`demo`, `etcd`, `redis`, `postgres`); undefined: generic directives only. */
  readonly target?: string | undefined;
  /** The demo server's mode (`linearizable`, `stale-reads`); only with target `demo`. */
  readonly demoMode?: string | undefined;
}

/** Make the handler for one file; see the module doc. `_file` is unused: every file gets the same setup. */
export async function makeClusterHandler(
  _file: string,
  options: ClusterHandlerOptions,
): Promise<FileHandler> {
  const { target, demoMode } = options;
  if (target === undefined) return { handler: tableHandler(genericDirectives(withoutTarget())) };
  if (target === "postgres") {
    if (demoMode !== undefined)
      throw new UsageError("not postgres", undefined, {
        setting: { name: "demoMode", value: demoMode, requires: { name: "target", value: "demo" } },
      });
    const sql = new SqlHarness();
    return { handler: tableHandler(genericDirectives(sqlDirectives(sql))), close: () => sql.close() };
  }
  if (!(TARGET_KINDS as readonly string[]).includes(target))
    throw new UsageError(`expected one of ${[...TARGET_KINDS, "postgres"].join(", ")}`, undefined, {
      setting: { name: "target", value: target },
    });
  const kind = target as TargetKind;
  if (demoMode !== undefined && kind !== "demo")
    throw new UsageError(`not ${kind}`, undefined, {
      setting: { name: "demoMode", value: demoMode, requires: { name: "target", value: "demo" } },
    });
  if (demoMode !== undefined && demoMode !== "linearizable" && demoMode !== "stale-reads")
    throw new UsageError("expected linearizable or stale-reads", undefined, {
      setting: { name: "demoMode", value: demoMode },
    });
  const harness = new ClusterHarness({ kind, ...(demoMode === undefined ? {} : { demoMode }) });
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
      throw new UsageError(
        `unknown directive ${JSON.stringify(d.cmd)} without a target: cluster directives need one`,
        d.pos,
        { setting: { name: "target", expected: TARGET_KINDS } },
      );
    };
  }
  for (const name of SQL_DIRECTIVE_NAMES) {
    table[name] = (d) => {
      throw new UsageError(
        `unknown directive ${JSON.stringify(d.cmd)} without a target: SQL directives need PostgreSQL`,
        d.pos,
        { setting: { name: "target", expected: ["postgres"] } },
      );
    };
  }
  return table;
}
