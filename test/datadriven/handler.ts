/**
 * The handler the fixtures under testdata/ are written for: `show` prints
 * what the parser made of a directive, so the fixtures double as a
 * specification of the format (as testdata/directive does in Go).
 */
import { genericDirectives, tableHandler } from "../../src/datadriven/generic.js";
import type { DirectiveHandler } from "../../src/datadriven/run.js";

export const fixtureHandler: DirectiveHandler = tableHandler(
  genericDirectives({
    show: (d) => {
      const lines = [`cmd=${d.cmd}`];
      for (const arg of d.args)
        lines.push(
          arg.vals.length === 0 ? `arg ${arg.key}` : `arg ${arg.key} vals=${JSON.stringify(arg.vals)}`,
        );
      lines.push(`input=${JSON.stringify(d.input)}`);
      return lines.join("\n");
    },
    noop: () => "",
    hello: (d) => `${d.args[0]?.key ?? "nobody"} was said`,
    lines: (d) => d.stringsArg("v").join("\n"),
  }),
);
