/**
 * Directives that need no system under test, and the table that dispatches
 * directives by name. A handler is `(d: Directive) => string | Promise<string>`;
 * a table maps command names to handlers, so the cluster directives (exec,
 * async/await, wait, tick, hold/release, kill/restart, ...) slot in as one
 * more table merged with this one:
 *
 * ```ts
 * const handler = tableHandler({ ...genericDirectives(), ...clusterDirectives(cluster) });
 * ```
 *
 * Generic directives:
 * - `create-file name=<path>`: write the input (plus a final newline) to
 *   `<path>` under the file's temp dir; prints nothing.
 * - `append-file name=<path>`: append the input (plus a final newline).
 * - `cat-file name=<path>`: print a file of the temp dir.
 * - `echo`: print the input (arguments are ignored); handy for `<TEMP>`.
 * - `retry [timeout=5s] [interval=10ms]`: the first input line is another
 *   directive line, the remaining lines its input; run it until its output
 *   matches this directive's expected output or the timeout passes.
 *
 * `<TEMP>` in any input or argument stands for the temp dir, and the temp
 * dir's path in any output is printed as `<TEMP>` (the engine does both).
 */
import { appendFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { UsageError } from "../errors/index.js";
import type { Directive } from "./directive.js";
import { parseDirectiveLine } from "./line-parser.js";
import type { DirectiveHandler } from "./run.js";

/** Command name → handler. */
export type DirectiveTable = Readonly<Record<string, DirectiveHandler>>;

/**
 * A handler that dispatches on `d.cmd`; an unknown command is a `UsageError`
 * at the directive's `file:line` listing the known ones. The table's
 * handlers may call `dispatch` (the returned handler) for nested directives.
 */
export function tableHandler(table: DirectiveTable): DirectiveHandler {
  const dispatch: DirectiveHandler = (d) => {
    const handler = Object.hasOwn(table, d.cmd) ? table[d.cmd] : undefined;
    if (handler === undefined)
      throw d.error(
        `unknown directive ${JSON.stringify(d.cmd)}; known: ${Object.keys(table).sort().join(", ")}`,
      );
    return handler(d);
  };
  return dispatch;
}

/** The generic directives; `retry` runs nested directives through `dispatch` (default: this table plus `extra`). */
export function genericDirectives(extra: DirectiveTable = {}): DirectiveTable {
  const table: Record<string, DirectiveHandler> = {
    "create-file": async (d) => {
      const path = await tempFilePath(d);
      await writeFile(path, withFinalNewline(d.input));
      return "";
    },
    "append-file": async (d) => {
      const path = await tempFilePath(d);
      await appendFile(path, withFinalNewline(d.input));
      return "";
    },
    "cat-file": async (d) => {
      const path = await tempFilePath(d);
      try {
        return await readFile(path, "utf8");
      } catch (error) {
        return `error: ${(error as NodeJS.ErrnoException).code ?? String(error)}`;
      }
    },
    echo: (d) => d.input,
    ...extra,
  };
  const dispatch = tableHandler(table);
  table.retry = retryDirective(dispatch);
  return table;
}

/** Longest `retry timeout=` accepted: a typo must not hang a test for hours. */
const MAX_RETRY_TIMEOUT_MS = 10 * 60_000;

/** The `retry` directive, running nested directives through `dispatch`. */
export function retryDirective(dispatch: DirectiveHandler): DirectiveHandler {
  return async (d) => {
    const timeoutMs = d.durationMsArg("timeout", 5_000);
    const intervalMs = d.durationMsArg("interval", 10);
    if (!(timeoutMs > 0) || timeoutMs > MAX_RETRY_TIMEOUT_MS)
      throw d.error("retry: timeout= expects a duration above 0 and at most 10m");
    if (!(intervalMs >= 0) || intervalMs > timeoutMs)
      throw d.error("retry: interval= expects a duration of at least 0 and at most the timeout");
    const [header = "", ...rest] = d.input.split("\n");
    const nested = parseDirectiveLine(header, `${d.file}:${d.line + 1}`);
    if (nested.cmd === "") throw d.error("retry: expected a directive line as the first line of the input");
    if (nested.cmd === "retry") throw d.error("retry: cannot nest retry");
    const inner = d.with({
      line: d.line + 1,
      cmd: nested.cmd,
      args: nested.args,
      input: rest.join("\n").trim(),
    });
    return d.retry(() => dispatch(inner), { timeoutMs, intervalMs });
  };
}

/** `name=` resolved inside the temp dir; escaping it (`../x`, `/etc/x`) is refused. */
async function tempFilePath(d: Directive): Promise<string> {
  const name = d.stringArg("name");
  const root = d.tempDir;
  const path = resolve(root, name);
  const inside = relative(root, path);
  if (name === "" || inside === "" || inside.startsWith("..") || isAbsolute(inside))
    throw new UsageError(`name=${name}: expected a path inside the temp dir`, d.pos);
  await mkdir(dirname(path), { recursive: true });
  return path;
}

function withFinalNewline(text: string): string {
  return text === "" || text.endsWith("\n") ? text : `${text}\n`;
}
