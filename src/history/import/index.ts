/**
 * Importers: turn third-party histories into Crucible `Op[]` so the same
 * checkers judge them. Formats:
 * - `jsonl`: Crucible's own `history.jsonl` (one op per line);
 * - `edn`: Jepsen EDN (one map per line, or a vector), `:key` fields and
 *   `[k v]` independent tuples;
 * - `porcupine-etcd`: Jepsen etcd log lines from Porcupine's test data;
 * - `porcupine-kv`: Porcupine's kv EDN lines (read as `edn`).
 * `auto` looks at the file's first non-blank line. Every parse error is a
 * `UsageError` naming file:line and what was expected.
 */
import { readFile } from "node:fs/promises";
import { UsageError } from "../../cli/exit-codes.js";
import type { Op } from "../op.js";
import { readHistoryFile } from "../reader.js";
import { type EdnImportOptions, parseJepsenEdn } from "./jepsen-edn.js";
import { parsePorcupineEtcd } from "./porcupine-etcd.js";

export { EdnError, EdnReader, EdnSet, EdnSymbol, type EdnValue, Keyword, parseEdn, toPlain } from "./edn.js";
export { parseJepsenEdn } from "./jepsen-edn.js";
export { parsePorcupineEtcd } from "./porcupine-etcd.js";

export const historyFormats = ["jsonl", "edn", "porcupine-etcd", "porcupine-kv"] as const;
export type HistoryFormat = (typeof historyFormats)[number];

export interface ImportOptions extends EdnImportOptions {
  /** Default `auto`. */
  format?: HistoryFormat | "auto";
}

export interface ImportedHistory {
  ops: Op[];
  format: HistoryFormat;
  /** Things a person should know (a torn last line, ...). */
  warnings: string[];
  /** The model these histories are usually checked with, when the format says (etcd → cas-register, kv → porcupine-kv). */
  suggestedModel?: string;
}

/** Guess a format from a file's first non-blank line; undefined when nothing fits. */
export function detectFormat(firstLine: string): HistoryFormat | undefined {
  const line = firstLine.trim();
  if (/^INFO\s+jepsen\.util\s+-/.test(line)) return "porcupine-etcd";
  if (line.startsWith("{")) {
    if (/^\{\s*"/.test(line)) return "jsonl";
    if (/^\{\s*:/.test(line)) return /:f\s+:(get|put|append)\b/.test(line) ? "porcupine-kv" : "edn";
  }
  if (line.startsWith("[") || line.startsWith("#")) return "edn";
  return undefined;
}

/** Read and import one history file. */
export async function importHistoryFile(path: string, options: ImportOptions = {}): Promise<ImportedHistory> {
  let format = options.format ?? "auto";
  if (format === "jsonl") {
    // A checker needs paired ops: say where a file breaks that, as the other importers do.
    const { ops, warnings } = await readHistoryFile(path, { validatePairs: true });
    return { ops, warnings, format };
  }
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read the file: ${(error as Error).message}`, path);
  }
  if (format === "auto") {
    const first = text.split("\n").find((line) => line.trim() !== "");
    if (first === undefined) return { ops: [], format: "jsonl", warnings: [`${path}: empty file`] };
    const detected = detectFormat(first);
    if (!detected) {
      throw new UsageError(
        "cannot tell the format from the first line; expected a JSON op, an EDN map or vector, or a Jepsen log line (or pass --format)",
        `${path}:${text.split("\n").findIndex((line) => line.trim() !== "") + 1}`,
      );
    }
    format = detected;
    if (format === "jsonl") return importHistoryFile(path, { ...options, format });
  }
  if (format === "porcupine-etcd") {
    return { ops: parsePorcupineEtcd(text, path), format, warnings: [], suggestedModel: "cas-register" };
  }
  const ops = parseJepsenEdn(text, path, options);
  return format === "porcupine-kv"
    ? { ops, format, warnings: [], suggestedModel: "porcupine-kv" }
    : { ops, format, warnings: [] };
}
