import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { Deriver } from './derive.ts';
import { parseLogRecord } from '../log/records.ts';

/**
 * Reads an `events.jsonl` (a name ending `.gz`: gzipped) back and folds it through a fresh
 * Deriver: jobs.csv, timeline.csv and metrics can be rebuilt from the log alone. Every line is
 * checked against the record schema: the first bad one throws a `LogRecordError` naming
 * file:line, the record type and the field. A valid record about a job with no arrival also
 * throws, naming file:line.
 */
export async function deriveFromLog(file: string): Promise<Deriver> {
  const d = new Deriver();
  const raw = createReadStream(file);
  const unzip = file.endsWith('.gz') ? createGunzip() : undefined;
  // pipe() does not pass a read error on: the gunzip stream is destroyed with it.
  if (unzip) raw.on('error', (e) => unzip.destroy(e)).pipe(unzip);
  const rl = createInterface({ input: unzip ?? raw, crlfDelay: Infinity });
  let line = 0;
  for await (const text of rl) {
    line++;
    const where = `${file}:${line}`;
    const out = parseLogRecord(text, where);
    if (out.kind === 'blank') continue;
    try {
      d.add(out.record);
    } catch (e) {
      // A well-formed record that does not follow from the ones before (a job with no arrival).
      throw new Error(`${where}: ${(e as Error).message}`);
    }
  }
  d.finish();
  return d;
}
