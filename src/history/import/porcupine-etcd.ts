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
import { UsageError } from "../../errors/index.js";
import type { Op, OpType } from "../op.js";
import { stripBom } from "../values.js";
import { HistoryBuilder } from "./builder.js";
import { EdnError, Keyword, parseEdn, toPlain } from "./edn.js";

const LINE = /^INFO\s+jepsen\.util\s+-\s+(\S+)\s+:(\S+)\s+:(\S+)\s*(.*?)\s*$/;

export function parsePorcupineEtcd(text: string, file: string): Op[] {
  const parser = new PorcupineEtcdParser(file);
  const lines = stripBom(text).split("\n");
  for (let i = 0; i < lines.length; i++) parser.line(lines[i]!, i + 1);
  return parser.ops;
}

/** The same, one line at a time: what a streaming reader feeds (a log can be bigger than a string may be). */
export class PorcupineEtcdParser {
  private readonly builder: HistoryBuilder;
  private readonly invoked = new Map<number, unknown>();

  constructor(private readonly file: string) {
    this.builder = new HistoryBuilder(file);
  }

  get ops(): Op[] {
    return this.builder.ops;
  }

  /** Read line `lineNumber` (1-based); throws `UsageError` naming file:line. */
  line(raw: string, lineNumber: number): void {
    const file = this.file;
    const builder = this.builder;
    const invoked = this.invoked;
    const i = lineNumber - 1;
    if (raw.trim() === "") return;
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
    // Decimal digits only: Number() would also take 0x10, 1e3 and 1.0, and round 20-digit ids.
    const process = /^\d{1,15}$/.test(processText) ? Number(processText) : Number.NaN;
    if (!Number.isSafeInteger(process))
      throw new UsageError(
        `expected a process number (decimal digits, at most 15), got ${processText}`,
        where,
      );
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
}
