import { describe, expect, it } from "vitest";
import type { Results } from "../../src/history/results.js";
import { renderJunit } from "../../src/report/junit.js";
import { syntheticRun } from "./synthetic-run.js";

interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };
const decodeEntities = (text: string) =>
  text.replace(/&(lt|gt|amp|quot|apos);/g, (_, name: string) => ENTITIES[name]!);

/** A strict little XML reader: fails on mismatched tags, stray `<`/`&`, or text outside the root. */
function parseXml(xml: string): XmlElement {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, "");
  const root: XmlElement = { name: "#document", attributes: {}, children: [], text: "" };
  const stack = [root];
  const token = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[\w.-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let match: RegExpExecArray | null;
  let position = 0;
  for (match = token.exec(body); match !== null; match = token.exec(body)) {
    position = token.lastIndex;
    const [, closing, name, attributeText, selfClosing, text] = match;
    const top = stack[stack.length - 1]!;
    if (text !== undefined) {
      if (/&(?!(lt|gt|amp|quot|apos);)/.test(text)) throw new Error(`bad entity in ${JSON.stringify(text)}`);
      if (stack.length === 1 && text.trim() !== "") throw new Error("text outside the root");
      top.text += decodeEntities(text);
      continue;
    }
    if (closing) {
      if (top.name !== name) throw new Error(`</${name}> closes <${top.name}>`);
      stack.pop();
      continue;
    }
    const attributes: Record<string, string> = {};
    for (const [, key, value] of attributeText!.matchAll(/([\w.-]+)="([^"]*)"/g)) {
      if (/&(?!(lt|gt|amp|quot|apos);)/.test(value!)) throw new Error(`bad entity in attribute ${key}`);
      attributes[key!] = decodeEntities(value!);
    }
    const element: XmlElement = { name: name!, attributes, children: [], text: "" };
    top.children.push(element);
    if (!selfClosing) stack.push(element);
  }
  if (position !== body.length)
    throw new Error(`unparsable XML at ${position}: ${body.slice(position, position + 40)}`);
  if (stack.length !== 1) throw new Error(`unclosed <${stack[stack.length - 1]!.name}>`);
  expect(root.children).toHaveLength(1);
  return root.children[0]!;
}

describe("renderJunit", () => {
  const run = syntheticRun({ seed: 11, ops: 100, concurrency: 2, durationS: 2 });

  it("has the testsuites/testsuite/testcase/failure shape, one testcase per checker", () => {
    const xml = renderJunit(run.test, run.results);
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    const suites = parseXml(xml);
    expect(suites.name).toBe("testsuites");
    expect(suites.attributes).toMatchObject({ tests: "3", failures: "1", errors: "1" });
    const suite = suites.children[0]!;
    expect(suite.name).toBe("testsuite");
    expect(suite.attributes).toMatchObject({
      name: "register-synthetic",
      tests: "3",
      failures: "1",
      errors: "1",
    });
    const cases = suite.children.filter((child) => child.name === "testcase");
    expect(cases.map((c) => c.attributes.name)).toEqual(["linearizable", "stats", "perf"]);
    const [linearizable, stats, perf] = cases;
    expect(stats!.children).toEqual([]);
    const failure = linearizable!.children[0]!;
    expect(failure.name).toBe("failure");
    expect(failure.attributes.type).toBe("invalid");
    const explanation = run.results.checkers.linearizable!.explanation!;
    expect(failure.attributes.message).toBe(explanation);
    expect(failure.text).toContain(explanation);
    expect(failure.text).toContain(`"stuck": [\n      ${run.stuckIndex}\n    ]`);
    expect(failure.text).toContain(`reproduce: ${run.test.reproduce}`);
    expect(perf!.children[0]).toMatchObject({ name: "error", attributes: { type: "unknown" } });
    const properties = suite.children.find((child) => child.name === "properties")!;
    expect(properties.children.find((p) => p.attributes.name === "seed")?.attributes.value).toBe("11");
  });

  it("escapes markup, quotes and forbidden control characters in names and anomaly text", () => {
    const results: Results = {
      ...run.results,
      checkers: {
        'weird "<checker>" & co': {
          valid: false,
          explanation: "read <img src=x> & \u0001 then ]]> 'quoted'",
        },
      },
      complete: false,
      error: "runner crashed: <EOF>",
    };
    const xml = renderJunit({ ...run.test, name: "a&b<c>" }, results);
    expect(xml).not.toMatch(/[\u0001]/);
    const suite = parseXml(xml).children[0]!;
    expect(suite.attributes.name).toBe("a&b<c>");
    const [checker, runCase] = suite.children.filter((child) => child.name === "testcase");
    expect(checker!.attributes.name).toBe('weird "<checker>" & co');
    expect(checker!.children[0]!.text).toContain("read <img src=x> & \uFFFD then ]]> 'quoted'");
    expect(runCase!.attributes.name).toBe("run");
    expect(runCase!.children[0]).toMatchObject({
      name: "error",
      attributes: { message: "runner crashed: <EOF>" },
    });
  });
});
