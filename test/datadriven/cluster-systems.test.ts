/**
 * The same `exec` / process-fault directives against etcd (one member) and
 * Redis (a primary and a replica): real processes, skipped when the server
 * is not installed (Debian packages etcd-server, redis-server).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDatadrivenCommand } from "../../src/cli/datadriven.js";
import { whichExecutable } from "../../src/cluster/system.js";
import { makeClusterHandler } from "../../src/datadriven/cluster-handler.js";
import { ExitCode } from "../../src/errors/index.js";

const KV = `# Register ops, a kill (reads fail while the only writer is down) and a restart.
exec
write x 1
read x
cas x 1 2
cas x 1 3
read y
----
ok write x 1
ok read x 1
ok cas x [1 2]
fail cas x [1 3]
ok read y nil

kill node=n1
----

exec
read x
----
fail read x nil

restart node=n1
----
`;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "crucible-dd-systems-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function cli(path: string, target: string) {
  let out = "";
  const collect = (text: string): void => {
    out += text;
  };
  const code = await runDatadrivenCommand(
    [path],
    { rewrite: false, target },
    { makeHandler: makeClusterHandler, stdout: collect, stderr: collect },
  );
  return { code, out };
}

for (const [target, executable] of [
  ["etcd", "etcd"],
  ["redis", "redis-server"],
] as const) {
  describe.skipIf(whichExecutable(executable) === undefined)(`--target ${target}`, () => {
    it("runs exec, kill and restart", { timeout: 60_000 }, async () => {
      const path = join(dir, `${target}.txt`);
      writeFileSync(path, KV);
      const { code, out } = await cli(path, target);
      expect(out).toContain(`ok         ${path} (4 directive(s))`);
      expect(code).toBe(ExitCode.valid);
    });

    it("refuses demo-only directives as usage errors at file:line, starting nothing", async () => {
      const path = join(dir, `${target}-links.txt`);
      writeFileSync(path, "hold link=client->n1\n----\n");
      const { code, out } = await cli(path, target);
      expect(code).toBe(ExitCode.usage);
      expect(out).toContain(`${path}:1: hold: link faults need the demo target (this run drives ${target})`);
    });
  });
}
