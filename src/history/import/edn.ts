/**
 * A small, strict EDN reader: enough for Jepsen histories and Porcupine's
 * test data. Reads maps, vectors, lists, sets, keywords, symbols, strings
 * (with escapes), characters, integers, floats, ratios-free numbers, `nil`,
 * `true`/`false`, comments (`;`), discards (`#_`) and tagged values (`#inst "…"`,
 * `#jepsen.history.Op{…}`: the tag is dropped, the value kept).
 *
 * Values come out as plain JavaScript: `nil` → null, keywords → `Keyword`,
 * symbols → `EdnSymbol`, vectors and lists → arrays, sets → `EdnSet`, maps →
 * `Map` (keys may be any value). `toPlain` turns a value into JSON-ready data.
 * Errors are `EdnError`s carrying the 1-based line where they were found.
 *
 * Strict where EDN is strict, and stricter where a history needs it: a map or
 * set with a duplicate key is an error (the EDN spec says so); integers beyond
 * ±(2^53 − 1) and numbers out of a double's range are refused rather than
 * silently changed; `##Inf`, `##-Inf` and `##NaN` are refused (JSON cannot
 * hold them, and NaN equals nothing); `#` followed by a space is named for
 * what it usually is, a comment in another syntax (EDN's is `;`).
 */
import { NESTING_DEPTH_MAX, unsafeIntegerMessage } from "../values.js";

export class Keyword {
  constructor(readonly name: string) {}
  toString(): string {
    return `:${this.name}`;
  }
}

export class EdnSymbol {
  constructor(readonly name: string) {}
}

/** An EDN set `#{...}`; kept apart from vectors so that callers can tell them apart. */
export class EdnSet {
  constructor(readonly items: EdnValue[]) {}
}

export type EdnValue =
  | null
  | boolean
  | number
  | string
  | Keyword
  | EdnSymbol
  | EdnSet
  | EdnValue[]
  | Map<EdnValue, EdnValue>;

export class EdnError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
    this.name = "EdnError";
  }
}

const DELIMITERS = new Set(["{", "}", "[", "]", "(", ")", '"', ";"]);
const isWhitespace = (c: string): boolean => c === " " || c === "\t" || c === "\n" || c === "\r" || c === ",";

/** Reads successive top-level forms from a text. */
export class EdnReader {
  private pos = 0;
  private lineNo = 1;
  /** Nesting cap: a malicious or broken file cannot blow the stack (the same cap as JSONL's). */
  private static readonly MAX_DEPTH = NESTING_DEPTH_MAX;

  constructor(
    private readonly text: string,
    firstLine = 1,
  ) {
    this.lineNo = firstLine;
  }

  /** The line the reader is on (1-based). */
  get line(): number {
    return this.lineNo;
  }

  /** Skip whitespace and comments; true when a form follows. */
  hasMore(): boolean {
    this.skip();
    return this.pos < this.text.length;
  }

  /** Read the next form; throws `EdnError` at the end of input. */
  read(): EdnValue {
    const value = this.readForm(0);
    if (value === END) throw new EdnError("unexpected end of input; expected a value", this.lineNo);
    if (value === CLOSE) throw new EdnError(`unexpected '${closing}' with nothing open`, this.lineNo);
    return value;
  }

  private skip(): void {
    const text = this.text;
    while (this.pos < text.length) {
      const c = text[this.pos]!;
      if (c === "\n") {
        this.lineNo++;
        this.pos++;
      } else if (isWhitespace(c)) this.pos++;
      else if (c === ";") {
        while (this.pos < text.length && text[this.pos] !== "\n") this.pos++;
      } else break;
    }
  }

  private readForm(depth: number): EdnValue | typeof END | typeof CLOSE {
    if (depth > EdnReader.MAX_DEPTH)
      throw new EdnError(
        `nesting deeper than ${EdnReader.MAX_DEPTH} levels; expected flatter data`,
        this.lineNo,
      );
    this.skip();
    const text = this.text;
    if (this.pos >= text.length) return END;
    const c = text[this.pos]!;
    switch (c) {
      case "{": {
        this.pos++;
        const items = this.readUntil("}", depth);
        if (items.length % 2 !== 0)
          throw new EdnError("a map needs an even number of forms (key value pairs)", this.lineNo);
        const map = new Map<EdnValue, EdnValue>();
        const seen = new Set<string>();
        for (let i = 0; i < items.length; i += 2) {
          const key = ednKeyText(items[i]!);
          if (seen.has(key))
            throw new EdnError(`duplicate map key ${key}; a map's keys must differ`, this.lineNo);
          seen.add(key);
          map.set(items[i]!, items[i + 1]!);
        }
        return map;
      }
      case "[":
        this.pos++;
        return this.readUntil("]", depth);
      case "(":
        this.pos++;
        return this.readUntil(")", depth);
      case "}":
      case "]":
      case ")":
        this.pos++;
        closing = c;
        return CLOSE;
      case '"':
        return this.readString();
      case "\\":
        return this.readChar();
      case "#": {
        const next = text[this.pos + 1];
        if (next === "{") {
          this.pos += 2;
          const items = this.readUntil("}", depth);
          const seen = new Set<string>();
          for (const item of items) {
            const key = ednKeyText(item);
            if (seen.has(key))
              throw new EdnError(`duplicate set element ${key}; a set's elements must differ`, this.lineNo);
            seen.add(key);
          }
          return new EdnSet(items);
        }
        if (next === "#") {
          // ##Inf, ##-Inf, ##NaN: symbolic values, complete in themselves (they tag nothing).
          this.pos += 2;
          const name = this.readToken();
          if (name === "Inf" || name === "-Inf" || name === "NaN")
            throw new EdnError(
              `##${name} is not a finite number; a history cannot hold it (JSON has no such value, and NaN equals nothing)`,
              this.lineNo,
            );
          throw new EdnError(
            `unknown symbolic value ##${name}; EDN knows ##Inf, ##-Inf and ##NaN`,
            this.lineNo,
          );
        }
        if (next === undefined || isWhitespace(next))
          throw new EdnError(
            "'#' followed by a space: EDN has no '#' comments (';' starts a comment, '#_' discards the next form)",
            this.lineNo,
          );
        if (next === "_") {
          this.pos += 2;
          const discarded = this.readForm(depth + 1);
          if (discarded === END || discarded === CLOSE)
            throw new EdnError("#_ must be followed by a value", this.lineNo);
          return this.readForm(depth);
        }
        // A tagged value: #tag value — keep the value.
        this.pos++;
        const tag = this.readToken();
        if (tag === "") throw new EdnError(`unexpected character after '#'`, this.lineNo);
        const value = this.readForm(depth + 1);
        if (value === END || value === CLOSE)
          throw new EdnError(`#${tag} must be followed by a value`, this.lineNo);
        return value;
      }
      default:
        return this.readAtom();
    }
  }

  private readUntil(close: string, depth: number): EdnValue[] {
    const items: EdnValue[] = [];
    const startLine = this.lineNo;
    for (;;) {
      const value = this.readForm(depth + 1);
      if (value === END)
        throw new EdnError(
          `unclosed collection opened on line ${startLine}; expected '${close}'`,
          this.lineNo,
        );
      if (value === CLOSE) {
        if (closing !== close) throw new EdnError(`expected '${close}' but found '${closing}'`, this.lineNo);
        return items;
      }
      items.push(value);
    }
  }

  private readToken(): string {
    const start = this.pos;
    const text = this.text;
    let pos = this.pos;
    // A table lookup per character: tokens are most of a history's bytes.
    while (pos < text.length) {
      const code = text.charCodeAt(pos);
      if (code < 128 && ENDS_TOKEN[code] === 1) break;
      pos++;
    }
    this.pos = pos;
    return text.slice(start, pos);
  }

  private readString(): string {
    const text = this.text;
    const startLine = this.lineNo;
    this.pos++;
    let out = "";
    for (;;) {
      if (this.pos >= text.length)
        throw new EdnError(`unterminated string opened on line ${startLine}`, this.lineNo);
      const c = text[this.pos++]!;
      if (c === '"') return out;
      if (c === "\n") this.lineNo++;
      if (c !== "\\") {
        out += c;
        continue;
      }
      const e = text[this.pos++];
      switch (e) {
        case "n":
          out += "\n";
          break;
        case "t":
          out += "\t";
          break;
        case "r":
          out += "\r";
          break;
        case "b":
          out += "\b";
          break;
        case "f":
          out += "\f";
          break;
        case '"':
        case "\\":
        case "/":
          out += e;
          break;
        case "u": {
          const hex = text.slice(this.pos, this.pos + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new EdnError(`bad \\u escape in a string`, this.lineNo);
          out += String.fromCharCode(Number.parseInt(hex, 16));
          this.pos += 4;
          break;
        }
        default:
          throw new EdnError(`unknown escape \\${e ?? ""} in a string`, this.lineNo);
      }
    }
  }

  private readChar(): string {
    this.pos++;
    const token = this.readToken() || this.text[this.pos++] || "";
    const named: Record<string, string> = { newline: "\n", space: " ", tab: "\t", return: "\r" };
    if (token.length === 1) return token;
    if (named[token] !== undefined) return named[token];
    if (/^u[0-9a-fA-F]{4}$/.test(token)) return String.fromCharCode(Number.parseInt(token.slice(1), 16));
    throw new EdnError(`unknown character literal \\${token}`, this.lineNo);
  }

  private readAtom(): EdnValue {
    const token = this.readToken();
    if (token === "") throw new EdnError(`unexpected character '${this.text[this.pos]}'`, this.lineNo);
    if (isPlainInteger(token)) return Number(token);
    if (token === "nil") return null;
    if (token === "true") return true;
    if (token === "false") return false;
    if (token.startsWith(":")) {
      if (token.length === 1) throw new EdnError("a keyword needs a name after ':'", this.lineNo);
      return new Keyword(token.slice(1));
    }
    if (/^[+-]?\d/.test(token)) {
      // Integers (with an optional N suffix) and floats (with an optional M suffix).
      if (/^[+-]?\d+N?$/.test(token)) {
        const digits = token.replace(/N$/, "");
        const value = Number(digits);
        if (!Number.isSafeInteger(value)) throw new EdnError(unsafeIntegerMessage(token), this.lineNo);
        return value;
      }
      if (/^[+-]?\d+(\.\d*)?([eE][+-]?\d+)?M?$/.test(token)) {
        const value = Number(token.replace(/M$/, ""));
        if (!Number.isFinite(value))
          throw new EdnError(
            `number ${token} is beyond a double's range; expected a finite number`,
            this.lineNo,
          );
        return value;
      }
      throw new EdnError(`malformed number ${token}`, this.lineNo);
    }
    return new EdnSymbol(token);
  }
}

/** ASCII codes that end a token: EDN whitespace (with `,`) and the delimiters. */
const ENDS_TOKEN = new Uint8Array(128);
for (const c of [" ", "\t", "\n", "\r", ",", ...DELIMITERS]) ENDS_TOKEN[c.charCodeAt(0)] = 1;

/** An optional `-` and 1 to 15 decimal digits: exactly representable, the common case, read without a regex. */
function isPlainInteger(token: string): boolean {
  let i = token.charCodeAt(0) === 0x2d /* - */ ? 1 : 0;
  const digits = token.length - i;
  if (digits < 1 || digits > 15) return false;
  for (; i < token.length; i++) {
    const code = token.charCodeAt(i);
    if (code < 0x30 || code > 0x39) return false;
  }
  return true;
}

const END: unique symbol = Symbol("end");
const CLOSE: unique symbol = Symbol("close");
/** The closing delimiter just read (set with CLOSE). */
let closing = "";

/**
 * One text per EDN value, equal for equal values (map entries and set
 * elements sorted): what duplicate keys are found by.
 */
export function ednKeyText(value: EdnValue): string {
  if (value === null) return "nil";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (value instanceof Keyword) return `:${value.name}`;
  if (value instanceof EdnSymbol) return value.name;
  if (value instanceof EdnSet) return `#{${value.items.map(ednKeyText).sort().join(" ")}}`;
  if (Array.isArray(value)) return `[${value.map(ednKeyText).join(" ")}]`;
  const entries = [...value].map(([k, v]) => `${ednKeyText(k)} ${ednKeyText(v)}`);
  return `{${entries.sort().join(", ")}}`;
}

/** Parse a text that holds exactly one EDN value. */
export function parseEdn(text: string): EdnValue {
  const reader = new EdnReader(text);
  const value = reader.read();
  if (reader.hasMore()) throw new EdnError("unexpected text after the value", reader.line);
  return value;
}

/** An EDN value as JSON-ready data: keywords and symbols → their names, sets → arrays, maps → objects. */
export function toPlain(value: EdnValue): unknown {
  if (value instanceof Keyword || value instanceof EdnSymbol) return value.name;
  if (value instanceof EdnSet) return value.items.map(toPlain);
  if (Array.isArray(value)) return value.map(toPlain);
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of value) setOwn(out, typeof k === "string" ? k : String(toPlain(k)), toPlain(v));
    return out;
  }
  return value;
}

/** `out[name] = value` as an own property even for `__proto__` (which assignment would take as the prototype), as JSON.parse does. */
export function setOwn(out: Record<string, unknown>, name: string, value: unknown): void {
  Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
}
