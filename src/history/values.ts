/**
 * What every history reader checks about the values it reads, in one place,
 * so JSONL, EDN and Porcupine logs refuse the same things with the same words.
 *
 * - **Integers must be exact.** A JavaScript number holds integers exactly up
 *   to 2^53 − 1; `9007199254740993` silently reads as `9007199254740992`, and
 *   a checker comparing a write with a read would then call a lost update
 *   valid. Such integers are refused (file:line) rather than read as BigInt:
 *   JSON cannot write a BigInt back, and every model, checker and report would
 *   have to learn a second number type. Write big ids as strings.
 * - **Nesting is bounded** ({@link NESTING_DEPTH_MAX}): deeper values would
 *   overflow the stack of whatever walks them later.
 * - **Keys compare by value**: {@link canonicalJson} is the one text two equal
 *   values share, whatever their object key order.
 */

/** Deepest nesting of arrays and objects a history value may have. */
export const NESTING_DEPTH_MAX = 100;

/** The words used when an integer cannot be held exactly. */
export function unsafeIntegerMessage(text: string): string {
  const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text;
  return `integer ${shown} is beyond ±(2^53 − 1) and cannot be read exactly (it would silently change value); write it as a string`;
}

/** Strip a leading byte order mark: editors add one, and it would show as an invisible character in messages. */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** A long run of digits: the cheap test for whether a JSON line needs the exact scan below. */
const LONG_DIGITS = /\d{16}/;

/**
 * The first integer literal in a JSON text (outside strings) that a double
 * cannot hold exactly, or undefined. Only integer literals count: `1.5e300`
 * is a float and reads as one.
 */
export function findUnsafeJsonInteger(json: string): string | undefined {
  if (!LONG_DIGITS.test(json)) return undefined;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
      continue;
    }
    if (c === 0x22) {
      inString = true;
      continue;
    }
    if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      const start = i;
      i++;
      while (i < json.length) {
        const d = json.charCodeAt(i);
        if ((d >= 0x30 && d <= 0x39) || d === 0x2e || d === 0x65 || d === 0x45 || d === 0x2b || d === 0x2d)
          i++;
        else break;
      }
      const token = json.slice(start, i);
      i--;
      if (/^-?\d+$/.test(token) && !Number.isSafeInteger(Number(token))) return token;
    }
  }
  return undefined;
}

/** True when `value` nests arrays/objects deeper than `depthMax` (stops early; never recurses past it). */
export function nestsDeeperThan(value: unknown, depthMax: number = NESTING_DEPTH_MAX): boolean {
  const walk = (v: unknown, depth: number): boolean => {
    if (typeof v !== "object" || v === null) return false;
    if (depth >= depthMax) return true;
    if (Array.isArray(v)) {
      for (const item of v) if (walk(item, depth + 1)) return true;
      return false;
    }
    for (const key in v) if (walk((v as Record<string, unknown>)[key], depth + 1)) return true;
    return false;
  };
  return walk(value, 0);
}

/**
 * One text per value, the same for equal values: JSON with object keys sorted,
 * so `{"a":1,"b":2}` and `{"b":2,"a":1}` agree. What partitions and value
 * tables key on. Values come from readers that bound their depth.
 */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return "null";
  if (typeof value !== "object" || value === null) return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const keys = Object.keys(value).sort();
  const parts: string[] = [];
  for (const key of keys) {
    const item = (value as Record<string, unknown>)[key];
    if (item !== undefined) parts.push(`${JSON.stringify(key)}:${canonicalJson(item)}`);
  }
  return `{${parts.join(",")}}`;
}

/**
 * What two keys are compared by: a primitive is itself, an object or array
 * its {@link canonicalJson} (tagged so it cannot meet a string key). Keys from
 * JSONL may be objects, and two lines never share a reference.
 */
export function keyIdentity(key: unknown): unknown {
  return typeof key === "object" && key !== null ? `\u0000json:${canonicalJson(key)}` : key;
}
