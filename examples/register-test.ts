// biome-ignore-all format: kept compact, it is the README's 30-line example
// A user-written test: npx crucible run examples/register-test.ts --time-limit 30
// Three copies of a key-value server binary (here Crucible's own demo server), reads, writes
// and compare-and-set on five keys, kill -9 and pause faults, checked for linearizability.
import {
  binary, defineTest, demoClient, demoServerCommand, httpProbe, kvModel, linearizable, nemesisForRun, stagger, stats,
} from "crucible";

const server = demoServerCommand(); // yours: { command: "./target/release/my-kv", args: [] }

export default defineTest((options) => {
  const faults = nemesisForRun(options); // --nemesis kill,pause,partition,... (default kill,pause)
  const kv = binary({
    name: "my-kv",
    command: server.command,
    args: (node) => [
      ...server.args, "--name", node.name, "--port", String(node.port), "--data-dir", node.dataDir,
      "--leader", "n1", "--peers", node.cluster.nodes.filter((peer) => peer !== node)
        .map((peer) => `${peer.name}=http://${peer.host}:${peer.port}`).join(","),
    ],
    ready: (node) => httpProbe({ url: `http://${node.host}:${node.port}/health` }),
  });
  return {
    name: "my-kv-register",
    cluster: (ctx) => faults.startCluster({ ctx, recipe: () => kv }),
    client: demoClient(),
    generator: stagger(5, (ctx) => {
      const [key, value] = [ctx.random.int(0, 4), ctx.random.int(0, 4)];
      return ctx.random.pick([{ f: "read", key, value: null }, { f: "write", key, value },
        { f: "cas", key, value: [value, ctx.random.int(0, 4)] }]);
    }),
    nemesis: faults.nemesis,
    finalGenerator: [0, 1, 2, 3, 4].map((key) => ({ f: "read", key, value: null })),
    checker: [stats(), linearizable({ model: kvModel })],
  };
});
