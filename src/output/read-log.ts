import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Deriver } from './derive.ts';
import type { LogRecord } from '../log/records.ts';

/**
 * Reads an `events.jsonl` back and folds it through a fresh Deriver: jobs.csv, timeline.csv and
 * metrics can be rebuilt from the log alone. A line that is not JSON is reported with its number.
 */
export async function deriveFromLog(file: string): Promise<Deriver> {
  const d = new Deriver();
  const rl = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let line = 0;
  for await (const text of rl) {
    line++;
    if (text.trim() === '') continue;
    let rec: LogRecord;
    try {
      rec = JSON.parse(text) as LogRecord;
    } catch (e) {
      throw new Error(`${file}:${line}: not a JSON record: ${(e as Error).message}`);
    }
    d.add(rec);
  }
  d.finish();
  return d;
}
