/**
 * Cluster model types. Units: CPU in milli-cores (1000 = 1 vCPU), memory in MiB, GPU in milli-GPU
 * (1000 = one whole GPU). Nodes and GPUs are addressed by their index; ids are for people.
 */

export interface GpuSpec {
  readonly model: string;
  /** Capacity in milli-GPU; 1000 for a whole GPU. */
  readonly capacity: number;
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
}

export interface Placement {
  /** Node index. */
  readonly node: number;
  readonly gpus: readonly GpuGrant[];
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
}

export interface GpuView {
  readonly index: number;
  readonly model: string;
  readonly capacity: number;
  readonly free: number;
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
}
