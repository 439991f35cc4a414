/**
 * `junit.xml`: one `<testcase>` per checker so CI systems (GitHub, GitLab,
 * Jenkins) show a run's verdicts natively. The shape is the common JUnit one:
 * `testsuites > testsuite > testcase > failure | error`.
 *
 * - valid → a passing testcase;
 * - invalid → `<failure type="invalid">` whose message is the checker's
 *   explanation and whose text adds the anomaly detail and the command that
 *   reproduces the run;
 * - unknown → `<error type="unknown">`: the checker could not decide, which is
 *   not a pass (the CLI exits 2), so CI must not show it green;
 * - a run that failed or stopped early adds a `run` testcase with an error.
 *
 * `results.json` stays the machine-readable source; this is a view of it.
 */
import type { Results, TestInfo } from "../history/results.js";
import { escapeXml } from "./escape.js";

/** Failure text per checker is capped: CI UIs choke on megabytes of XML. */
const FAILURE_TEXT_CHARS_MAX = 20_000;

function attrs(values: Record<string, string | number | undefined>): string {
  return Object.entries(values)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => ` ${name}="${escapeXml(String(value))}"`)
    .join("");
}

function detailText(result: Record<string, unknown>): string {
  const { valid: _valid, explanation: _explanation, ...detail } = result;
  if (Object.keys(detail).length === 0) return "";
  let text: string;
  try {
    text = JSON.stringify(detail, null, 2) ?? "";
  } catch {
    text = String(detail);
  }
  return text.length > FAILURE_TEXT_CHARS_MAX ? `${text.slice(0, FAILURE_TEXT_CHARS_MAX)}\n… (cut)` : text;
}

/** Render `junit.xml` for a run. `test` may be undefined for a bare history. */
export function renderJunit(test: TestInfo | undefined, results: Results): string {
  const suiteName = test?.name ?? "history";
  const seconds = ((results.stats?.durationMs ?? 0) / 1000).toFixed(3);
  const cases: string[] = [];
  let failures = 0;
  let errors = 0;
  for (const [name, result] of Object.entries(results.checkers ?? {})) {
    const open = `    <testcase${attrs({ name, classname: `crucible.${suiteName}`, time: "0" })}`;
    if (result.valid === true) {
      cases.push(`${open}/>`);
      continue;
    }
    const explanation =
      result.explanation ?? (result.valid === false ? "an anomaly was found" : "could not decide");
    const body = [
      explanation,
      detailText(result),
      test?.reproduce ? `reproduce: ${test.reproduce}` : "",
      test ? `seed: ${test.seed}` : "",
    ]
      .filter((part) => part !== "")
      .join("\n\n");
    const tag = result.valid === false ? "failure" : "error";
    if (tag === "failure") failures++;
    else errors++;
    const type = result.valid === false ? "invalid" : "unknown";
    cases.push(
      `${open}>\n      <${tag}${attrs({ message: explanation, type })}>${escapeXml(body)}</${tag}>\n    </testcase>`,
    );
  }
  if (results.error || results.complete === false) {
    errors++;
    const message =
      results.error ?? "the run stopped before it completed; verdicts cover the history recorded so far";
    cases.push(
      `    <testcase${attrs({ name: "run", classname: `crucible.${suiteName}`, time: seconds })}>\n      <error${attrs({ message, type: "run-failed" })}>${escapeXml(message)}</error>\n    </testcase>`,
    );
  }
  const properties = test
    ? [
        `      <property${attrs({ name: "seed", value: test.seed })}/>`,
        `      <property${attrs({ name: "reproduce", value: test.reproduce })}/>`,
        `      <property${attrs({ name: "ops", value: results.stats?.ops })}/>`,
      ]
    : [];
  const tests = cases.length;
  const suiteAttrs = attrs({
    name: suiteName,
    tests,
    failures,
    errors,
    skipped: 0,
    time: seconds,
    timestamp: test?.startedAt,
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attrs({ name: "crucible", tests, failures, errors, time: seconds })}>`,
    `  <testsuite${suiteAttrs}>`,
    ...(properties.length
      ? ["    <properties>", ...properties.map((line) => `  ${line}`), "    </properties>"]
      : []),
    ...cases,
    "  </testsuite>",
    "</testsuites>",
    "",
  ].join("\n");
}
