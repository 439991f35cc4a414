/**
 * A node on an SSH host through the `Node` interface, checked from this
 * machine's /proc (the test hosts share its processes): pause stops the
 * server's process on its host, resume continues it, stop and kill end it,
 * start and restart bring it back on the same data dir; logs come over SSH;
 * nothing is left once the cluster stops. Skipped (saying why) when not root
 * or without sshd.
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster } from "../../src/cluster/fixture.js";
import { etcd } from "../../src/cluster/recipes/etcd.js";
import { parseHostList } from "../../src/cluster/remote.js";
import { whichExecutable } from "../../src/cluster/system.js";
import { processState } from "../helpers/processes.js";
import { startTestHosts, type TestHosts, testHostsSkipReason } from "../helpers/ssh-hosts.js";

const skipReason = testHostsSkipReason() ?? (whichExecutable("etcd") ? undefined : "no etcd (etcd-server)");
let hosts: TestHosts;
let remoteDir: string;

describe.skipIf(skipReason !== undefined)(
  `nodes on SSH hosts through the Node interface${skipReason ? ` (skipped: ${skipReason})` : ""}`,
  () => {
    beforeAll(async () => {
      hosts = await startTestHosts(3);
      remoteDir = mkdtempSync(join(tmpdir(), "crucible-nodes-remote-"));
    }, 60_000);

    afterAll(async () => {
      await hosts?.close();
      if (remoteDir) rmSync(remoteDir, { recursive: true, force: true });
    });

    it("pause, resume, stop, start, restart and kill act on the process on its host", async () => {
      const cluster = await startCluster(etcd({ variants: [] }), 3, {
        log: () => {},
        hosts: {
          targets: parseHostList(hosts.hostsFlag),
          ssh: { privateKey: hosts.privateKey, knownHostsFile: hosts.knownHosts },
          remoteDir,
        },
      });
      try {
        expect(cluster.backend.kind).toBe("ssh");
        const node = cluster.node(1);
        expect(node.host).toBe(hosts.hosts[1]!.address);
        expect(node.dataDir.startsWith(`${remoteDir}/`)).toBe(true);
        const first = node.pid!;
        expect(processState(first)).toMatch(/^[RSD]$/);
        // The process runs in host n2's network namespace, under its sshd, not as our child.
        expect(hosts.leftovers()).toContain(first);

        await node.pause();
        expect(processState(first)).toBe("T");
        await node.resume();
        expect(processState(first)).not.toBe("T");

        await node.stop();
        expect(node.isRunning()).toBe(false);
        expect(node.pid).toBeUndefined();
        expect(processState(first) ?? "gone").toMatch(/^(gone|Z)$/);

        await node.start();
        const second = node.pid!;
        expect(second).not.toBe(first);
        expect(processState(second)).toMatch(/^[RSD]$/);

        await node.restart();
        const third = node.pid!;
        expect(third).not.toBe(second);

        await node.kill();
        expect(node.isRunning()).toBe(false);
        expect(processState(third) ?? "gone").toMatch(/^(gone|Z)$/);
        await node.start();

        const logs = await node.logs();
        // Four starts, each headed in the one log on the host, on the same data dir.
        expect(logs.match(/--- crucible: exec /g)?.length).toBe(4);
        expect(logs.split("\n").filter((line) => line.includes(`--data-dir ${node.dataDir}`)).length).toBe(4);
      } finally {
        await cluster.stop();
      }
      expect(readdirSync(remoteDir)).toEqual([]);
      expect(hosts.leftovers()).toEqual([]);
    }, 120_000);

    it("keep: the node dirs stay on the hosts (and are named), the processes do not", async () => {
      const lines: string[] = [];
      const keptDir = mkdtempSync(join(tmpdir(), "crucible-nodes-kept-"));
      try {
        const cluster = await startCluster(etcd({ variants: [] }), 3, {
          log: (line) => lines.push(line),
          keep: true,
          hosts: {
            targets: parseHostList(hosts.hostsFlag),
            ssh: { privateKey: hosts.privateKey, knownHostsFile: hosts.knownHosts },
            remoteDir: keptDir,
          },
        });
        await cluster.stop();
        rmSync(cluster.runDir, { recursive: true, force: true });
        expect(hosts.leftovers()).toEqual([]);
        const roots = readdirSync(keptDir).sort();
        expect(roots).toHaveLength(3);
        for (const [i, root] of roots.entries())
          expect(readdirSync(join(keptDir, root))).toContain(`n${i + 1}`);
        const named = lines.find((line) => line.startsWith("crucible: kept the node dirs on the hosts: "));
        expect(named).toContain(`${keptDir}/${roots[0]}`);
      } finally {
        rmSync(keptDir, { recursive: true, force: true });
      }
    }, 120_000);
  },
);
