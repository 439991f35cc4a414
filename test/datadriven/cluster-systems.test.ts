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

    it("holds and releases a client link through the fault mesh", { timeout: 60_000 }, async () => {
      const path = join(dir, `${target}-client-link.txt`);
      writeFileSync(
        path,
        `hold link=client->n1
----

async session=a
write x 7
----

deliver link=client->n1
----

release link=client->n1
----

await session=a
----
ok write x 7
`,
      );
      const { code, out } = await cli(path, target);
      expect(out).toContain("5 passed");
      expect(code).toBe(ExitCode.valid);
    });
  });
}

describe.skipIf(whichExecutable("redis-server") === undefined)("--target redis link faults", () => {
  // The replica dials the primary: n2->n1 direction=down carries the replication stream to n2.
  const HELD_REPLICATION = `exec
write x 1
----
ok write x 1

wait node=n2
read x
----
ok read x 1

hold link=n2->n1 direction=down
----

exec
write x 2
----
ok write x 2

exec node=n2
read x
----
ok read x 1

release link=n2->n1
----

wait node=n2
read x
----
ok read x 2
`;

  it("a held replication link makes the replica miss a write, the same way every time", {
    timeout: 120_000,
  }, async () => {
    const path = join(dir, "redis-held.txt");
    writeFileSync(path, HELD_REPLICATION);
    for (let run = 0; run < 3; run++) {
      const { code, out } = await cli(path, "redis");
      expect(out).toContain("7 passed");
      expect(code).toBe(ExitCode.valid);
    }
  });

  it("names the links a Redis target has", { timeout: 60_000 }, async () => {
    const path = join(dir, "redis-no-link.txt");
    writeFileSync(path, "hold link=n1->n2\n----\n");
    const { code, out } = await cli(path, "redis");
    expect(code).toBe(ExitCode.usage);
    expect(out).toContain(
      "Redis replicas dial their primary (n2->n1; direction=down carries the replication stream)",
    );
  });
});

describe.skipIf(whichExecutable("etcd") === undefined)("--target etcd link faults", () => {
  it("holds and releases a link between two members (each has its own proxy)", {
    timeout: 90_000,
  }, async () => {
    const path = join(dir, "etcd-peer-link.txt");
    writeFileSync(
      path,
      [
        "cluster nodes=3",
        "----",
        "",
        "hold link=n1->n2",
        "----",
        "",
        "hold link=n2->n1",
        "----",
        "",
        // Through n3, which reaches both: whichever member leads, the write commits.
        "exec node=n3",
        "write x 1",
        "----",
        "ok write x 1",
        "",
        // n1's messages to n2 are really held on that link: at least two arrive there (link heartbeats if nothing else).
        "deliver link=n1->n2 timeout=20s 2",
        "----",
        "",
        "release link=n1->n2",
        "----",
        "",
        "release link=n2->n1",
        "----",
        "",
        "wait node=n2",
        "read x",
        "----",
        "ok read x 1",
        "",
      ].join("\n"),
    );
    const { code, out } = await cli(path, "etcd");
    expect(code, out).toBe(ExitCode.valid);
  });

  it("partitions two members exactly, and heals", { timeout: 90_000 }, async () => {
    const path = join(dir, "etcd-partition.txt");
    writeFileSync(
      path,
      [
        "cluster nodes=3",
        "----",
        "",
        "partition n1=n2 n2=n1",
        "----",
        "cut: n2->n1 n1->n2",
        "",
        // Through n3, which reaches both: whichever member leads, the write commits.
        "exec node=n3",
        "write x 1",
        "----",
        "ok write x 1",
        "",
        "heal",
        "----",
        "",
        "wait node=n2",
        "read x",
        "----",
        "ok read x 1",
        "",
      ].join("\n"),
    );
    const { code, out } = await cli(path, "etcd");
    expect(code, out).toBe(ExitCode.valid);
  });
});
