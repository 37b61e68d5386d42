import { busyMask, slotMask, type MigInstance } from './mig-layout.ts';
import { migModel, migProfile, MILLI_PER_SLOT } from './mig-profiles.ts';
import { NodeGroupIndex, type NodeGroups } from './node-groups.ts';
import type { ClusterView, Demand, GpuGrant, GpuView, MigGpuView, NodeSpec, NodeView, Placement, PlacementPart } from './types.ts';

export class AllocationError extends Error {
  override name = 'AllocationError';
}

interface MigState extends MigGpuView {
  instances: MigInstance[];
  reconfiguring: boolean;
}

interface GpuState extends GpuView {
  free: number;
  readonly mig?: MigState;
}

export interface AllocateResult {
  /** MIG GPUs where a new instance was created (layout changed). */
  readonly reconfigured: readonly { readonly node: number; readonly gpu: number }[];
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
  /** CPU and memory per part (`splitDemand`); undefined for a single-node placement, which holds `cpu` and `memory` whole. */
  readonly shares: readonly { readonly cpu: number; readonly memory: number }[] | undefined;
}

/** The result of an allocation that changed no MIG layout (shared: callers only read it). */
const NOTHING_RECONFIGURED: AllocateResult = Object.freeze({ reconfigured: Object.freeze([]) });

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
  /** Built on first use of `groups`, then kept up to date by every mutation below. */
  private groupIndex: NodeGroupIndex | undefined = undefined;
  /**
   * Up nodes grouped by placement state (src/cluster/node-groups.ts), built on first call and
   * kept current by allocate, release and setUp: placement policies scan groups, not nodes. An
   * own arrow function, not a getter or method: view snapshots skip it, and it works through
   * read-only proxies (it never writes through `this` of the caller).
   */
  readonly groups: () => NodeGroups = () => (this.groupIndex ??= new NodeGroupIndex(this.nodes)).view;

  constructor(specs: readonly NodeSpec[]) {
    const ids = new Set<string>();
    this.nodes = specs.map((s, index) => {
      if (ids.has(s.id)) throw new AllocationError(`duplicate node id ${s.id}`);
      ids.add(s.id);
      const gpus: GpuState[] = s.gpus.map((g, gi) => {
        if (!Number.isInteger(g.capacity) || g.capacity <= 0) {
          throw new AllocationError(`node ${s.id} GPU ${gi}: capacity must be a positive integer milli-GPU`);
        }
        if (g.mig) {
          if (!migModel(g.model)) throw new AllocationError(`node ${s.id} GPU ${gi}: model ${g.model} has no MIG profile table`);
          if (g.capacity !== 1000) throw new AllocationError(`node ${s.id} GPU ${gi}: a MIG GPU has capacity 1000`);
          const mig: MigState = { instances: [], reconfiguring: false };
          return { index: gi, model: g.model, capacity: g.capacity, free: g.capacity, mig };
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

  /**
   * Reserves `placement` for `jobId`; checks the grants against `demand` and free capacity. A gang
   * placement's parts are all checked before any is applied (all or nothing). Returns the MIG GPUs
   * whose layout had to change (a new instance created) — the caller charges reconfiguration time.
   */
  allocate(jobId: string, demand: Demand, placement: Placement): AllocateResult {
    if (this.allocations.has(jobId)) throw new AllocationError(`job ${jobId} is already allocated`);
    // Parts are walked by index (`partAt`), and a single-node placement takes the whole demand:
    // nothing is built per allocation but the record kept for the job.
    const count = partCount(placement);
    const shares = count === 1 ? undefined : splitDemand(demand, partsOf(placement));
    this.check(jobId, demand, placement, shares);
    // All checks passed: apply.
    let reconfigured: { node: number; gpu: number }[] | undefined;
    for (let pi = 0; pi < count; pi++) {
      const part = partAt(placement, pi);
      const node = this.nodes[part.node];
      const cpu = shares ? shares[pi].cpu : demand.cpu;
      const memory = shares ? shares[pi].memory : demand.memory;
      node.cpuFree -= cpu;
      node.memoryFree -= memory;
      this.cpuAllocated += cpu;
      this.memoryAllocated += memory;
      for (const g of part.gpus) {
        const gpu = node.gpus[g.gpu];
        if (g.mig && gpu.mig && takeMigInstance(gpu.mig, jobId, g.mig.profile, g.mig.start, g.milli / MILLI_PER_SLOT)) {
          (reconfigured ??= []).push({ node: part.node, gpu: g.gpu });
        }
        gpu.free -= g.milli;
        node.gpuFree -= g.milli;
        this.gpuAllocated += g.milli;
      }
      this.groupIndex?.update(part.node);
    }
    this.allocations.set(jobId, { placement, cpu: demand.cpu, memory: demand.memory, shares });
    return reconfigured ? { reconfigured } : NOTHING_RECONFIGURED;
  }

  /**
   * Whether `placement` could be allocated for `demand` now (every check of `allocate`, nothing
   * changed): the core asks it of a placement a preemption plan nominated for the job it made room for.
   */
  canAllocate(demand: Demand, placement: Placement): boolean {
    const count = partCount(placement);
    try {
      this.check('', demand, placement, count === 1 ? undefined : splitDemand(demand, partsOf(placement)));
      return true;
    } catch (e) {
      if (e instanceof AllocationError) return false;
      throw e;
    }
  }

  /** `allocate`'s checks of the grants against `demand` and free capacity (throws an `AllocationError`). */
  private check(jobId: string, demand: Demand, placement: Placement, shares: readonly { cpu: number; memory: number }[] | undefined): void {
    const count = partCount(placement);
    let granted = 0;
    for (let k = 0; k < count; k++) granted += partAt(placement, k).gpus.length;
    if (granted !== demand.gpus) {
      throw new AllocationError(`job ${jobId}: granted ${granted} GPUs, demand is ${demand.gpus}`);
    }
    for (let pi = 0; pi < count; pi++) {
      const part = partAt(placement, pi);
      const node = this.nodes[part.node];
      if (!node) throw new AllocationError(`job ${jobId}: no node with index ${part.node}`);
      for (let q = 0; q < pi; q++) if (partAt(placement, q).node === part.node) throw new AllocationError(`job ${jobId}: node ${node.id} appears twice in one placement`);
      if (!node.up) throw new AllocationError(`job ${jobId}: node ${node.id} is down`);
      const cpu = shares ? shares[pi].cpu : demand.cpu;
      const memory = shares ? shares[pi].memory : demand.memory;
      if (cpu > node.cpuFree) {
        throw new AllocationError(`job ${jobId}: CPU over-commit on ${node.id} (${cpu} > free ${node.cpuFree})`);
      }
      if (memory > node.memoryFree) {
        throw new AllocationError(`job ${jobId}: memory over-commit on ${node.id} (${memory} > free ${node.memoryFree})`);
      }
      const grants = part.gpus;
      for (let k = 0; k < grants.length; k++) {
        const g = grants[k];
        const gpu = node.gpus[g.gpu];
        if (!gpu) throw new AllocationError(`job ${jobId}: node ${node.id} has no GPU ${g.gpu}`);
        for (let q = 0; q < k; q++) if (grants[q].gpu === g.gpu) throw new AllocationError(`job ${jobId}: GPU ${g.gpu} on ${node.id} granted twice`);
        if (demand.models && demand.models.length > 0 && !demand.models.includes(gpu.model)) {
          throw new AllocationError(`job ${jobId}: GPU model ${gpu.model} not in ${demand.models.join('|')}`);
        }
        if (gpu.mig || demand.mig !== undefined || g.mig) {
          checkMigGrant(jobId, node.id, gpu, demand, g);
          continue;
        }
        if (g.milli !== demand.milli) {
          throw new AllocationError(`job ${jobId}: grant of ${g.milli} milli on GPU ${g.gpu}, demand is ${demand.milli}`);
        }
        if (g.milli > gpu.free) {
          throw new AllocationError(`job ${jobId}: GPU over-commit on ${node.id}/${g.gpu} (${g.milli} > free ${gpu.free})`);
        }
      }
    }
  }

  /** Returns everything `jobId` holds; throws if it holds nothing (never release twice). */
  release(jobId: string): Placement {
    const a = this.allocations.get(jobId);
    if (!a) throw new AllocationError(`job ${jobId} holds no allocation (double release?)`);
    const p = a.placement;
    const count = partCount(p);
    for (let pi = 0; pi < count; pi++) {
      const part = partAt(p, pi);
      const node = this.nodes[part.node];
      for (const g of part.gpus) {
        const gpu = node.gpus[g.gpu];
        if (gpu.free + g.milli > gpu.capacity) {
          throw new AllocationError(`job ${jobId}: release would exceed capacity of ${node.id}/${g.gpu}`);
        }
      }
    }
    for (let pi = 0; pi < count; pi++) {
      const part = partAt(p, pi);
      const node = this.nodes[part.node];
      const cpu = a.shares ? a.shares[pi].cpu : a.cpu;
      const memory = a.shares ? a.shares[pi].memory : a.memory;
      node.cpuFree += cpu;
      node.memoryFree += memory;
      this.cpuAllocated -= cpu;
      this.memoryAllocated -= memory;
      for (const g of part.gpus) {
        const gpu = node.gpus[g.gpu];
        // The instance stays configured (idle): the next job of that profile reuses it for free.
        if (gpu.mig) gpu.mig.instances = gpu.mig.instances.map((i) => (i.job === jobId ? { ...i, job: undefined } : i));
        gpu.free += g.milli;
        node.gpuFree += g.milli;
        this.gpuAllocated -= g.milli;
      }
      this.groupIndex?.update(part.node);
    }
    this.allocations.delete(jobId);
    return p;
  }

  /**
   * An independent copy of the current state (allocations included) that policies and the core
   * may mutate to ask "what if" (backfill reservations, preemption plans). Never the live cluster.
   */
  clone(): Cluster {
    return Cluster.assemble(this, new Map(this.allocations));
  }

  /**
   * A scratch cluster built from a read-only view alone (it may be a frozen plain copy): the same
   * free resources, node states and MIG layouts, and an allocation for each of `holders` (the
   * running jobs, whose placements the view accounts for) so that `release(id)` works on them.
   * Policies use it to ask "what if" — preemption plans, reservations — without touching the
   * live cluster. Pure: reads the view and the jobs, copies everything it keeps.
   */
  static fromView(view: ClusterView, holders: readonly { readonly id: string; readonly placement: Placement | undefined; readonly cpu: number; readonly memory: number }[]): Cluster {
    const allocations = new Map<string, Allocation>();
    for (const h of holders) {
      if (!h.placement) continue;
      const demand = { cpu: h.cpu, memory: h.memory, gpus: 0, milli: 0 };
      allocations.set(h.id, { placement: h.placement, cpu: h.cpu, memory: h.memory, shares: partCount(h.placement) === 1 ? undefined : splitDemand(demand, partsOf(h.placement)) });
    }
    return Cluster.assemble(view, allocations);
  }

  /** A cluster with a copy of `from`'s node states and totals, and the given allocation table. */
  private static assemble(from: ClusterView, allocations: Map<string, Allocation>): Cluster {
    const c = Object.create(Cluster.prototype) as Cluster;
    const w = c as unknown as {
      nodes: NodeState[];
      gpuCapacity: number;
      cpuCapacity: number;
      memoryCapacity: number;
      models: readonly string[];
      allocations: Map<string, Allocation>;
      groupIndex: NodeGroupIndex | undefined;
      groups: () => NodeGroups;
    };
    w.nodes = from.nodes.map((n) => ({
      index: n.index,
      id: n.id,
      cpu: n.cpu,
      memory: n.memory,
      cpuFree: n.cpuFree,
      memoryFree: n.memoryFree,
      gpuFree: n.gpuFree,
      up: n.up,
      labels: n.labels,
      gpus: n.gpus.map((g) =>
        g.mig
          ? { index: g.index, model: g.model, capacity: g.capacity, free: g.free, mig: { instances: [...g.mig.instances], reconfiguring: g.mig.reconfiguring } }
          : { index: g.index, model: g.model, capacity: g.capacity, free: g.free },
      ),
    }));
    w.gpuCapacity = from.gpuCapacity;
    w.cpuCapacity = from.cpuCapacity;
    w.memoryCapacity = from.memoryCapacity;
    w.models = from.models;
    c.gpuAllocated = from.gpuAllocated;
    c.cpuAllocated = from.cpuAllocated;
    c.memoryAllocated = from.memoryAllocated;
    w.allocations = allocations;
    w.groupIndex = undefined;
    w.groups = () => (w.groupIndex ??= new NodeGroupIndex(w.nodes)).view;
    return c;
  }

  /** Marks a MIG GPU's layout as being reconfigured (nothing new is granted on it meanwhile). */
  setMigReconfiguring(nodeIndex: number, gpuIndex: number, on: boolean): void {
    const gpu = this.nodes[nodeIndex]?.gpus[gpuIndex];
    if (!gpu?.mig) throw new AllocationError(`node ${nodeIndex} GPU ${gpuIndex} is not a MIG GPU`);
    gpu.mig.reconfiguring = on;
  }

  /** Marks a node up or down. A node must hold no allocation to go down (evict first). */
  setUp(nodeIndex: number, up: boolean): void {
    const node = this.nodes[nodeIndex];
    if (!node) throw new AllocationError(`no node with index ${nodeIndex}`);
    if (!up) {
      for (const a of this.allocations.values()) {
        if (partsOf(a.placement).some((p) => p.node === nodeIndex)) {
          throw new AllocationError(`node ${node.id} still holds allocations`);
        }
      }
    }
    node.up = up;
    this.groupIndex?.update(nodeIndex);
  }

  /** Jobs currently holding resources on a node, in allocation order. */
  jobsOn(nodeIndex: number): string[] {
    const out: string[] = [];
    for (const [id, a] of this.allocations) if (partsOf(a.placement).some((p) => p.node === nodeIndex)) out.push(id);
    return out;
  }
}

/** How many node parts a placement has (the main part and `parts`). */
function partCount(p: Placement): number {
  return p.parts && p.parts.length > 0 ? 1 + p.parts.length : 1;
}

/** Part `k` of a placement (`partsOf(p)[k]`) without building the list: the placement itself is part 0. */
function partAt(p: Placement, k: number): PlacementPart {
  return k === 0 ? p : p.parts![k - 1];
}

/** The node parts of a placement: the main part first, then `parts`. */
export function partsOf(p: Placement): readonly PlacementPart[] {
  return p.parts && p.parts.length > 0 ? [{ node: p.node, gpus: p.gpus }, ...p.parts] : [p];
}

/**
 * CPU and memory per part, in proportion to the part's GPUs; the integer remainder goes to the
 * first part. E.g. cpu 8000 over parts of 4 + 4 GPUs: 4000 each; 1000 over 2 + 1: 667 + 333.
 */
export function splitDemand(d: Demand, parts: readonly PlacementPart[]): { cpu: number; memory: number }[] {
  if (parts.length === 1) return [{ cpu: d.cpu, memory: d.memory }];
  const total = parts.reduce((a, p) => a + p.gpus.length, 0) || 1;
  const out = parts.map((p) => ({
    cpu: Math.floor((d.cpu * p.gpus.length) / total),
    memory: Math.floor((d.memory * p.gpus.length) / total),
  }));
  out[0].cpu += d.cpu - out.reduce((a, x) => a + x.cpu, 0);
  out[0].memory += d.memory - out.reduce((a, x) => a + x.memory, 0);
  return out;
}

function checkMigGrant(jobId: string, nodeId: string, gpu: GpuState, d: Demand, g: GpuGrant): void {
  const where = `${nodeId}/${gpu.index}`;
  if (!gpu.mig) throw new AllocationError(`job ${jobId}: MIG grant on ${where}, which is not a MIG GPU`);
  if (d.mig === undefined || !g.mig) throw new AllocationError(`job ${jobId}: ${where} is a MIG GPU and the job requests no MIG profile`);
  if (g.mig.profile !== d.mig) throw new AllocationError(`job ${jobId}: granted ${g.mig.profile}, demand is ${d.mig}`);
  const prof = migProfile(gpu.model, g.mig.profile);
  if (!prof) throw new AllocationError(`job ${jobId}: profile ${g.mig.profile} does not exist on ${gpu.model}`);
  if (!prof.starts.includes(g.mig.start)) {
    throw new AllocationError(`job ${jobId}: ${g.mig.profile} cannot start at slot ${g.mig.start} (valid: ${prof.starts.join(',')})`);
  }
  if (g.milli !== prof.size * MILLI_PER_SLOT) {
    throw new AllocationError(`job ${jobId}: grant of ${g.milli} milli for ${g.mig.profile}, expected ${prof.size * MILLI_PER_SLOT}`);
  }
  if (gpu.mig.reconfiguring) throw new AllocationError(`job ${jobId}: ${where} is being reconfigured`);
  if (busyMask(gpu.mig.instances) & slotMask(g.mig.start, prof.size)) {
    throw new AllocationError(`job ${jobId}: ${g.mig.profile}@${g.mig.start} overlaps an instance in use on ${where}`);
  }
}

/**
 * Gives the job an instance: reuses an idle one of the same profile and start, or destroys the
 * idle instances in the way and creates it. Returns true when the layout changed.
 */
function takeMigInstance(m: MigState, jobId: string, profile: string, start: number, size: number): boolean {
  const i = m.instances.findIndex((x) => x.job === undefined && x.profile === profile && x.start === start);
  if (i >= 0) {
    m.instances[i] = { ...m.instances[i], job: jobId };
    return false;
  }
  const mask = slotMask(start, size);
  m.instances = m.instances.filter((x) => (slotMask(x.start, x.size) & mask) === 0);
  m.instances.push({ profile, start, size, job: jobId });
  m.instances.sort((a, b) => a.start - b.start);
  return true;
}
