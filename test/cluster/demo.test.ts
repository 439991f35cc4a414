/** The demo server (src/demo) as a 3-node cluster: leader n1, ops through any node, peer URL hook. */
import { expect, test } from "vitest";
import { demo, type NodeSpec, startCluster } from "../../src/cluster/index.js";

async function op(url: string, body: object): Promise<{ type: string; value: unknown; node: string }> {
  const response = await fetch(`${url}/op`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });
  return (await response.json()) as { type: string; value: unknown; node: string };
}

test("3 demo nodes: health, a write through a follower is read back from the leader", async () => {
  const peerCalls: string[] = [];
  const peerUrl = (from: NodeSpec, to: NodeSpec, direct: string) => {
    peerCalls.push(`${from.name}->${to.name}`);
    return direct;
  };
  await using cluster = await startCluster(demo({ mode: "linearizable", peerUrl }), 3, { log: () => {} });
  expect(peerCalls).toContain("n2->n1");
  expect(peerCalls).toContain("n1->n3");
  expect((await cluster.leader!())?.name).toBe("n1");
  for (const node of cluster.nodes) {
    const health = (await (await fetch(`${node.url}/health`)).json()) as {
      name: string;
      leader: string;
      mode: string;
    };
    expect(health).toMatchObject({ name: node.name, leader: "n1", mode: "linearizable" });
    expect(await node.logs()).toContain(`READY ${node.port}`);
  }
  expect(await op(cluster.node(1).url, { f: "write", key: "x", value: 5 })).toMatchObject({ type: "ok" });
  expect(await op(cluster.node(0).url, { f: "read", key: "x" })).toMatchObject({ type: "ok", value: 5 });
});
