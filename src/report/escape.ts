/**
 * Escaping for the three places report text lands: HTML, XML (JUnit) and JSON
 * inlined in a `<script>` element. Every value that comes from a history is
 * untrusted: an op's value can be `<img src=x onerror=alert(1)>`, and a report
 * is opened from CI artifacts by people who did not write the test.
 */

const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escape text for an HTML text node or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char]!);
}

/**
 * Characters XML 1.0 forbids even as character references: C0 controls other
 * than tab, newline and carriage return, lone surrogates, U+FFFE and U+FFFF.
 * A JUnit parser rejects the whole file on one of them, so they become U+FFFD.
 */
const XML_FORBIDDEN =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Escape text for XML character data or a double-quoted attribute value. */
export function escapeXml(text: string): string {
  return text.replace(XML_FORBIDDEN, "\uFFFD").replace(/[&<>"']/g, (char) => {
    if (char === "'") return "&apos;";
    return HTML_ESCAPES[char]!;
  });
}

/**
 * Serialize a value as JSON that is safe inside `<script type="application/json">`:
 * `<`, `>` and `&` become `\u003c`, `\u003e`, `\u0026`, so no `</script>` or
 * `<!--` in the data can end the element early; U+2028/U+2029 are escaped too
 * so the text is also a valid JavaScript literal. `JSON.parse` of the element's
 * text gives the value back unchanged.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value ?? null).replace(/[<>&\u2028\u2029]/g, (char) => {
    return `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
}

/**
 * Make JavaScript or CSS source safe to inline in a `<script>`/`<style>` element:
 * a literal `</script` or `</style` inside it (in a string, say) would end the
 * element. `<\/` means the same thing inside JS strings and regexes.
 */
export function inlineSafe(source: string): string {
  return source.replace(/<\/(script|style)/gi, "<\\/$1");
}

/**
 * Control characters that a terminal acts on: C0 (but tab and newline), DEL,
 * C1 (U+0080–U+009F: CSI is one of them), and the bidirectional overrides
 * that reorder what a reader sees. A history's keys, a client's error string
 * or a checker's explanation can carry `\x1b[2J` and a fake "✓ all valid";
 * printed raw, that would clear the screen and lie.
 */
const TERMINAL_CONTROLS =
  /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;

/** Make untrusted text safe to print on a terminal: every control character becomes a visible `\xNN` or `\u{NNNN}`. */
export function escapeTerminal(text: string): string {
  return text.replace(TERMINAL_CONTROLS, (char) => {
    const code = char.codePointAt(0)!;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u{${code.toString(16)}}`;
  });
}
