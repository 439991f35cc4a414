/**
 * The host flags and files, without any host: what is accepted, and what is
 * refused with exit 64 naming the flag or `file:line`.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { hostsFromFlags, parseNodesFile } from "../../src/cli/hosts.js";
import { parseHostList } from "../../src/cluster/remote.js";
import { parseHostTarget, shellJoin, shellQuote } from "../../src/cluster/ssh.js";
import { ExitCode, UsageError } from "../../src/errors/index.js";

const dir = mkdtempSync(join(tmpdir(), "crucible-host-flags-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(ExitCode.usage);
    return error as UsageError;
  }
  throw new Error("expected a UsageError");
}

describe("host targets", () => {
  it("reads name=user@address:port, with the name and user optional", () => {
    expect(parseHostTarget("n1=root@10.0.0.1:2222", "x", "--hosts")).toEqual({
      name: "n1",
      user: "root",
      address: "10.0.0.1",
      port: 2222,
    });
    expect(parseHostTarget("db-2.example.com", "n4", "--hosts")).toEqual({
      name: "n4",
      address: "db-2.example.com",
    });
    expect(parseHostTarget("n9=[fd00::1]:22", "x", "--hosts")).toEqual({
      name: "n9",
      address: "fd00::1",
      port: 22,
    });
    expect(parseHostList("root@a,root@b").map((target) => target.name)).toEqual(["n1", "n2"]);
  });

  it("refuses malformed hosts, bad ports and a name given twice", () => {
    expect(usageError(() => parseHostList("n1=root@@a")).message).toBe(
      'hosts: bad host "root@@a": expected [name=][user@]address[:port]',
    );
    expect(usageError(() => parseHostList("n1=a:70000")).message).toContain("bad port 70000");
    expect(usageError(() => parseHostList("n1=a,n1=b")).message).toBe("hosts: node n1 is named twice");
    expect(usageError(() => parseHostList(" , ")).message).toBe("hosts: no hosts given");
  });
});

describe("nodes files", () => {
  it("one host per line; comments and blank lines ignored; names by position", () => {
    const file = join(dir, "good.txt");
    writeFileSync(file, "# three hosts\nroot@10.0.0.1\n\n  root@10.0.0.2  # the second\nn3=admin@10.0.0.3\n");
    expect(parseNodesFile(file)).toEqual([
      { name: "n1", user: "root", address: "10.0.0.1" },
      { name: "n2", user: "root", address: "10.0.0.2" },
      { name: "n3", user: "admin", address: "10.0.0.3" },
    ]);
  });

  it("a bad line is named by file:line; a missing or empty file by its path", () => {
    const bad = join(dir, "bad.txt");
    writeFileSync(bad, "root@10.0.0.1\n# fine\nnot a host\n");
    expect(usageError(() => parseNodesFile(bad)).message).toBe(
      `${bad}:3: bad host "not a host": expected [name=][user@]address[:port]`,
    );
    expect(usageError(() => parseNodesFile(join(dir, "none.txt"))).message).toBe(
      `${join(dir, "none.txt")}: cannot read the nodes file: ENOENT`,
    );
    const empty = join(dir, "empty.txt");
    writeFileSync(empty, "# nobody\n");
    expect(usageError(() => parseNodesFile(empty)).message).toBe(`${empty}: the nodes file names no host`);
  });
});

describe("hostsFromFlags", () => {
  it("no host flag: local nodes; an SSH flag without hosts is refused", () => {
    expect(hostsFromFlags({})).toBeUndefined();
    expect(usageError(() => hostsFromFlags({ username: "root" })).message).toBe(
      "--username applies to nodes on hosts: add --hosts or --nodes-file",
    );
  });

  it("builds the SSH options; refuses a missing key, both lists, a relative remote dir", () => {
    const key = join(dir, "key");
    writeFileSync(key, "not really a key\n");
    expect(
      hostsFromFlags({
        hosts: "n1=a",
        sshPrivateKey: key,
        username: "u",
        strictHostKeyChecking: "accept-new",
      }),
    ).toEqual({
      targets: [{ name: "n1", address: "a" }],
      ssh: { privateKey: key, username: "u", strictHostKeyChecking: "accept-new" },
    });
    expect(usageError(() => hostsFromFlags({ hosts: "a", sshPrivateKey: join(dir, "nokey") })).message).toBe(
      `--ssh-private-key ${join(dir, "nokey")}: no such file`,
    );
    expect(usageError(() => hostsFromFlags({ hosts: "a", nodesFile: key })).message).toContain("not both");
    expect(usageError(() => hostsFromFlags({ hosts: "a", remoteDir: "tmp" })).message).toContain("absolute");
  });
});

describe("shell quoting for commands on hosts", () => {
  it("quotes what a shell would split or expand, and nothing else", () => {
    expect(shellQuote("/usr/bin/etcd")).toBe("/usr/bin/etcd");
    expect(shellQuote("it's $HOME")).toBe("'it'\\''s $HOME'");
    expect(shellJoin(["echo", "a b", ""])).toBe("echo 'a b' ''");
  });
});
