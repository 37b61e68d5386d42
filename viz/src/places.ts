/**
 * Integer ids for the places a job can hold in the run model: each GPU of the run record's nodes
 * (ids in node order, then GPU index), each node's CPU-only lane, and any (node, GPU) a log names
 * beyond the run record (given ids as first seen). Per-place state then lives in plain arrays
 * indexed by id instead of maps keyed by `node/gpu` strings built per record.
 */
export class Places {
  /** Per id: milli-GPU capacity (1000 when the run record does not say; 0 for a CPU lane). */
  readonly cap: number[] = [];
  /** Per id: the node's index in the run record, -1 when it is not in it. */
  readonly nodeIx: number[] = [];
  /** Per id: GPU index within the node, -1 for the CPU lane. */
  readonly gpu: number[] = [];
  /** Per id: the node's name. */
  readonly node: string[] = [];
  private readonly nodeIndex = new Map<string, number>();
  /** Per run-record node: the id of its GPU 0, its GPU count, and its CPU lane's id (-1 until used). */
  private readonly base: number[] = [];
  private readonly count: number[] = [];
  private readonly cpu: number[] = [];
  /** Places outside the run record, by `node/gpu` (`node/cpu`). */
  private readonly other = new Map<string, number>();

  /** A node of the run record (in order), with its GPUs' capacities; returns its index. */
  addNode(node: string, caps: readonly number[]): number {
    const i = this.base.length;
    this.nodeIndex.set(node, i);
    this.base.push(this.cap.length);
    this.count.push(caps.length);
    this.cpu.push(-1);
    caps.forEach((c, g) => this.push(node, i, g, c));
    return i;
  }

  /** The node's index in the run record, -1 when it is not in it. */
  indexOf(node: string): number {
    return this.nodeIndex.get(node) ?? -1;
  }

  /** The id of GPU `g` (-1: the CPU lane) of `node`, whose run-record index is `nodeIx` (see indexOf). */
  id(node: string, nodeIx: number, g: number): number {
    if (nodeIx >= 0 && g >= 0 && g < this.count[nodeIx]) return this.base[nodeIx] + g;
    if (nodeIx >= 0 && g < 0) {
      if (this.cpu[nodeIx] < 0) this.cpu[nodeIx] = this.push(node, nodeIx, -1, 0);
      return this.cpu[nodeIx];
    }
    const key = g < 0 ? `${node}/cpu` : `${node}/${g}`;
    let id = this.other.get(key);
    if (id === undefined) this.other.set(key, (id = this.push(node, nodeIx, g, g < 0 ? 0 : 1000)));
    return id;
  }

  /** `node/gpu` or `node/cpu`, the place's name in lane keys. */
  key(id: number): string {
    return this.gpu[id] < 0 ? `${this.node[id]}/cpu` : `${this.node[id]}/${this.gpu[id]}`;
  }

  private push(node: string, nodeIx: number, g: number, cap: number): number {
    this.cap.push(cap);
    this.nodeIx.push(nodeIx);
    this.gpu.push(g);
    this.node.push(node);
    return this.cap.length - 1;
  }
}
