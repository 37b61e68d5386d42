import type { ClusterView, Demand, GpuView, NodeSpec, NodeView, Placement } from './types.ts';

export class AllocationError extends Error {
  override name = 'AllocationError';
}

interface GpuState extends GpuView {
  free: number;
}

interface NodeState extends NodeView {
  cpuFree: number;
  memoryFree: number;
  gpuFree: number;
  up: boolean;
  readonly gpus: GpuState[];
}

interface Allocation {
  readonly placement: Placement;
  readonly cpu: number;
  readonly memory: number;
}

/**
 * Mutable cluster state. Only the scheduler core mutates it; policies see it through
 * `ClusterView`. `allocate` and `release` check every invariant and throw `AllocationError`
 * on violation (over-commit, unknown node/GPU, duplicate GPU, double allocation or release).
 */
export class Cluster implements ClusterView {
  readonly nodes: NodeState[];
  readonly gpuCapacity: number;
  readonly cpuCapacity: number;
  readonly memoryCapacity: number;
  readonly models: readonly string[];
  gpuAllocated = 0;
  cpuAllocated = 0;
  memoryAllocated = 0;
  private readonly allocations = new Map<string, Allocation>();

  constructor(specs: readonly NodeSpec[]) {
    const ids = new Set<string>();
    this.nodes = specs.map((s, index) => {
      if (ids.has(s.id)) throw new AllocationError(`duplicate node id ${s.id}`);
      ids.add(s.id);
      const gpus: GpuState[] = s.gpus.map((g, gi) => {
        if (!Number.isInteger(g.capacity) || g.capacity <= 0) {
          throw new AllocationError(`node ${s.id} GPU ${gi}: capacity must be a positive integer milli-GPU`);
        }
        return { index: gi, model: g.model, capacity: g.capacity, free: g.capacity };
      });
      return {
        index,
        id: s.id,
        cpu: s.cpu,
        memory: s.memory,
        cpuFree: s.cpu,
        memoryFree: s.memory,
        gpus,
        gpuFree: gpus.reduce((a, g) => a + g.capacity, 0),
        up: true,
        labels: s.labels,
      };
    });
    this.gpuCapacity = this.nodes.reduce((a, n) => a + n.gpuFree, 0);
    this.cpuCapacity = this.nodes.reduce((a, n) => a + n.cpu, 0);
    this.memoryCapacity = this.nodes.reduce((a, n) => a + n.memory, 0);
    this.models = [...new Set(this.nodes.flatMap((n) => n.gpus.map((g) => g.model)))].sort();
  }

  /** The placement currently held by a job, if any. */
  allocationOf(jobId: string): Placement | undefined {
    return this.allocations.get(jobId)?.placement;
  }

  get allocationCount(): number {
    return this.allocations.size;
  }

  /** Reserves `placement` for `jobId`; checks the grants against `demand` and free capacity. */
  allocate(jobId: string, demand: Demand, placement: Placement): void {
    if (this.allocations.has(jobId)) throw new AllocationError(`job ${jobId} is already allocated`);
    const node = this.nodes[placement.node];
    if (!node) throw new AllocationError(`job ${jobId}: no node with index ${placement.node}`);
    if (!node.up) throw new AllocationError(`job ${jobId}: node ${node.id} is down`);
    if (demand.cpu > node.cpuFree) {
      throw new AllocationError(`job ${jobId}: CPU over-commit on ${node.id} (${demand.cpu} > free ${node.cpuFree})`);
    }
    if (demand.memory > node.memoryFree) {
      throw new AllocationError(
        `job ${jobId}: memory over-commit on ${node.id} (${demand.memory} > free ${node.memoryFree})`,
      );
    }
    if (placement.gpus.length !== demand.gpus) {
      throw new AllocationError(`job ${jobId}: granted ${placement.gpus.length} GPUs, demand is ${demand.gpus}`);
    }
    const seen = new Set<number>();
    for (const g of placement.gpus) {
      const gpu = node.gpus[g.gpu];
      if (!gpu) throw new AllocationError(`job ${jobId}: node ${node.id} has no GPU ${g.gpu}`);
      if (seen.has(g.gpu)) throw new AllocationError(`job ${jobId}: GPU ${g.gpu} on ${node.id} granted twice`);
      seen.add(g.gpu);
      if (g.milli !== demand.milli) {
        throw new AllocationError(`job ${jobId}: grant of ${g.milli} milli on GPU ${g.gpu}, demand is ${demand.milli}`);
      }
      if (g.milli > gpu.free) {
        throw new AllocationError(
          `job ${jobId}: GPU over-commit on ${node.id}/${g.gpu} (${g.milli} > free ${gpu.free})`,
        );
      }
      if (demand.models && demand.models.length > 0 && !demand.models.includes(gpu.model)) {
        throw new AllocationError(`job ${jobId}: GPU model ${gpu.model} not in ${demand.models.join('|')}`);
      }
    }
    // All checks passed: apply.
    node.cpuFree -= demand.cpu;
    node.memoryFree -= demand.memory;
    this.cpuAllocated += demand.cpu;
    this.memoryAllocated += demand.memory;
    for (const g of placement.gpus) {
      node.gpus[g.gpu].free -= g.milli;
      node.gpuFree -= g.milli;
      this.gpuAllocated += g.milli;
    }
    this.allocations.set(jobId, { placement, cpu: demand.cpu, memory: demand.memory });
  }

  /** Returns everything `jobId` holds; throws if it holds nothing (never release twice). */
  release(jobId: string): Placement {
    const a = this.allocations.get(jobId);
    if (!a) throw new AllocationError(`job ${jobId} holds no allocation (double release?)`);
    const node = this.nodes[a.placement.node];
    for (const g of a.placement.gpus) {
      const gpu = node.gpus[g.gpu];
      if (gpu.free + g.milli > gpu.capacity) {
        throw new AllocationError(`job ${jobId}: release would exceed capacity of ${node.id}/${g.gpu}`);
      }
    }
    node.cpuFree += a.cpu;
    node.memoryFree += a.memory;
    this.cpuAllocated -= a.cpu;
    this.memoryAllocated -= a.memory;
    for (const g of a.placement.gpus) {
      node.gpus[g.gpu].free += g.milli;
      node.gpuFree += g.milli;
      this.gpuAllocated -= g.milli;
    }
    this.allocations.delete(jobId);
    return a.placement;
  }

  /** Marks a node up or down. A node must hold no allocation to go down (evict first). */
  setUp(nodeIndex: number, up: boolean): void {
    const node = this.nodes[nodeIndex];
    if (!node) throw new AllocationError(`no node with index ${nodeIndex}`);
    if (!up) {
      for (const a of this.allocations.values()) {
        if (a.placement.node === nodeIndex) throw new AllocationError(`node ${node.id} still holds allocations`);
      }
    }
    node.up = up;
  }

  /** Jobs currently holding resources on a node, in allocation order. */
  jobsOn(nodeIndex: number): string[] {
    const out: string[] = [];
    for (const [id, a] of this.allocations) if (a.placement.node === nodeIndex) out.push(id);
    return out;
  }
}
