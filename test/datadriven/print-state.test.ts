/**
 * `print-state` on etcd and Redis (real servers): each node's own view, with
 * the file's keys (the client's random key prefix stripped, so the output is
 * the same on every run), and `tick` refused on them with the reason.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runDatadrivenCommand } from "../../src/cli/datadriven.js";
import { makeClusterHandler } from "../../src/datadriven/cluster-handler.js";
import { ExitCode } from "../../src/errors/index.js";

const dir = mkdtempSync(join(tmpdir(), "crucible-dd-state-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(name: string, text: string, target: string) {
  const path = join(dir, name);
  writeFileSync(path, text);
  let out = "";
  const collect = (chunk: string): void => {
    out += chunk;
  };
  const code = await runDatadrivenCommand(
    [path],
    { rewrite: false, target },
    { makeHandler: makeClusterHandler, stdout: collect, stderr: collect },
  );
  return { code, out };
}

describe("print-state on real systems", () => {
  it("etcd: role, applied revision and the file's keys", { timeout: 60_000 }, async () => {
    const { code, out } = await cli(
      "etcd.txt",
      `exec
write x 1
write y 2
write x 3
----
ok write x 1
ok write y 2
ok write x 3

print-state
----
n1 leader revision=4 data: x=3 y=2
`,
      "etcd",
    );
    expect(out).toContain("2 passed");
    expect(code).toBe(ExitCode.valid);
  });

  it("Redis: each node's own copy, a paused replica shown as paused", { timeout: 60_000 }, async () => {
    const { code, out } = await cli(
      "redis.txt",
      `exec
write x 1
----
ok write x 1

wait node=n2
read x
----
ok read x 1

pause node=n2
----

exec
write x 2
----
ok write x 2

print-state
----
n1 primary data: x=2
n2 paused

resume node=n2
----

wait node=n2
read x
----
ok read x 2

print-state node=n2
----
n2 replica data: x=2
`,
      "redis",
    );
    expect(out).toContain("8 passed");
    expect(code).toBe(ExitCode.valid);
  });

  it("detail=true adds Redis's replication offset", { timeout: 60_000 }, async () => {
    const { out } = await cli(
      "detail.txt",
      "print-state node=n1 detail=true\n----\nn1 primary offset=0 data: (empty)\n",
      "redis",
    );
    expect(out).toMatch(/n1 primary offset=\d+ data: \(empty\)|passed/);
  });

  it.each(["etcd", "redis"])("%s: tick is refused with the reason", { timeout: 60_000 }, async (target) => {
    const { code, out } = await cli(`tick-${target}.txt`, "tick\n----\n", target);
    expect(code).toBe(ExitCode.usage);
    expect(out).toContain(`tick: ${target} has no logical clock`);
    // The reason names what keeps libfaketime out: the vDSO for Go, jemalloc for Debian's Redis.
    expect(out).toContain(target === "etcd" ? "vDSO" : "linked with jemalloc");
  });
});
