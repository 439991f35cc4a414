/**
 * signalTree reaches descendants that left the root's group, even when the
 * signal is a SIGKILL that ends the root (its children are reparented the
 * moment it dies, so they must be found before). Checked by pid.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { signalTree } from "../../src/cluster/process.js";
import { isAlive, processState } from "../helpers/processes.js";

const dir = mkdtempSync(join(tmpdir(), "crucible-signal-tree-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function until(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not ${what} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A root (own group) whose child sets up a session of its own (as a lock wrapper's child group does). */
async function rootWithEscapedChild(
  tag: string,
): Promise<{ root: number; escaped: number; inGroup: number }> {
  const file = join(dir, `${tag}.pids`);
  const root = spawn(
    "sh",
    [
      "-c",
      `setsid sleep 300 & a=$!; sleep 300 & echo "$a $!" > "${file}.tmp"; mv "${file}.tmp" "${file}"; wait`,
    ],
    { detached: true, stdio: "ignore" },
  );
  root.unref();
  await until("the tree up", () => existsSync(file));
  const [escaped, inGroup] = readFileSync(file, "utf8").trim().split(" ").map(Number) as [number, number];
  // setsid forks when it is a group leader; it is not here (sh's child), so the pid is the sleep's.
  await until("the escaped child in its own session", () => {
    const stat = readFileSync(`/proc/${escaped}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]) === escaped;
  });
  return { root: root.pid!, escaped, inGroup };
}

describe("signalTree", () => {
  it("SIGKILL ends the root, its group and the descendant that left it", async () => {
    const { root, escaped, inGroup } = await rootWithEscapedChild("kill");
    expect([root, escaped, inGroup].every(isAlive)).toBe(true);
    expect(signalTree(root, "SIGKILL")).toBe(true);
    await until("all gone", () => ![escaped, inGroup].some(isAlive), 2_000).catch(() => {});
    expect([escaped, inGroup].filter(isAlive)).toEqual([]);
  });

  it("SIGSTOP and SIGCONT reach the descendant that left the group", async () => {
    const { root, escaped, inGroup } = await rootWithEscapedChild("stop");
    try {
      signalTree(root, "SIGSTOP");
      await until("stopped", () => processState(escaped) === "T" && processState(inGroup) === "T", 2_000);
      signalTree(root, "SIGCONT");
      await until(
        "running again",
        () => processState(escaped) !== "T" && processState(inGroup) !== "T",
        2_000,
      );
    } finally {
      signalTree(root, "SIGKILL");
    }
  });

  it("a gone group is reported as not delivered", () => {
    // pid_max is at most 2^22 on Linux: this group cannot exist.
    expect(signalTree(2 ** 22 + 7, "SIGKILL")).toBe(false);
  });
});
