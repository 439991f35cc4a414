/**
 * The flags that put a run's nodes on other hosts over SSH (Jepsen's names
 * where Jepsen has one):
 *
 *   --hosts n1=root@10.0.0.1,n2=root@10.0.0.2,n3=root@10.0.0.3
 *   --nodes-file hosts.txt           one host per line, `#` comments
 *   --ssh-private-key ~/.ssh/id_ed25519
 *   --username root                  for hosts that name no user
 *   --strict-host-key-checking yes|no|accept-new
 *   --ssh-known-hosts file           instead of ~/.ssh/known_hosts
 *   --remote-dir /tmp                where node dirs go on each host
 *
 * Bad input (a malformed host, a file that does not exist, a key that is
 * not there) is a usage error, exit 64, naming the flag or `file:line`.
 */
import { existsSync, readFileSync } from "node:fs";
import type { Command } from "commander";
import { checkDistinct, type HostsOptions, parseHostList } from "../cluster/remote.js";
import {
  type HostTarget,
  parseHostTarget,
  STRICT_HOST_KEY_CHECKING,
  type StrictHostKeyChecking,
} from "../cluster/ssh.js";
import { UsageError } from "../errors/index.js";
import { choiceParser } from "./options.js";

export interface HostFlags {
  hosts?: string;
  nodesFile?: string;
  sshPrivateKey?: string;
  username?: string;
  strictHostKeyChecking?: string;
  sshKnownHosts?: string;
  remoteDir?: string;
}

/** Add the host flags to a command that runs a test (`run`, `antithesis`). */
export function addHostFlags(command: Command): Command {
  return command
    .option(
      "--hosts <list>",
      "run node i on host i over SSH: n1=user@addr[:port],n2=... (one node per host; see docs/hosts.md)",
    )
    .option("--nodes-file <file>", "the hosts, one [name=][user@]addr[:port] per line (# comments)")
    .option("--ssh-private-key <file>", "hosts: the SSH private key (default: your ssh config and agent)")
    .option("--username <user>", "hosts: the SSH user for hosts that name none")
    .option(
      "--strict-host-key-checking <mode>",
      `hosts: ${STRICT_HOST_KEY_CHECKING.join(", ")} (default yes)`,
      choiceParser(STRICT_HOST_KEY_CHECKING),
    )
    .option("--ssh-known-hosts <file>", "hosts: known hosts file (default ~/.ssh/known_hosts)")
    .option("--remote-dir <dir>", "hosts: where node dirs go on each host (default /tmp)");
}

/** The hosts of a nodes file; a bad line is a usage error naming `file:line`. */
export function parseNodesFile(path: string): HostTarget[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new UsageError(
      `cannot read the nodes file: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      path,
    );
  }
  const targets: HostTarget[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/#.*$/, "").trim();
    if (line === "") continue;
    targets.push(parseHostTarget(line, `n${targets.length + 1}`, `${path}:${i + 1}`));
  }
  if (targets.length === 0) throw new UsageError("the nodes file names no host", path);
  return checkDistinct(targets, path);
}

/** The hosts the flags name, or undefined when they name none (nodes run locally). */
export function hostsFromFlags(flags: HostFlags): HostsOptions | undefined {
  const sshOnly = [
    ["--ssh-private-key", flags.sshPrivateKey],
    ["--username", flags.username],
    ["--strict-host-key-checking", flags.strictHostKeyChecking],
    ["--ssh-known-hosts", flags.sshKnownHosts],
    ["--remote-dir", flags.remoteDir],
  ] as const;
  if (flags.hosts === undefined && flags.nodesFile === undefined) {
    const stray = sshOnly.find(([, value]) => value !== undefined);
    if (stray) throw new UsageError(`${stray[0]} applies to nodes on hosts: add --hosts or --nodes-file`);
    return undefined;
  }
  if (flags.hosts !== undefined && flags.nodesFile !== undefined)
    throw new UsageError("give the hosts once: --hosts or --nodes-file, not both");
  const targets =
    flags.hosts !== undefined ? parseHostList(flags.hosts, "--hosts") : parseNodesFile(flags.nodesFile!);
  for (const [flag, file] of [
    ["--ssh-private-key", flags.sshPrivateKey],
    ["--ssh-known-hosts", flags.sshKnownHosts],
  ] as const) {
    if (file !== undefined && !existsSync(file)) throw new UsageError(`${flag} ${file}: no such file`);
  }
  if (flags.remoteDir !== undefined && !flags.remoteDir.startsWith("/"))
    throw new UsageError(`--remote-dir ${flags.remoteDir}: must be an absolute path on the hosts`);
  return {
    targets,
    ssh: {
      ...(flags.sshPrivateKey !== undefined && { privateKey: flags.sshPrivateKey }),
      ...(flags.username !== undefined && { username: flags.username }),
      ...(flags.strictHostKeyChecking !== undefined && {
        strictHostKeyChecking: flags.strictHostKeyChecking as StrictHostKeyChecking,
      }),
      ...(flags.sshKnownHosts !== undefined && { knownHostsFile: flags.sshKnownHosts }),
    },
    ...(flags.remoteDir !== undefined && { remoteDir: flags.remoteDir }),
  };
}
