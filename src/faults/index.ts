/**
 * Faults: process (kill, stop, pause), network (proxies without root,
 * namespaces + iptables/tc as root), clock (libfaketime), custom, and the
 * seeded schedules that mix them and always heal. See docs/faults.md.
 */
export { ACTOR_FS, type ActorNemesisOptions, actorNemesis } from "./actor-nemesis.js";
export {
  type ClockFaults,
  type ClockFaultsOptions,
  type ClockProbe,
  type ClockReach,
  type ClockReport,
  clockFaults,
  faketimeOffset,
  findLibfaketime,
  isGoBinary,
  LIBFAKETIME_PATHS,
  type StrobeOptions,
} from "./clock.js";
export { CLOCK_FS, clockNemesis } from "./clock-nemesis.js";
export { composeNemeses } from "./compose.js";
export { type CustomFaultResult, type CustomNemesisOptions, customFaults, customNemesis } from "./custom.js";
export {
  directHooks,
  type FaultCluster,
  type FaultTools,
  faultToolsOf,
  type NetworkMode,
  type RecipeHooks,
  type StartFaultClusterOptions,
  startFaultCluster,
} from "./fault-cluster.js";
export { createHostsNetwork, type HostsNetwork } from "./hosts-network.js";
export { type ExpectNoLeaksOptions, expectNoLeaks, findLeaks, type Leak } from "./leaks.js";
export {
  type CreateNetnsOptions,
  createNetnsNetwork,
  type NetnsAvailability,
  type NetnsNetwork,
  namespacesWithPrefix,
  netnsAvailability,
  sweepLeftovers,
} from "./netns.js";
export {
  type LatencyFault,
  type LinkFaultReport,
  type NetworkFaults,
  type PartitionReport,
  proxiesTouching,
  proxyNetwork,
} from "./network.js";
export { NETWORK_FS, networkNemesis } from "./network-nemesis.js";
export * from "./partition.js";
export {
  type ProcessFaultKind,
  type ProcessNemesisOptions,
  processFaultSchedule,
  processFaults,
  processNemesis,
} from "./process.js";
export * from "./proxy/index.js";
export {
  type FaultScheduleOptions,
  faultSchedule,
  faultScheduleOps,
  healOps,
  nemesisForKinds,
  parseFaultKinds,
  recoveryNemesis,
} from "./schedule.js";
export {
  majoritySize,
  minoritySize,
  type ResolvedTarget,
  resolveTarget,
  type TargetSpec,
  targetNodeNames,
  targetOf,
} from "./targets.js";
export type { Nemesis, NemesisContext, NemesisPackage } from "./types.js";
export {
  FAULT_KINDS,
  FAULTS,
  type FaultDraw,
  type FaultHeal,
  type FaultKind,
  type FaultKindInfo,
  type FaultNeed,
  healedKinds,
  isNeutralNemesisOp,
  isStarter,
  kindsNeed,
  type PartitionShape,
} from "./vocabulary.js";
