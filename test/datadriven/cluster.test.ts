/**
 * The cluster directives against real demo server processes: the examples
 * under examples/datadriven/demo pass through the API, a mismatch exits 1 with a
 * diff and `--rewrite` fixes it, mistakes are usage errors at file:line, and
 * nothing outlives a file, even one whose directive threw.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DatadrivenFlags, runDatadrivenCommand } from "../../src/cli/datadriven.js";
import { makeClusterHandler } from "../../src/datadriven/cluster-handler.js";
import { clusterDirectives } from "../../src/datadriven/directives/cluster.js";
import { ClusterHarness } from "../../src/datadriven/directives/harness.js";
import { genericDirectives, tableHandler } from "../../src/datadriven/generic.js";
import { perFile, runDataDriven, walkDataDriven } from "../../src/datadriven/run.js";
import { ExitCode } from "../../src/errors/index.js";

const EXAMPLES = "examples/datadriven/demo";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "crucible-dd-cluster-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function cli(paths: string[], flags: Partial<DatadrivenFlags> = {}) {
  let stdout = "";
  let stderr = "";
  const code = await runDatadrivenCommand(
    paths,
    { rewrite: false, ...flags },
    {
      makeHandler: makeClusterHandler,
      stdout: (text) => {
        stdout += text;
      },
      stderr: (text) => {
        stderr += text;
      },
    },
  );
  return { code, stdout, stderr };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("examples/datadriven/demo against the demo server", () => {
  it("every example passes, one fresh cluster per file", { timeout: 120_000 }, async () => {
    const files = readdirSync(EXAMPLES).sort();
    expect(files).toEqual(
      expect.arrayContaining([
        "async-held-write.txt",
        "kill-restart.txt",
        "sequential-exec.txt",
        "stale-read.txt",
        "wait-loop.txt",
      ]),
    );
    const results = await walkDataDriven(
      EXAMPLES,
      perFile((file) => makeClusterHandler(file, { target: "demo" })),
      { throwOnFailure: false, rewrite: false },
    );
    const failures = results.filter((result) => result.status !== "pass");
    expect(failures.flatMap((file) => file.results.flatMap((r) => (r.message ? [r.message] : [])))).toEqual(
      [],
    );
    expect(results.map((result) => result.path).sort()).toEqual(files.map((file) => join(EXAMPLES, file)));
    expect(results.every((result) => result.results.every((r) => r.status === "pass"))).toBe(true);
  });
});

describe("crucible datadriven --target demo", () => {
  it("--rewrite regenerates every example byte for byte", { timeout: 120_000 }, async () => {
    const copy = join(dir, "examples");
    cpSync(EXAMPLES, copy, { recursive: true });
    const { code, stdout } = await cli([copy], { target: "demo", rewrite: true });
    expect(code).toBe(ExitCode.valid);
    expect(stdout).toContain("0 file(s) rewritten");
    for (const file of readdirSync(EXAMPLES))
      expect(readFileSync(join(copy, file), "utf8")).toBe(readFileSync(join(EXAMPLES, file), "utf8"));
  });

  it("exits 1 on a mismatch with a diff at file:line; --rewrite fixes the file, which then passes", {
    timeout: 60_000,
  }, async () => {
    const path = join(dir, "sequential-exec.txt");
    const original = readFileSync(join(EXAMPLES, "sequential-exec.txt"), "utf8");
    const broken = original.replace("ok read x 1\nok read y nil", "ok read x 7\nok read y nil");
    expect(broken).not.toBe(original);
    writeFileSync(path, broken);

    const failed = await cli([path], { target: "demo" });
    expect(failed.code).toBe(ExitCode.invalid);
    expect(failed.stdout).toContain(`FAIL       ${path}`);
    expect(failed.stderr).toContain(`${path}:6: output of \`exec\` does not match`);
    expect(failed.stderr).toContain("-ok read x 7\n+ok read x 1\n");

    const rewritten = await cli([path], { target: "demo", rewrite: true });
    expect(rewritten.code).toBe(ExitCode.valid);
    expect(rewritten.stdout).toContain(`rewritten  ${path}`);
    expect(readFileSync(path, "utf8")).toBe(original);
    expect((await cli([path], { target: "demo" })).code).toBe(ExitCode.valid);
  });

  it("exits 64 naming file:line for a bad node, link, argument or op line", { timeout: 60_000 }, async () => {
    const path = join(dir, "mistakes.txt");
    const cases: [text: string, line: number, message: string][] = [
      ["exec node=n9\nread x\n----\n", 1, "node=n9: no such node; the nodes are n1, n2, n3"],
      ["hold link=n1=>n2\n----\n", 1, "link=n1=>n2: expected a->b"],
      ["hold link=n1->n7\n----\n", 1, "link=n1->n7: no such link"],
      ["exec nod=n2\nread x\n----\n", 1, "exec: unknown argument nod"],
      ["exec\nread x\n42 x\n----\n", 3, "expected an op name first"],
      ["await session=nobody\n----\n", 1, "session nobody has no async ops to await"],
      ["kill\n----\n", 1, "missing argument: node"],
      ["partition n1 | n9\n----\n", 1, "partition: no node n9"],
      ["exec\nread x\n----\nok read x nil\n\ncluster nodes=5\n----\n", 6, "the cluster already started"],
    ];
    for (const [text, line, message] of cases) {
      writeFileSync(path, text);
      const { code, stderr } = await cli([path], { target: "demo" });
      expect({ text, code }).toEqual({ text, code: ExitCode.usage });
      expect(stderr).toContain(`${path}:${line}: `);
      expect(stderr).toContain(message);
    }
  });

  it("wait: on a timeout, the last output is diffed (exit 1), or, with no expected output, it fails (exit 3)", {
    timeout: 60_000,
  }, async () => {
    const path = join(dir, "wait-timeout.txt");
    writeFileSync(path, "wait timeout=300ms\nread never\n----\nok read never 1\n");
    const mismatch = await cli([path], { target: "demo" });
    expect(mismatch.code).toBe(ExitCode.invalid);
    expect(mismatch.stderr).toContain(`${path}:1: output of \`wait timeout=300ms\` does not match`);
    expect(mismatch.stderr).toContain("-ok read never 1\n+ok read never nil\n");

    writeFileSync(path, "wait timeout=300ms\nread never\n----\n");
    const untrue = await cli([path], { target: "demo" });
    expect(untrue.code).toBe(ExitCode.runFailed);
    expect(untrue.stderr).toContain("wait: not every op was ok with a true value after 300 ms; last output:");
    expect(untrue.stderr).toContain("ok read never nil");
  });

  it("without --target runs the generic directives and says a cluster directive needs one", async () => {
    const path = join(dir, "no-target.txt");
    writeFileSync(path, "echo\nhi\n----\nhi\n\nexec\nread x\n----\n");
    const { code, stderr } = await cli([path]);
    expect(code).toBe(ExitCode.usage);
    expect(stderr).toContain(`${path}:6: unknown directive "exec" without a target`);
    expect(stderr).toContain("--target demo|etcd|redis");
  });

  it("refuses --demo-mode with another target", async () => {
    const path = join(dir, "mode.txt");
    writeFileSync(path, "echo\nhi\n----\nhi\n");
    const { code, stderr } = await cli([path], { target: "etcd", demoMode: "stale-reads" });
    expect(code).toBe(ExitCode.usage);
    expect(stderr).toContain("--demo-mode applies to --target demo");
  });
});

describe("ClusterHarness", () => {
  it("starts nothing for a file of generic directives", async () => {
    const harness = new ClusterHarness({ kind: "demo" });
    const path = join(dir, "generic.txt");
    writeFileSync(path, "create-file name=a\nx\n----\n\ncat-file name=a\n----\nx\n");
    await runDataDriven(
      path,
      perFile(() => ({
        handler: tableHandler(genericDirectives(clusterDirectives(harness))),
        close: () => harness.close(),
      })),
    );
    expect(harness.isStarted).toBe(false);
  });

  it("leaves no process behind when a directive throws mid-file", { timeout: 60_000 }, async () => {
    const harness = new ClusterHarness({ kind: "demo", nodes: 2 });
    const pids: number[] = [];
    const path = join(dir, "throws.txt");
    // The async write is held forever; `await` gives up after 200 ms and throws; the file stops there.
    writeFileSync(
      path,
      "hold link=client->n1\n----\n\nasync session=w\nwrite x 1\n----\n\npids\n----\n\n" +
        "await session=w timeout=200ms\n----\nok write x 1\n\nexec\nread x\n----\nok read x nil\n",
    );
    const result = await runDataDriven(
      path,
      perFile(() => ({
        handler: tableHandler(
          genericDirectives({
            ...clusterDirectives(harness),
            pids: () => {
              for (const node of harness.running!.cluster.nodes) pids.push(node.pid!);
              return "";
            },
          }),
        ),
        close: () => harness.close(),
      })),
      { throwOnFailure: false },
    );
    expect(result.status).toBe("fail");
    expect(result.results.map((r) => r.status)).toEqual(["pass", "pass", "pass", "error", "skipped"]);
    expect(String(result.results[3]!.error)).toContain("session w: ops still running after 200 ms");
    expect(pids).toHaveLength(2);
    expect(pids.filter(isAlive)).toEqual([]);
    expect(harness.running!.cluster.nodes.some((node) => node.isRunning())).toBe(false);
  });
});
