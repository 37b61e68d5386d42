import type { MigInstance } from './mig-layout.ts';
import type { NodeGroups } from './node-groups.ts';

/**
 * Cluster model types. Units: CPU in milli-cores (1000 = 1 vCPU), memory in MiB, GPU in milli-GPU
 * (1000 = one whole GPU). Nodes and GPUs are addressed by their index; ids are for people.
 */

export interface GpuSpec {
  readonly model: string;
  /** Capacity in milli-GPU; 1000 for a whole GPU. */
  readonly capacity: number;
  /**
   * MIG-partitioned: the GPU serves only MIG-profile requests, in the instances of the model's
   * table (src/cluster/mig-profiles.ts). Absent: a whole GPU, shareable by milli.
   */
  readonly mig?: boolean;
}

export interface NodeSpec {
  readonly id: string;
  readonly cpu: number;
  readonly memory: number;
  readonly gpus: readonly GpuSpec[];
  /** Free-form labels (zone, rack …) that policies may read. */
  readonly labels?: Readonly<Record<string, string>>;
}

/** A share of one GPU granted to a job. MIG grants extend this union in the MIG model. */
export interface GpuGrant {
  /** GPU index within the node. */
  readonly gpu: number;
  /** Milli-GPU taken from that GPU. */
  readonly milli: number;
  /** On a MIG GPU: the instance granted (profile and start slot); milli = its slots × 125. */
  readonly mig?: { readonly profile: string; readonly start: number };
}

/** Part of a placement on one node. */
export interface PlacementPart {
  readonly node: number;
  readonly gpus: readonly GpuGrant[];
}

export interface Placement {
  /** Node index. */
  readonly node: number;
  readonly gpus: readonly GpuGrant[];
  /**
   * A gang spanning nodes: further parts on other nodes (absent for single-node placements).
   * CPU and memory are split over the parts in proportion to their GPUs (see `splitDemand`).
   */
  readonly parts?: readonly PlacementPart[];
}

/** What a job asks for; the cluster checks grants against it. */
export interface Demand {
  readonly cpu: number;
  readonly memory: number;
  /** Number of GPUs (0 for a CPU-only job). */
  readonly gpus: number;
  /** Milli-GPU needed on each of those GPUs (1..1000). */
  readonly milli: number;
  /** Allowed GPU models; empty or absent means any. */
  readonly models?: readonly string[];
  /** A MIG profile (e.g. `1g.10gb`): the job needs one instance of it on a MIG GPU (`gpus` = 1). */
  readonly mig?: string;
}

export interface GpuView {
  readonly index: number;
  readonly model: string;
  readonly capacity: number;
  readonly free: number;
  /** MIG state, on MIG-partitioned GPUs only. */
  readonly mig?: MigGpuView;
}

export interface MigGpuView {
  /** Configured instances, in use (`job` set) or idle, sorted by start. */
  readonly instances: readonly MigInstance[];
  /** True while the layout is being reconfigured: nothing new can be granted on this GPU. */
  readonly reconfiguring: boolean;
}

export interface NodeView {
  readonly index: number;
  readonly id: string;
  readonly cpu: number;
  readonly memory: number;
  readonly cpuFree: number;
  readonly memoryFree: number;
  readonly gpus: readonly GpuView[];
  /** Sum of free milli-GPU over this node's GPUs. */
  readonly gpuFree: number;
  /** False while the node is down (live mode, node-loss events). */
  readonly up: boolean;
  readonly labels?: Readonly<Record<string, string>>;
}

/** Read-only view of the cluster that policies receive. */
export interface ClusterView {
  readonly nodes: readonly NodeView[];
  /** Total milli-GPU capacity of the cluster. */
  readonly gpuCapacity: number;
  /** Milli-GPU currently allocated. */
  readonly gpuAllocated: number;
  readonly cpuCapacity: number;
  readonly cpuAllocated: number;
  readonly memoryCapacity: number;
  readonly memoryAllocated: number;
  /** Distinct GPU models present, sorted. */
  readonly models: readonly string[];
  /**
   * Up nodes grouped by placement state (the live cluster keeps it current; a plain copy of a
   * view has none): policies that read only what a group shares may scan groups, not nodes.
   */
  readonly groups?: () => NodeGroups;
}
