/**
 * A node's server process on another host, started and signalled over SSH.
 *
 * Start: one command over the host's connection checks the binary is there,
 * then runs it under `setsid` (its own session and process group, so it
 * survives the SSH session that started it and every signal reaches its
 * helpers too) in the node's dir, with stdin from /dev/null and stdout and
 * stderr appended to the node's log on the host. The server's pid (its
 * process group) is written to a pid file before it execs, which is what the
 * host's keeper (./remote.ts) kills if the runner dies.
 *
 * Exit: a watcher session on the host polls `/proc/<pid>` (a zombie counts
 * as exited: nobody on the host reaps it promptly) and ends when the process
 * does; its end is the process's end. The exit code is not known (the server
 * is nobody's child on the host): `exitStatus` says `code: null`.
 *
 * Kill, pause, resume, stop: `kill -s SIG -- -<pgid>` over SSH.
 */
import type { NodeLaunch, NodeProcess } from "./backend.js";
import type { ExitStatus } from "./process.js";
import { exitWithin, KILL_WAIT_MS } from "./process.js";
import { HostError, type SshHost, type SshSession, shellJoin, shellQuote } from "./ssh.js";

/** How often the watcher looks at the process on the host. */
const WATCH_INTERVAL_S = "0.1";
/** Bound on how long a start waits for the pid file. */
const PID_WAIT_TRIES = 200;

/** The files of one node on its host. */
export interface RemoteNodeFiles {
  /** The node's dir (its cwd); holds the data dir. */
  readonly dir: string;
  readonly pidFile: string;
  readonly logFile: string;
}

/** The shell script that starts the server; prints its pid. */
export function startScript(files: RemoteNodeFiles, launch: NodeLaunch): string {
  const env = Object.entries(launch.env)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([key, value]) => `${key}=${value}`);
  const argv = ["env", ...env, launch.command, ...launch.args];
  const command = shellQuote(launch.command);
  // `command -v` finds a name on the host's PATH; an absolute path must be an executable file.
  const present = launch.command.includes("/")
    ? `[ -x ${command} ] && [ -f ${command} ]`
    : `command -v ${command} >/dev/null 2>&1`;
  const pid = shellQuote(files.pidFile);
  const inner = `echo $$ > ${pid}.tmp && mv ${pid}.tmp ${pid} && exec "$@"`;
  return [
    `${present} || { echo "${launch.command.replace(/["$`\\]/g, "")}: not found (or not executable) on this host" >&2; exit 127; }`,
    `cd ${shellQuote(launch.cwd)} || exit 1`,
    `rm -f ${pid}`,
    `printf '%s\\n' ${shellQuote(`--- crucible: exec ${launch.command} ${launch.args.join(" ")}`)} >> ${shellQuote(files.logFile)}`,
    `setsid sh -c ${shellQuote(inner)} crucible-node ${shellJoin(argv)} >> ${shellQuote(files.logFile)} 2>&1 < /dev/null &`,
    `i=0; while [ ! -s ${pid} ] && [ $i -lt ${PID_WAIT_TRIES} ]; do sleep 0.05; i=$((i+1)); done`,
    `[ -s ${pid} ] || { echo "no pid file after ${PID_WAIT_TRIES} tries" >&2; exit 1; }`,
    `cat ${pid}`,
  ].join("\n");
}

/** The watcher: ends when `pid` is gone or a zombie. */
function watchScript(pid: number): string {
  return `trap '' HUP PIPE; while kill -0 ${pid} 2>/dev/null; do case "$(sed 's/.*) //' /proc/${pid}/stat 2>/dev/null)" in Z*|'') exit 0;; esac; sleep ${WATCH_INTERVAL_S}; done; exit 0`;
}

export class RemoteProcess implements NodeProcess {
  readonly exited: Promise<ExitStatus>;
  private status: ExitStatus | undefined;

  private constructor(
    private readonly host: SshHost,
    readonly pid: number,
    private readonly watcher: SshSession,
  ) {
    this.exited = watcher.ended.then(() => {
      this.status = { code: null, signal: null };
      return this.status;
    });
  }

  /** Start `launch` on `host`; a {@link HostError} naming the host, the command and its stderr when it cannot. */
  static async start(host: SshHost, files: RemoteNodeFiles, launch: NodeLaunch): Promise<RemoteProcess> {
    const described = shellJoin([launch.command, ...launch.args]);
    const out = await host.run(startScript(files, launch), { describe: described });
    const pid = Number(out.trim().split("\n").pop());
    if (!Number.isInteger(pid) || pid <= 1)
      throw new HostError({ host: host.label, command: described, stderr: out, reason: "no pid" });
    return new RemoteProcess(host, pid, host.session(watchScript(pid)));
  }

  get exitStatus(): ExitStatus | undefined {
    return this.status;
  }

  isRunning(): boolean {
    return this.status === undefined;
  }

  async signal(signal: NodeJS.Signals): Promise<boolean> {
    if (!this.isRunning()) return false;
    const name = signal.replace(/^SIG/, "");
    const result = await this.host.exec(
      `kill -s ${name} -- -${this.pid} 2>/dev/null || kill -s ${name} ${this.pid}`,
      {
        describe: `kill -s ${name} -- -${this.pid}`,
      },
    );
    return result.code === 0;
  }

  async waitForExit(timeoutMs: number): Promise<ExitStatus | undefined> {
    return this.status ?? (await exitWithin(this.exited, timeoutMs));
  }

  async kill(timeoutMs = KILL_WAIT_MS): Promise<void> {
    await this.signal("SIGKILL");
    // A round trip to the host, then the watcher's poll: allow for both on a loaded box.
    if (!(await this.waitForExit(timeoutMs)))
      throw new Error(`${this.host.label}: pid ${this.pid} did not exit within ${timeoutMs} ms of SIGKILL`);
  }

  async stop(graceMs: number): Promise<void> {
    if (!this.isRunning()) return;
    await this.signal("SIGCONT");
    await this.signal("SIGTERM");
    if (await this.waitForExit(graceMs)) return;
    await this.kill();
  }

  /** Stop watching (the host connection is closing). */
  detach(): void {
    this.watcher.kill();
  }
}
