/**
 * expectNoLeaks() finds what a test left: a cluster not stopped (its process
 * group and temp dir), a fault proxy not closed; and passes once they are.
 */
import { describe, expect, it } from "vitest";
import { demo, startCluster } from "../../src/cluster/index.js";
import { expectNoLeaks, findLeaks } from "../../src/faults/leaks.js";
import { startProxy } from "../../src/faults/proxy/proxy.js";
import { Random } from "../../src/random/random.js";

describe("leak check", () => {
  it("names a cluster left running and a proxy left open, then passes once they are gone", {
    timeout: 60_000,
  }, async () => {
    await expectNoLeaks();
    const cluster = await startCluster(demo(), 1, { log: () => {}, seed: 1 });
    const proxy = await startProxy({
      target: { host: cluster.nodes[0]!.host, port: cluster.nodes[0]!.port },
      random: new Random(1),
    });
    const kinds = new Set(findLeaks().map((leak) => leak.kind));
    expect(kinds).toEqual(new Set(["process", "dir", "cluster", "proxy"]));
    const error = await expectNoLeaks({ timeoutMs: 100 }).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect(String(error)).toContain(`process group ${cluster.nodes[0]!.pid}`);
    expect(String(error)).toContain(cluster.runDir);
    expect(String(error)).toContain(`fault proxy on 127.0.0.1:${proxy.port}`);
    await proxy.close();
    await cluster.stop();
    await expectNoLeaks();
  });
});
