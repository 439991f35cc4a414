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
 * Control characters a terminal would obey: C0 (newline and tab included: a
 * printed value must stay on its line), DEL, C1 (`\u009b` is a one-byte CSI),
 * the Arabic letter mark and the bidirectional marks and overrides that
 * reorder what is shown. A history's keys, a client's error string or a
 * checker's explanation can carry `\x1b[2J` and a fake "✓ all valid";
 * printed raw, that would clear the screen and lie.
 */
const TERMINAL_CONTROLS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export interface EscapeTerminalOptions {
  /** Keep newlines as line breaks (multi-line explanations); default false: `\n`, so a value stays on its line. */
  keepNewlines?: boolean;
}

/**
 * Make untrusted text safe to print on a terminal: every control character
 * becomes a visible escape (`\n`, `\t`, `\u001b`), so a crafted key cannot
 * clear the screen or print a fake verdict.
 */
export function escapeTerminal(text: string, options: EscapeTerminalOptions = {}): string {
  return text.replace(TERMINAL_CONTROLS, (char) => {
    if (char === "\n") return options.keepNewlines ? "\n" : "\\n";
    if (char === "\t") return "\\t";
    if (char === "\r") return "\\r";
    return `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
}
