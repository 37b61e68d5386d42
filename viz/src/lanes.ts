/**
 * Gantt lanes as the run model keeps them: the lane record, how a segment ended, the drawing
 * order of lanes and rows, and where in its GPU's row a starting job sits. Pure functions.
 */

/**
 * One Gantt row: a GPU, a share slot of a GPU (when jobs share it), a MIG instance, or the
 * CPU-only slot of a node. Segments in one lane never overlap and are appended in time order,
 * so `starts` and `ends` are both ascending (binary-searchable); an open segment has end=Infinity.
 */
export interface Lane extends LaneMeta {
  starts: number[];
  ends: number[];
  jobs: number[];
  /**
   * Per segment, where in its GPU's row the job sits and how much of it it holds, in milli-GPU:
   * the lowest offset free when it started (a MIG instance: its slice × 125) and the share
   * granted. Drawn as a bar whose height is that share of the row. CPU lanes: 0 and 1000.
   */
  off: number[];
  milli: number[];
  /** How each segment ended: see SEG_END. Open segments: SEG_END.open. */
  endKind: number[];
}

/** What identifies a lane and where it is drawn (the model's lanes and the page's typed-array copies share it). */
export interface LaneMeta {
  key: string;
  node: string;
  nodeIx: number;
  /** GPU index within the node, -1 for the CPU-only lanes. */
  gpu: number;
  slot: number;
  /** MIG instance or other named share, '' when none. */
  instance: string;
  /**
   * The drawn row this lane belongs to: every share slot and MIG instance of one GPU is drawn in
   * that GPU's row (`node/gpu`); a CPU lane is a row of its own.
   */
  row: string;
}

/** Segment endings the Gantt marks. */
export const SEG_END = { open: 0, finished: 1, failed: 2, preempted: 3, nodeLoss: 4 } as const;

/** A drawn row: its key (`node/gpu`, or a CPU lane's key), node, GPU (-1: CPU) and its lanes. */
export interface LaneRow {
  key: string;
  node: string;
  nodeIx: number;
  gpu: number;
  lanes: number[];
}

/** Lane order for drawing: node order of the run record, GPU lanes by index then slot, CPU last. */
export function laneOrder(lanes: readonly Lane[]): number[] {
  const ix = lanes.map((_, i) => i);
  const gpuOf = (l: Lane) => (l.gpu < 0 ? 1e9 : l.gpu);
  ix.sort((a, b) => {
    const A = lanes[a];
    const B = lanes[b];
    return A.nodeIx - B.nodeIx || gpuOf(A) - gpuOf(B) || A.instance.localeCompare(B.instance) || A.slot - B.slot || a - b;
  });
  return ix;
}

/**
 * Drawn rows in order: one per GPU (its share slots and MIG instances together) and one per CPU
 * lane, nodes in run-record order. Each row lists its lanes.
 */
export function rowOrder(lanes: readonly Lane[]): LaneRow[] {
  const out: LaneRow[] = [];
  const byKey = new Map<string, number>();
  for (const i of laneOrder(lanes)) {
    const L = lanes[i];
    let k = byKey.get(L.row);
    if (k === undefined) {
      byKey.set(L.row, (k = out.length));
      out.push({ key: L.row, node: L.node, nodeIx: L.nodeIx, gpu: L.gpu, lanes: [] });
    }
    out[k].lanes.push(i);
  }
  return out;
}

/**
 * Takes `milli` of a GPU's row for a starting job: at `want` (a MIG instance's slice) or at the
 * lowest offset where it fits between the running jobs' ranges (past the end when none does,
 * which only an over-committed log produces). `ranges` are the occupied [offset, offset + milli)
 * ranges of the running jobs, kept sorted; the new range is added. Returns the offset.
 */
export function takeRange(ranges: [number, number][], milli: number, cap: number, want?: number): number {
  let off = 0;
  if (want !== undefined) off = Math.min(want, Math.max(0, cap - milli));
  else {
    for (const [a, b] of ranges) {
      if (a - off >= milli) break;
      off = Math.max(off, b);
    }
    if (off + milli > cap) off = Math.max(0, cap - milli);
  }
  ranges.push([off, off + milli]);
  ranges.sort((x, y) => x[0] - y[0]);
  return off;
}
