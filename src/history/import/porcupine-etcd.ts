/**
 * Porcupine's etcd test data: Jepsen log lines such as
 * `INFO  jepsen.util - 3	:ok	:cas	[1 4]` (tabs or runs of spaces).
 *
 * Semantics (see test/fixtures/porcupine/NOTICE.md):
 * - `:fail :cas` means etcd's compare did not match: the cas happened and
 *   returned false. It becomes a `fail` op with `compareFailed: true`, which
 *   the cas-register model checks as "the register did not hold `expected`".
 * - `:info ... :timed-out`, and `:fail :read :timed-out`, leave the outcome
 *   unknown: an `info` op with the invocation's value.
 * - A call still open at the end of the file is left open (unknown outcome).
 * The file has no times: they are synthesized from line order.
 */
import { UsageError } from "../../cli/exit-codes.js";
import type { Op, OpType } from "../op.js";
import { HistoryBuilder } from "./builder.js";
import { EdnError, Keyword, parseEdn, toPlain } from "./edn.js";

const LINE = /^INFO\s+jepsen\.util\s+-\s+(\S+)\s+:(\S+)\s+:(\S+)\s*(.*?)\s*$/;

export function parsePorcupineEtcd(text: string, file: string): Op[] {
  const builder = new HistoryBuilder(file);
  const invoked = new Map<number, unknown>();
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw.trim() === "") continue;
    const where = `${file}:${i + 1}`;
    const match = LINE.exec(raw);
    if (!match)
      throw new UsageError(
        "expected a Jepsen log line: INFO  jepsen.util - <process> :<type> :<f> <value>",
        where,
      );
    const [, processText, typeText, f, valueText] = match as unknown as [
      string,
      string,
      string,
      string,
      string,
    ];
    const process = Number(processText);
    if (!Number.isInteger(process))
      throw new UsageError(`expected an integer process, got ${processText}`, where);
    if (!["invoke", "ok", "fail", "info"].includes(typeText)) {
      throw new UsageError(`expected :invoke, :ok, :fail or :info, got :${typeText}`, where);
    }
    let parsed: unknown;
    try {
      parsed = parseEdn(valueText === "" ? "nil" : valueText);
    } catch (error) {
      if (error instanceof EdnError)
        throw new UsageError(`malformed value ${valueText}: ${error.message}`, where);
      throw error;
    }
    const timedOut = parsed instanceof Keyword;
    const value = toPlain(parsed as Parameters<typeof toPlain>[0]);
    let type = typeText as OpType;
    const extra: Record<string, unknown> = {};
    let error: string | undefined;
    if (type === "fail" && f === "cas" && !timedOut) extra.compareFailed = true;
    if ((type === "info" || type === "fail") && timedOut) {
      type = "info";
      error = String(value);
    }
    if (type === "invoke") invoked.set(process, value);
    const completionValue = timedOut ? (invoked.get(process) ?? null) : value;
    builder.add(
      {
        type,
        process,
        f,
        value: type === "invoke" ? value : completionValue,
        ...(error ? { error } : {}),
        ...(Object.keys(extra).length > 0 ? { extra } : {}),
      },
      i + 1,
    );
  }
  return builder.ops;
}
