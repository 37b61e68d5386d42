import type { LogHierarchy, LogRecord } from '../../src/log/records.ts';
import { nodeDown, nodeUp, type Outages } from './outages.ts';

/**
 * The worker's fold of a scheduler hierarchy's records (issue 17): the run record's `hierarchy`
 * (routing policy, shards and their nodes), each shard's scheduler outages (shard-down …
 * shard-up), and per job where the master put it: the shard it is in now (its last `route`, or
 * the `to` of its last `steal`), how often it was routed, bounced and stolen, and the indices of
 * those records in the log (the page's routing history reads them back). A run without a
 * hierarchy leaves all of it empty. Jobs are the run model's indices; nothing here is thrown.
 */

export type RoutingRecord = Extract<LogRecord, { ev: 'route' | 'bounce' | 'steal' }>;
export type HierarchyRecord = Extract<LogRecord, { ev: 'route' | 'bounce' | 'steal' | 'shard-down' | 'shard-up' }>;

export class ShardFold {
  hierarchy: LogHierarchy | undefined;
  /** Scheduler outages per shard id: [down, up) intervals in time order; up = Infinity while down. */
  readonly outages: Outages = new Map();
  /** Per job index (sparse): its shard now, and its route, bounce and steal counts. */
  readonly shard: string[] = [];
  readonly routes: number[] = [];
  readonly bounces: number[] = [];
  readonly steals: number[] = [];
  /** (job, record index) pairs of routing records not yet taken by `takeRouting`, flattened. */
  private routing: number[] = [];

  /** Folds a hierarchy's record (`j`: its job's index, -1 for none; `rec`: its index in the log); false for a shard-up with no open shard-down. */
  add(r: HierarchyRecord, j: number, rec: number): boolean {
    if (r.ev === 'shard-down' || r.ev === 'shard-up') return this.outage(r);
    if (j >= 0) this.route(r, j, rec);
    return true;
  }

  /** Folds a shard's outage record; false for a shard-up with no open shard-down. */
  outage(r: Extract<LogRecord, { ev: 'shard-down' | 'shard-up' }>): boolean {
    if (r.ev === 'shard-down') {
      nodeDown(this.outages, r.shard, r.t);
      return true;
    }
    return nodeUp(this.outages, r.shard, r.t);
  }

  /** Folds a routing record about job `j` (index `rec` in the log). */
  route(r: RoutingRecord, j: number, rec: number): void {
    if (r.ev === 'route') {
      this.shard[j] = r.shard;
      this.routes[j] = (this.routes[j] ?? 0) + 1;
    } else if (r.ev === 'bounce') this.bounces[j] = (this.bounces[j] ?? 0) + 1;
    else {
      this.shard[j] = r.to;
      this.steals[j] = (this.steals[j] ?? 0) + 1;
    }
    this.routing.push(j, rec);
  }

  /** The (job, record index) pairs folded since the last call, flattened; clears them. */
  takeRouting(): number[] {
    const out = this.routing;
    this.routing = [];
    return out;
  }
}
