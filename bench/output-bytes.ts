import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Bytes of every file under `dir`, summed by file name (a run's outputs: events.jsonl, jobs.csv, …). */
export function outputBytes(dir: string, into = new Map<string, number>()): Map<string, number> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) outputBytes(p, into);
    else into.set(e.name, (into.get(e.name) ?? 0) + statSync(p).size);
  }
  return into;
}
