/**
 * Malformed inputs for the parser fuzz tests: a valid text, mutated a few
 * times by truncation, byte flips, deletions, line shuffles and injections of
 * what breaks parsers (brackets, quotes, deep nesting, huge numbers, BOMs,
 * control characters, EDN's `##` and `#` forms).
 */
import fc from "fast-check";

const INJECTIONS = [
  "{",
  "}",
  "[",
  "]",
  "(",
  ")",
  '"',
  "\\",
  "\\u12",
  ":",
  ",",
  "#",
  "# comment\n",
  "#_",
  "##NaN",
  "##Inf ",
  "#{1 1}",
  "#inst",
  ";",
  "\n",
  "\r\n",
  "\uFEFF",
  "\u0000",
  "\u001b[2J",
  "\uD800",
  "nil",
  "null",
  "NaN",
  "-",
  "1e999",
  "-1e999",
  "1e300",
  "9007199254740993",
  "123456789012345678901234567890",
  "9007199254740993N",
  "0x10",
  "1.0",
  "-0",
  `${"[".repeat(5000)}${"]".repeat(5000)}`,
  "[".repeat(3000),
  "{".repeat(3000),
  `${"{:a ".repeat(500)}1${"}".repeat(500)}`,
  '"index":0,',
  '"f":"read",',
  ":type :ok",
  ":process :nemesis",
  "INFO  jepsen.util - ",
  "\t:invoke\t",
  "\t:fail\t:cas\t",
  "__proto__",
  '{"__proto__":{"x":1}}',
];

type Mutation = (text: string) => string;

const position = fc.double({ min: 0, max: 1, noNaN: true });
const at = (text: string, p: number): number => Math.min(text.length, Math.floor(p * (text.length + 1)));

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  position.map((p) => (text: string) => text.slice(0, at(text, p))),
  fc.tuple(position, fc.integer({ min: 0, max: 0xffff })).map(([p, code]) => (text: string) => {
    const i = at(text, p);
    return text.slice(0, i) + String.fromCharCode(code) + text.slice(i + 1);
  }),
  fc.tuple(position, fc.integer({ min: 1, max: 40 })).map(([p, n]) => (text: string) => {
    const i = at(text, p);
    return text.slice(0, i) + text.slice(i + n);
  }),
  fc.tuple(position, fc.constantFrom(...INJECTIONS)).map(([p, injected]) => (text: string) => {
    const i = at(text, p);
    return text.slice(0, i) + injected + text.slice(i);
  }),
  fc.tuple(position, position).map(([p, q]) => (text: string) => {
    const lines = text.split("\n");
    const i = Math.floor(p * lines.length);
    const j = Math.floor(q * lines.length);
    [lines[i], lines[j]] = [lines[j]!, lines[i]!];
    return lines.join("\n");
  }),
  position.map((p) => (text: string) => {
    const lines = text.split("\n");
    const i = Math.floor(p * lines.length);
    lines.splice(i, 0, lines[i]!);
    return lines.join("\n");
  }),
);

/** A fixture text with 1 to 4 mutations applied. */
export function mutated(fixtures: readonly string[]): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom(...fixtures), fc.array(mutation, { minLength: 1, maxLength: 4 }))
    .map(([text, mutations]) => mutations.reduce((t, m) => m(t), text));
}

/** Runs per fuzz test: thousands, and well under ten seconds on a busy 2-core machine. */
export const FUZZ_RUNS = 3000;
/** One parse of a small input taking longer than this is a hang. */
export const PARSE_MS_MAX = 1000;
