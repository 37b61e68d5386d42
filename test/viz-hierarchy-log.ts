/**
 * A scheduler hierarchy's records added to a real (global scheduler's) event log, for the
 * viewer's shard tests (unit and e2e) until simulated hierarchical runs exist: the run record
 * gets a `hierarchy` (nodes dealt to shards s0, s1, … in turn), every admitted job a `route` to
 * the shard of the node it first starts on (s0 when it never starts) at its admit time; every
 * 7th admitted job (the 4th, 11th, …) is first routed to another shard and bounced from it
 * (route n=1, bounce, route n=2, all at admit time); every 11th (the 6th, 17th, …, when not
 * bounced) is routed to another shard and stolen from it by its own just before it starts. Shard
 * s1's scheduler is down from 30% to 45% of the run. Times stay in order; `end` stays last.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JobRow } from '../src/output/derive.ts';
import { loadScenario } from '../src/scenario/load.ts';
import { runScenario } from '../src/scenario/run.ts';

type Rec = Record<string, unknown> & { t: number; ev: string };

/** A real small run (test/fixtures/viz-small.yaml, its first policy) simulated into `dir`: its event log's path and lines. */
export async function smallRun(dir: string): Promise<{ log: string; lines: string[] }> {
  const file = 'test/fixtures/viz-small.yaml';
  const s = loadScenario(file);
  const summary = await runScenario({ ...s, policies: s.policies.slice(0, 1) }, { file, out: dir });
  const log = join(dir, summary.runs[0].run, 'events.jsonl');
  return { log, lines: readFileSync(log, 'utf8').trim().split('\n') };
}

/** viz-small's cluster and workload under two hierarchies (2 shards: least-loaded routing with bounces and s1 down for 25 min; random routing with steals) and the global scheduler. */
export function hierarchyScenario(dir: string): string {
  const base = readFileSync('test/fixtures/viz-small.yaml', 'utf8');
  const head = base.slice(0, base.indexOf('policies:')).replace(/^name: .*$/m, 'name: viz-hierarchy');
  const file = join(dir, 'viz-hierarchy.yaml');
  writeFileSync(
    file,
    head +
      'policies:\n' +
      '  - { queue: fifo, placement: first-fit, hierarchy: { shards: 2, routing: least-loaded, summaryIntervalSec: 60, rebalance: { mode: bounce, waitLimitSec: 60 }, failures: [{ shard: s1, atSec: 3000, forSec: 1500 }] } }\n' +
      '  - { queue: fifo, placement: best-fit, hierarchy: { shards: 2, routing: random, summaryIntervalSec: 60, rebalance: { mode: steal } } }\n' +
      '  - { queue: fifo, placement: first-fit }\n',
  );
  return file;
}

const ROW_KEYS: (keyof JobRow)[] = ['id', 'tenant', 'submit', 'start', 'end', 'state', 'reqGpus', 'reqMilli', 'node', 'gpus', 'milli', 'attempts', 'reason', 'preemptions', 'lostMs', 'nodeLosses'];

/** Job rows as plain objects (the Deriver's rows are views into its job table), for comparing two folds. */
export function plainRows(rows: Iterable<JobRow>): Record<string, unknown>[] {
  return [...rows].map((r) => Object.fromEntries(ROW_KEYS.map((k) => [k, r[k]])));
}

export interface HierarchyFixture {
  lines: string[];
  shards: { id: string; nodes: string[] }[];
  /** Each job's shard at the end (its last route or steal target). */
  shardOf: Map<string, string>;
  bounced: string[];
  stolen: { job: string; from: string; to: string }[];
  down: { shard: string; from: number; to: number };
}

export function withHierarchy(lines: string[], nShards = 2): HierarchyFixture {
  const recs = lines.filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Rec);
  const run = recs[0];
  if (run.ev !== 'run') throw new Error('withHierarchy: the log does not start with a run record');
  const nodes = (run.nodes as { id: string }[]).map((n) => n.id);
  const shards = Array.from({ length: nShards }, (_, s) => ({ id: `s${s}`, nodes: nodes.filter((_, i) => i % nShards === s) }));
  const home = new Map(shards.flatMap((s) => s.nodes.map((n) => [n, s.id] as const)));
  const firstNode = new Map<string, string>();
  for (const r of recs) if (r.ev === 'start' && !firstNode.has(r.job as string)) firstNode.set(r.job as string, r.node as string);
  const other = (s: string) => shards[(Number(s.slice(1)) + 1) % nShards].id;

  const shardOf = new Map<string, string>();
  const bounced: string[] = [];
  const stolen: HierarchyFixture['stolen'] = [];
  const stealAtStart = new Map<string, Rec>();
  const out: Rec[] = [];
  let admitted = 0;
  for (const r of recs) {
    const job = r.job as string;
    if (r.ev === 'start' && stealAtStart.has(job)) {
      out.push({ ...stealAtStart.get(job)!, t: r.t });
      stealAtStart.delete(job);
    }
    out.push(r);
    if (r.ev !== 'admit') continue;
    const own = home.get(firstNode.get(job) ?? '') ?? 's0';
    const k = admitted++;
    shardOf.set(job, own);
    if (k % 7 === 3) {
      out.push({ t: r.t, ev: 'route', job, shard: other(own), n: 1 }, { t: r.t, ev: 'bounce', job, shard: other(own), reason: 'no-fit' }, { t: r.t, ev: 'route', job, shard: own, n: 2 });
      bounced.push(job);
    } else if (k % 11 === 5 && firstNode.has(job)) {
      out.push({ t: r.t, ev: 'route', job, shard: other(own), n: 1 });
      stealAtStart.set(job, { t: r.t, ev: 'steal', job, from: other(own), to: own });
      stolen.push({ job, from: other(own), to: own });
    } else out.push({ t: r.t, ev: 'route', job, shard: own, n: 1 });
  }
  const T = out[out.length - 1].t;
  const down = { shard: 's1', from: Math.round(T * 0.3), to: Math.round(T * 0.45) };
  const at = (t: number) => out.findIndex((r) => r.t >= t);
  out.splice(at(down.from), 0, { t: down.from, ev: 'shard-down', shard: down.shard });
  out.splice(at(down.to), 0, { t: down.to, ev: 'shard-up', shard: down.shard });
  out[0] = { ...run, hierarchy: { routing: 'least-loaded', shards } };
  return { lines: out.map((r) => JSON.stringify(r)), shards, shardOf, bounced, stolen, down };
}
