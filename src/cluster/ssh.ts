/**
 * Hosts reached over SSH, with the system's OpenSSH client (`ssh`), as
 * Jepsen's control node reaches its DB nodes.
 *
 * ```ts
 * const host = new SshHost(parseHostTarget("n1=root@10.0.0.1"), { privateKey: "~/.ssh/id_ed25519" }, dir);
 * await host.connect();                       // one multiplexed connection
 * await host.run("mkdir -p /tmp/x");          // a HostError (host, command, stderr) when it fails
 * await host.close();
 * ```
 *
 * Why each choice:
 * - The system client, not a library: it reads the user's `~/.ssh/config`,
 *   agent and known hosts exactly as their own `ssh` does, and its error
 *   messages are the ones they know.
 * - One ControlMaster per host (`ControlPath` in the runner's temp dir): every
 *   command after the first rides the same authenticated connection, so a
 *   fault over SSH costs a round trip, not a handshake. The master runs in
 *   the foreground as the runner's own child (`-N`, `ControlPersist=no`), in
 *   its own process group registered with the exit handler and the watchdog:
 *   a backgrounded persistent master would outlive a runner killed with
 *   SIGKILL, and with it the connection that keeps the host's nodes alive.
 * - `BatchMode=yes`: never a password or passphrase prompt that would hang a
 *   run; a key that does not work is an error at connect time.
 * - Every command has a deadline ({@link SSH_COMMAND_TIMEOUT_MS}); a failure
 *   is a {@link HostError} naming the host, the command and its stderr.
 */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describeError, ExitCode, type ExitCodeValue, UsageError } from "../errors/index.js";
import { KILL_WAIT_MS, ManagedProcess, readLog } from "./process.js";

/** Bound on one command over SSH (a `mkdir`, a `kill`, a `cat` of a log). */
export const SSH_COMMAND_TIMEOUT_MS = 30_000;
/** Bound on the first connection to a host (TCP, key exchange, authentication). */
export const SSH_CONNECT_TIMEOUT_MS = 15_000;
/** Bound on the stdout or stderr kept from one command. */
const OUTPUT_MAX_BYTES = 16 * 1024 * 1024;

export type StrictHostKeyChecking = "yes" | "no" | "accept-new";
export const STRICT_HOST_KEY_CHECKING: readonly StrictHostKeyChecking[] = ["yes", "no", "accept-new"];

/** One host: the node name it carries and how to reach it (`n1=user@10.0.0.1:22`). */
export interface HostTarget {
  /** The node's name on it ("n1"); the position in the list when not given. */
  readonly name: string;
  readonly user?: string;
  /** Address or name, as `ssh` takes it; also the address clients and peers dial. */
  readonly address: string;
  readonly port?: number;
}

/** How to reach the hosts (Jepsen's `--ssh-private-key`, `--username`, strict host key checking). */
export interface SshOptions {
  /** `-i`: the private key; default the user's own keys and agent. */
  readonly privateKey?: string;
  /** `-l`: the user for hosts that name none; default the user's ssh config or local name. */
  readonly username?: string;
  /** Default `yes` with the user's known hosts (what `ssh` does). */
  readonly strictHostKeyChecking?: StrictHostKeyChecking;
  /** `UserKnownHostsFile`; default the user's `~/.ssh/known_hosts`. */
  readonly knownHostsFile?: string;
  /** The `ssh` executable; default `ssh` on PATH. */
  readonly sshCommand?: string;
  /** Bound on connecting; default {@link SSH_CONNECT_TIMEOUT_MS}. */
  readonly connectTimeoutMs?: number;
}

/** The run failed on a host: which one, which command, and what it said. Exit 3. */
export class HostError extends Error {
  readonly host: string;
  readonly command: string;
  readonly stderr: string;
  readonly exitCode: ExitCodeValue = ExitCode.runFailed;
  constructor(options: { host: string; command: string; stderr: string; reason?: string }) {
    const said = options.stderr.trim();
    super(
      `host ${options.host}: ${options.reason ?? "command failed"}: ${options.command}${said ? `\n  stderr: ${said.split("\n").slice(-20).join("\n          ")}` : ""}`,
    );
    this.name = "HostError";
    this.host = options.host;
    this.command = options.command;
    this.stderr = said;
  }
}

/** `'it'\''s'`: one argument for a POSIX shell, whatever it holds. */
export function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, "'\\''")}'`;
}

/** A command line for a POSIX shell from an argv. */
export function shellJoin(argv: readonly string[]): string {
  return argv.map(shellQuote).join(" ");
}

/**
 * `n1=user@addr:port`, `user@addr`, `addr`: one host. `where` names the flag
 * or `file:line` for the error.
 */
export function parseHostTarget(text: string, fallbackName: string, where: string): HostTarget {
  const trimmed = text.trim();
  const equals = trimmed.indexOf("=");
  const name = equals >= 0 ? trimmed.slice(0, equals).trim() : fallbackName;
  const rest = equals >= 0 ? trimmed.slice(equals + 1).trim() : trimmed;
  if (!/^[A-Za-z][\w-]{0,31}$/.test(name))
    throw new UsageError(`bad node name ${JSON.stringify(name)} (letters, digits, - and _)`, where);
  const match =
    /^(?:([A-Za-z_][\w.-]*)@)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9.-]*)(?::(\d{1,5}))?$/.exec(rest);
  if (!match)
    throw new UsageError(`bad host ${JSON.stringify(rest)}: expected [name=][user@]address[:port]`, where);
  const port = match[3] === undefined ? undefined : Number(match[3]);
  if (port !== undefined && (port < 1 || port > 65535))
    throw new UsageError(`bad port ${port} in ${JSON.stringify(rest)}`, where);
  const address = match[2]!.replace(/^\[|\]$/g, "");
  return { name, address, ...(match[1] && { user: match[1] }), ...(port !== undefined && { port }) };
}

/** `user@address` (with the port in words), for messages. */
export function describeTarget(target: HostTarget, options: SshOptions = {}): string {
  const user = target.user ?? options.username;
  return `${target.name} (${user ? `${user}@` : ""}${target.address}${target.port ? `:${target.port}` : ""})`;
}

export interface ExecResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ExecOptions {
  /** Default {@link SSH_COMMAND_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
  /** What the command is, for the error (default the command itself). */
  readonly describe?: string;
}

/** A long-lived session on a host (the keeper, an exit watcher): a local `ssh` child. */
export interface SshSession {
  /** Resolves when the session ends, with `ssh`'s exit code (255: the connection failed). */
  readonly ended: Promise<number | null>;
  /** Close its stdin: a remote `cat` sees EOF. */
  endInput(): void;
  /** Kill the local client (the remote side sees its channel close). */
  kill(): void;
}

/** One host and its multiplexed connection. */
export class SshHost {
  readonly target: HostTarget;
  /** `n1 (root@10.0.0.1)`, for messages. */
  readonly label: string;
  private readonly controlPath: string;
  private master: ManagedProcess | undefined;
  private readonly masterLog: string;
  private closed = false;

  constructor(
    target: HostTarget,
    private readonly options: SshOptions,
    /** A private (0700) local dir for the control socket and the master's log. */
    controlDir: string,
  ) {
    this.target = target;
    this.label = describeTarget(target, options);
    // Short: a Unix socket path has ~108 bytes, and ssh adds a suffix while it binds.
    this.controlPath = join(controlDir, `${target.name}.sock`);
    this.masterLog = join(controlDir, `${target.name}-master.log`);
  }

  private get ssh(): string {
    return this.options.sshCommand ?? "ssh";
  }

  /** Options every invocation shares: how to authenticate and check the host. */
  private commonArgs(): string[] {
    const connectS = Math.max(1, Math.ceil((this.options.connectTimeoutMs ?? SSH_CONNECT_TIMEOUT_MS) / 1000));
    const args = [
      "-o",
      "BatchMode=yes",
      "-o",
      `ConnectTimeout=${connectS}`,
      "-o",
      "ServerAliveInterval=5",
      "-o",
      "ServerAliveCountMax=3",
      "-o",
      "LogLevel=ERROR",
      "-o",
      `StrictHostKeyChecking=${this.options.strictHostKeyChecking ?? "yes"}`,
      "-o",
      `ControlPath=${this.controlPath}`,
    ];
    if (this.options.knownHostsFile) args.push("-o", `UserKnownHostsFile=${this.options.knownHostsFile}`);
    if (this.options.privateKey) args.push("-i", this.options.privateKey, "-o", "IdentitiesOnly=yes");
    const user = this.target.user ?? this.options.username;
    if (user) args.push("-l", user);
    if (this.target.port) args.push("-p", String(this.target.port));
    return args;
  }

  /**
   * Open the master connection and wait until it accepts sessions. A host
   * that cannot be reached, a key it refuses, a host key that does not match:
   * a {@link HostError} with what `ssh` said.
   */
  async connect(): Promise<void> {
    if (this.master?.isRunning()) return;
    // What this connection attempt said, and nothing older.
    writeFileSync(this.masterLog, "", { mode: 0o600 });
    const args = [
      ...this.commonArgs(),
      "-o",
      "ControlMaster=yes",
      "-o",
      "ControlPersist=no",
      "-N",
      this.target.address,
    ];
    const master = await ManagedProcess.spawn({
      command: this.ssh,
      args,
      env: { ...process.env },
      logPath: this.masterLog,
    }).catch((error: unknown) => {
      throw new HostError({
        host: this.label,
        command: shellJoin([this.ssh, ...args]),
        stderr: describeError(error),
        reason: "cannot run ssh",
      });
    });
    master.unref();
    this.master = master;
    const deadline = Date.now() + (this.options.connectTimeoutMs ?? SSH_CONNECT_TIMEOUT_MS) + 5_000;
    // Bounded by the deadline: `-O check` answers once the master has authenticated.
    for (let attempt = 0; Date.now() < deadline; attempt++) {
      if (!master.isRunning()) break;
      const check = await this.spawnCollect(
        [...this.commonArgs(), "-O", "check", this.target.address],
        5_000,
      );
      if (check.code === 0) return;
      await new Promise((resolve) => setTimeout(resolve, Math.min(200, 20 * (attempt + 1))));
    }
    const running = master.isRunning();
    await master.kill(KILL_WAIT_MS).catch(() => {});
    const said = readLog(this.masterLog).replace(/^--- crucible:.*\n/gm, "");
    throw new HostError({
      host: this.label,
      command: shellJoin([this.ssh, ...args]),
      stderr: said,
      reason: running ? "ssh did not connect in time" : "cannot connect",
    });
  }

  /** Run `ssh` locally, collect its output (bounded), kill it at the deadline. */
  private spawnCollect(
    args: readonly string[],
    timeoutMs: number,
  ): Promise<ExecResult & { timedOut: boolean }> {
    return new Promise((resolve) => {
      const child = spawn(this.ssh, args, { stdio: ["ignore", "pipe", "pipe"] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let outBytes = 0;
      let errBytes = 0;
      let timedOut = false;
      child.stdout.on("data", (chunk: Buffer) => {
        outBytes += chunk.length;
        if (outBytes <= OUTPUT_MAX_BYTES) out.push(chunk);
      });
      child.stderr.on("data", (chunk: Buffer) => {
        errBytes += chunk.length;
        if (errBytes <= OUTPUT_MAX_BYTES) err.push(chunk);
      });
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill("SIGKILL");
      }, timeoutMs);
      const finish = (code: number | null, extra = ""): void => {
        clearTimeout(timer);
        resolve({
          code,
          stdout: Buffer.concat(out).toString("utf8"),
          stderr: Buffer.concat(err).toString("utf8") + extra,
          timedOut,
        });
      };
      child.once("error", (error) => finish(null, describeError(error)));
      child.once("close", (code) => finish(code));
    });
  }

  /** Run a shell command on the host; resolves with its exit code and output, whatever they are. */
  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    if (this.closed)
      throw new HostError({ host: this.label, command, stderr: "", reason: "connection closed" });
    const timeoutMs = options.timeoutMs ?? SSH_COMMAND_TIMEOUT_MS;
    const result = await this.spawnCollect(
      [...this.commonArgs(), "-o", "ControlMaster=no", this.target.address, "--", command],
      timeoutMs,
    );
    if (result.timedOut)
      throw new HostError({
        host: this.label,
        command: options.describe ?? command,
        stderr: result.stderr,
        reason: `no answer within ${timeoutMs} ms`,
      });
    if (result.code === 255 || result.code === null)
      throw new HostError({
        host: this.label,
        command: options.describe ?? command,
        stderr: result.stderr,
        reason: "ssh failed",
      });
    return result;
  }

  /** Run a shell command; its stdout, or a {@link HostError} when it exits non-zero. */
  async run(command: string, options: ExecOptions = {}): Promise<string> {
    const result = await this.exec(command, options);
    if (result.code !== 0)
      throw new HostError({
        host: this.label,
        command: options.describe ?? command,
        stderr: result.stderr || result.stdout,
        reason: `exit code ${result.code}`,
      });
    return result.stdout;
  }

  /**
   * A long-lived session running `command` on the host, over the master
   * connection, with its stdin a pipe from the runner: when the runner ends
   * (even by SIGKILL) the pipe closes and the remote side reads EOF.
   */
  session(command: string): SshSession {
    const child = spawn(
      this.ssh,
      [...this.commonArgs(), "-o", "ControlMaster=no", this.target.address, "--", command],
      // Its own group: a Ctrl-C aimed at the runner's terminal does not cut the session before the runner heals.
      { stdio: ["pipe", "ignore", "ignore"], detached: true },
    );
    child.stdin.on("error", () => {});
    child.unref();
    (child.stdin as unknown as { unref?: () => void }).unref?.();
    const ended = new Promise<number | null>((resolve) => {
      child.once("error", () => resolve(null));
      child.once("exit", (code) => resolve(code));
    });
    return {
      ended,
      endInput: () => child.stdin.end(),
      kill: () => {
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      },
    };
  }

  /** Close the master connection (sessions on it end). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const master = this.master;
    if (!master?.isRunning()) return;
    await this.spawnCollect([...this.commonArgs(), "-O", "exit", this.target.address], 5_000);
    if (!(await master.waitForExit(2_000))) await master.kill(KILL_WAIT_MS).catch(() => {});
  }
}
