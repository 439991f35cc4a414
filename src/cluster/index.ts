/**
 * Cluster fixtures over real processes: `startServer` / `startCluster` with
 * recipes for etcd, Redis, PostgreSQL, the demo server and any binary.
 */

export type { NodeBackend, NodeLaunch, NodeProcess } from "./backend.js";
export { EtcdKv, type EtcdKvOptions } from "./etcd-kv.js";
export {
  type ClusterOptions,
  ClusterStartError,
  DEFERRED_CLOSE_TIMEOUT_MS,
  LocalCluster,
  LocalNode,
  type ServerHandle,
  startCluster,
  startServer,
} from "./fixture.js";
export {
  allProbes,
  functionProbe,
  httpProbe,
  type Probe,
  type ProbeContext,
  tcpProbe,
  waitUntilReady,
} from "./probes.js";
export { ManagedProcess, signalGroup } from "./process.js";
export type {
  ClusterSpec,
  Launch,
  NodeSpec,
  Recipe,
  RecipeConnector,
  RecipeFaults,
  RecipeVariant,
} from "./recipe.js";
export { type BinaryOptions, binary } from "./recipes/binary.js";
export { type DemoMode, type DemoOptions, demo } from "./recipes/demo.js";
export { ETCD_VARIANTS, type EtcdOptions, etcd, etcdLinearizableRead, etcdStatus } from "./recipes/etcd.js";
export { POSTGRES_VARIANTS, type PostgresOptions, postgres } from "./recipes/postgres.js";
export { REDIS_VARIANTS, type RedisOptions, redis } from "./recipes/redis.js";
export {
  currentHosts,
  type HostsOptions,
  parseHostList,
  SshBackend,
  withHosts,
} from "./remote.js";
export { parseInfo, RespConnection, RespError, type RespValue, respCommand } from "./resp.js";
export {
  HostError,
  type HostTarget,
  parseHostTarget,
  type SshOptions,
  type StrictHostKeyChecking,
} from "./ssh.js";
export { type ClusterSuite, type ClusterSuiteOptions, clusterSuite } from "./suite.js";
export {
  freePorts,
  isRoot,
  LOOPBACK,
  MissingDependencyError,
  requireExecutable,
  whichExecutable,
} from "./system.js";
export { createTestCa, type NodeTls, type TestCa } from "./tls.js";
export type { Cluster, Node } from "./types.js";
export { watchdogPid } from "./watchdog.js";
