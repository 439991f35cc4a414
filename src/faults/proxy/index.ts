/** The userspace TCP fault proxy and the proxy mesh; see `proxy.ts` and `mesh.ts`. */

export {
  type GrudgeReport,
  type MeshNode,
  type PeerAddressing,
  type ProxyMesh,
  type StartProxyMeshOptions,
  startProxyMesh,
} from "./mesh.js";
export {
  type BandwidthOptions,
  type FaultProxy,
  type HoldOptions,
  type LatencyOptions,
  type LossOptions,
  type ReleaseOptions,
  type StartProxyOptions,
  startProxy,
  type WaitForHeldOptions,
} from "./proxy.js";
export type * from "./types.js";
