import type { LogRecord } from '../../src/log/records.ts';
import { Fragmentation } from './fragmentation.ts';
import { SEG_END, takeRange, type Lane } from './lanes.ts';
import { Places } from './places.ts';

type Start = Extract<LogRecord, { ev: 'start' }>;

/** A running attempt: per lane, its segment, the offset taken in its GPU, its place id (places.ts) and share slot; `milli` taken on each GPU. */
interface Running {
  lanes: number[];
  segs: number[];
  offs: number[];
  places: number[];
  slots: number[];
  milli: number;
}

/**
 * The run model's Gantt lanes (lanes.ts): which GPU share slot, MIG instance or CPU lane each
 * attempt ran on, from its start to how it ended, and the GPUs' use behind the stranded share
 * (fragmentation.ts). Not pure: `start` and `release` fold records in log order. Every lane a
 * record added a segment to or ended one in is noted in `dirtyLanes` (and every node whose
 * series changed in `frag.dirtyNodes`), so that the worker's delta carries only those.
 */
export class LaneFold {
  readonly lanes: Lane[] = [];
  /** Bumped whenever lanes are added; views re-sort when it changes. */
  laneVersion = 0;
  /** Lanes changed since the consumer last cleared this (the worker's delta encoder). */
  readonly dirtyLanes = new Set<number>();
  /** GPUs and CPU lanes by integer id; the per-place state below is indexed by it. */
  readonly places = new Places();
  /** Stranded share per GPU, per node and in total (owns the per-node series). */
  readonly frag = new Fragmentation(this.places);
  /** Per place: the job in each share slot (-1: free). */
  private readonly slotsBusy: number[][] = [];
  /** Per place and share slot: its lane. */
  private readonly slotLane: number[][] = [];
  /** MIG instance lanes by `place id/instance`. */
  private readonly instanceLane = new Map<string, number>();
  /** Per place: occupied [offset, offset + milli) ranges of the running jobs. */
  private readonly gpuRanges: [number, number][][] = [];
  /** Per job index: its running attempt. */
  private readonly running: (Running | undefined)[] = [];

  /** A node of the run record (in order), with its GPUs' capacities. */
  addNode(id: string, caps: readonly number[]): void {
    this.places.addNode(id, caps);
    this.frag.addNode();
  }

  /** Whether job `j` has an attempt running. */
  isRunning(j: number): boolean {
    return this.running[j] !== undefined;
  }

  /** Job `j`'s attempt starts (a running one ends first, preempted): a segment on each of its places' lanes. */
  start(r: Start, j: number): void {
    if (this.running[j]) this.release(j, r.t, SEG_END.preempted);
    const instance = r.mig ? `${r.mig.profile}@${r.mig.start}` : '';
    const run: Running = { lanes: [], offs: [], segs: [], milli: r.milli, places: [], slots: [] };
    // A gang's parts on other nodes get lanes too; a CPU-only job gets its node's CPU lane.
    const places = r.parts ? [{ node: r.node, gpus: r.gpus }, ...r.parts] : [r];
    for (const p of places) {
      const nodeIx = this.places.indexOf(p.node);
      for (let k = 0; k < Math.max(1, p.gpus.length); k++) {
        const g = p.gpus.length > 0 ? p.gpus[k] : -1;
        const id = this.places.id(p.node, nodeIx, g);
        const busy = (this.slotsBusy[id] ??= []);
        let slot = busy.indexOf(-1);
        if (slot < 0) {
          slot = busy.length;
          busy.push(-1);
        }
        busy[slot] = j;
        const lane = this.laneOf(id, slot, g >= 0 ? instance : '');
        const L = this.lanes[lane];
        this.dirtyLanes.add(lane);
        // A MIG instance lane could in principle be re-granted while open; close defensively.
        const lastEnd = L.ends.length ? L.ends[L.ends.length - 1] : -Infinity;
        if (lastEnd === Infinity) L.ends[L.ends.length - 1] = r.t;
        const cap = this.places.cap[id];
        const share = g < 0 ? 1000 : Math.min(cap, r.milli > 0 ? r.milli : cap);
        const off = g < 0 ? 0 : takeRange((this.gpuRanges[id] ??= []), share, cap, r.mig ? r.mig.start * 125 : undefined);
        L.starts.push(r.t);
        L.ends.push(Infinity);
        L.jobs.push(j);
        L.off.push(g < 0 ? 0 : (1000 * off) / cap);
        L.milli.push(g < 0 ? 1000 : (1000 * share) / cap);
        L.endKind.push(SEG_END.open);
        run.offs.push(off);
        run.lanes.push(lane);
        run.segs.push(L.starts.length - 1);
        run.places.push(id);
        run.slots.push(slot);
        if (g >= 0) this.frag.use(id, r.milli, Math.max(0, r.t));
      }
    }
    this.running[j] = run;
  }

  /** Job `j`'s running attempt (if any) ends at `t`, `how` (a SEG_END code): its segments close and its places free. */
  release(j: number, t: number, how: number): void {
    const run = this.running[j];
    if (!run) return;
    this.running[j] = undefined;
    run.lanes.forEach((lane, i) => {
      const L = this.lanes[lane];
      this.dirtyLanes.add(lane);
      const id = run.places[i];
      if (L.ends[run.segs[i]] === Infinity) L.ends[run.segs[i]] = t;
      L.endKind[run.segs[i]] = how;
      const ranges = this.gpuRanges[id];
      if (ranges && L.gpu >= 0) {
        const k = ranges.findIndex((rg) => rg[0] === run.offs[i]);
        if (k >= 0) ranges.splice(k, 1);
      }
      const busy = this.slotsBusy[id];
      if (busy) busy[run.slots[i]] = -1;
      if (this.places.gpu[id] >= 0) this.frag.use(id, -run.milli, Math.max(0, t));
    });
  }

  /** The lane of a place's share slot (or of its MIG instance), created on first use. */
  private laneOf(id: number, slot: number, instance: string): number {
    const bySlot = (this.slotLane[id] ??= []);
    let lane = instance ? this.instanceLane.get(`${id}/${instance}`) : bySlot[slot];
    if (lane !== undefined) return lane;
    lane = this.lanes.length;
    const [P, placeKey, g] = [this.places, this.places.key(id), this.places.gpu[id]];
    const key = instance ? `${placeKey}/${instance}` : `${placeKey}#${slot}`;
    this.lanes.push({ key, node: P.node[id], nodeIx: P.nodeIx[id], gpu: g, slot, instance, row: g >= 0 ? placeKey : key, starts: [], ends: [], jobs: [], off: [], milli: [], endKind: [] });
    if (instance) this.instanceLane.set(`${id}/${instance}`, lane);
    else bySlot[slot] = lane;
    this.laneVersion++;
    return lane;
  }
}
