/**
 * vitest adapter: one `describe` per file (and per subtest), one `test` per
 * directive, so a failure shows the directive's `file:line`, its command
 * and the unified diff, and the rest of the file shows as skipped.
 *
 * ```ts
 * import { describeDataDriven } from "crucible/datadriven/vitest";
 * describeDataDriven("test/datadriven/testdata", perFile(async () => ({ handler, close })));
 * ```
 *
 * Files are parsed while vitest collects tests (a parse error becomes one
 * failing test naming `file:line`); the handler is opened in `beforeAll` and
 * closed, with the rewrite written (`CRUCIBLE_REWRITE=1`), in `afterAll`.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { afterAll, beforeAll, describe, test } from "vitest";
import { invariant, UsageError } from "../errors/index.js";
import { type DataDrivenFile, type Entry, parseDataDriven } from "./parser.js";
import {
  DataDrivenFileRun,
  type DataDrivenOptions,
  DirectiveFailure,
  directiveStepName,
  type HandlerSource,
  SKIPPED_FILE,
} from "./run.js";

export type VitestDataDrivenOptions = Pick<DataDrivenOptions, "rewrite" | "onResult">;

/** Register the datadriven tests of `path` (a file, or a folder walked recursively). */
export function describeDataDriven(
  path: string,
  handler: HandlerSource,
  options: VitestDataDrivenOptions = {},
): void {
  const files = statSync(path).isDirectory() ? listFilesSync(path) : [path];
  for (const file of files) {
    const name = relative(path, file) || basename(file);
    let parsed: DataDrivenFile;
    try {
      parsed = parseDataDriven(readFileSync(file, "utf8"), { path: file });
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      test(`${name}: parse`, () => {
        throw error;
      });
      continue;
    }
    describe(name, () => {
      let run: DataDrivenFileRun | undefined;
      beforeAll(async () => {
        run = await DataDrivenFileRun.open(parsed, handler, options);
      });
      afterAll(async () => {
        await run?.close();
      });
      registerEntries(parsed.entries, () => run);
    });
  }
}

function registerEntries(entries: readonly Entry[], currentRun: () => DataDrivenFileRun | undefined): void {
  for (const entry of entries) {
    if (entry.kind === "subtest") {
      describe(entry.name.slice(entry.name.lastIndexOf("/") + 1), () =>
        registerEntries(entry.entries, currentRun),
      );
      continue;
    }
    test(directiveStepName(entry), async (context) => {
      const run = currentRun();
      invariant(run !== undefined, "datadriven: the file's handler did not open");
      if (run.stopped) {
        run.skip(entry);
        context.skip("an earlier directive of this file failed");
        return;
      }
      const result = await run.runDirective(entry);
      if (result.status === "mismatch" || result.status === "error") throw new DirectiveFailure(result);
    });
  }
}

function listFilesSync(dir: string, maxFiles = 10_000): string[] {
  const files: string[] = [];
  const visit = (folder: string): void => {
    for (const name of readdirSync(folder).sort()) {
      if (SKIPPED_FILE.test(name)) continue;
      const full = join(folder, name);
      if (statSync(full).isDirectory()) visit(full);
      else files.push(full);
      if (files.length > maxFiles) throw new UsageError(`more than ${maxFiles} files under the folder`, dir);
    }
  };
  visit(dir);
  return files;
}
