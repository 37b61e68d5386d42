import type { LogRecord } from '../log/records.ts';
import { fragmentedSlots, slotMask } from './mig-layout.ts';
import { migProfile } from './mig-profiles.ts';

/**
 * MIG fragmentation folded from the event log: at each instant, the free slots of MIG GPUs that
 * no further instance of the *typical request* could use (`fragmentedSlots`), as a share of all
 * MIG slots; reported time-weighted over the run. The typical request is the profile most often
 * requested by arrivals (ties by name). Instances a job no longer uses count as free (they can
 * be reconfigured away).
 */
export class MigFragmentation {
  private gpus: { key: string; model: string }[] = [];
  private readonly busy = new Map<string, number>();
  private readonly held = new Map<string, { key: string; mask: number }>();
  private readonly requests = new Map<string, number>();
  private samples: { t: number; busy: Map<string, number> }[] = [];
  private lastT = -1;

  get enabled(): boolean {
    return this.gpus.length > 0;
  }

  add(r: LogRecord): void {
    switch (r.ev) {
      case 'run':
        for (const n of r.nodes) n.gpus.forEach((g, i) => g.mig && this.gpus.push({ key: `${n.id}/${i}`, model: g.model }));
        return;
      case 'arrival':
        if (r.mig) this.requests.set(r.mig, (this.requests.get(r.mig) ?? 0) + 1);
        return;
      case 'start':
        if (r.mig) {
          const prof = migProfile(this.gpus.find((g) => g.key === `${r.node}/${r.gpus[0]}`)?.model ?? '', r.mig.profile);
          if (!prof) return;
          const key = `${r.node}/${r.gpus[0]}`;
          const mask = slotMask(r.mig.start, prof.size);
          this.held.set(r.job, { key, mask });
          this.busy.set(key, (this.busy.get(key) ?? 0) | mask);
          this.sample(r.t);
        }
        return;
      case 'finish':
      case 'preempt':
      case 'node-loss': {
        const h = this.held.get(r.job);
        if (h) {
          this.busy.set(h.key, (this.busy.get(h.key) ?? 0) & ~h.mask);
          this.held.delete(r.job);
          this.sample(r.t);
        }
        return;
      }
      default:
        return;
    }
  }

  /** The profile most requested (ties by name), or undefined when no job asked for MIG. */
  typical(): string | undefined {
    let best: string | undefined;
    let n = -1;
    for (const [p, c] of [...this.requests].sort((a, b) => (a[0] < b[0] ? -1 : 1))) if (c > n) [best, n] = [p, c];
    return best;
  }

  /** Time-weighted mean of fragmented slots / all MIG slots, % (from the first to the last sample). */
  meanPct(): number {
    const typical = this.typical();
    if (!typical || this.samples.length < 2) return 0;
    const total = this.gpus.length * 8;
    let acc = 0;
    for (let i = 0; i + 1 < this.samples.length; i++) {
      const s = this.samples[i];
      let frag = 0;
      for (const g of this.gpus) {
        const prof = migProfile(g.model, typical);
        if (prof) frag += fragmentedSlots(prof, s.busy.get(g.key) ?? 0);
      }
      acc += (frag / total) * (this.samples[i + 1].t - s.t);
    }
    const span = this.samples.at(-1)!.t - this.samples[0].t;
    return span > 0 ? Math.round((10000 * acc) / span) / 100 : 0;
  }

  private sample(t: number): void {
    const snap = { t, busy: new Map(this.busy) };
    if (t === this.lastT) this.samples[this.samples.length - 1] = snap;
    else this.samples.push(snap);
    this.lastT = t;
  }
}
