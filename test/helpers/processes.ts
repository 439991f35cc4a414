/** Process checks the no-orphan tests share: by pid, through /proc. */
import { readFileSync } from "node:fs";

/** The state letter of `/proc/<pid>/stat` (`R`, `S`, `T`, `Z`, ...), or undefined when there is no such process. */
export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  } catch {
    return undefined;
  }
}

/** True while `pid` is a live process: a zombie (exited, not yet reaped) is not alive. */
export function isAlive(pid: number): boolean {
  const state = processState(pid);
  return state !== undefined && state !== "Z";
}
