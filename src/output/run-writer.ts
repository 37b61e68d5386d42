import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { timelineCsvChunks, writeJobTableCsv } from './csv.ts';
import { CsvBytes } from './csv-bytes.ts';
import { Deriver, type TimelineSink } from './derive.ts';
import { OutFile } from './out-file.ts';
import { RecordEncoder } from './record-encode.ts';
import { TimelineSpool } from './timeline-spool.ts';
import type { EventLog, LogRecord } from '../log/records.ts';

const CHUNK = 1 << 20;

/** A timeline sink that keeps nothing (a run without files whose caller reads only the metrics). */
const DROP_ROWS: TimelineSink = { row() {} };

/**
 * Writes a run's event log as JSON lines, encoded as it goes into a 1 MiB byte buffer by a
 * `RecordEncoder` (the bytes of `JSON.stringify(record) + '\n'`, with no line string made),
 * hashing the exact bytes a buffer at a time (the run's `digest`), and derives jobs and timeline
 * from the same records. With a
 * directory the timeline goes to a spool file, not memory (`deriver.timeline` stays empty); with
 * none it only hashes and derives, keeping the timeline rows (tests) unless `keepTimeline` is false
 * (a dry run, which reports only metrics). With `gzip`, each file is written gzipped
 * (events.jsonl.gz, jobs.csv.gz, timeline.csv.gz; src/output/out-file.ts): the digest is still the
 * sha256 of the log's own bytes, the same with or without.
 */
export class RunWriter implements EventLog {
  readonly deriver: Deriver;
  private readonly spool: TimelineSpool | undefined;
  private readonly hash = createHash('sha256');
  private readonly buf = Buffer.allocUnsafe(CHUNK);
  private readonly encoder = new RecordEncoder();
  private bufLen = 0;
  private file: OutFile | undefined;
  private readonly gzip: boolean;
  private count = 0;
  private closed = false;
  /** Every line, kept only when asked (tests). */
  readonly lines: string[] | undefined;

  constructor(
    private readonly dir?: string,
    options: { keepLines?: boolean; keepTimeline?: boolean; gzip?: boolean } = {},
  ) {
    this.gzip = options.gzip ?? false;
    if (dir) {
      mkdirSync(dir, { recursive: true });
      this.file = this.output('events.jsonl');
      this.spool = new TimelineSpool(join(dir, '.timeline.spool'));
    }
    this.deriver = new Deriver(this.spool ?? (options.keepTimeline === false ? DROP_ROWS : undefined));
    this.lines = options.keepLines ? [] : undefined;
  }

  /** A run file `name` in the directory, gzipped (`.gz` added) when asked. */
  private output(name: string): OutFile {
    return new OutFile(join(this.dir!, this.gzip ? `${name}.gz` : name), this.gzip);
  }

  /** Whether it writes a run directory (events.jsonl, jobs.csv, timeline.csv). */
  get writesFiles(): boolean {
    return Boolean(this.dir);
  }

  get records(): number {
    return this.count;
  }

  append(record: LogRecord): void {
    this.count++;
    this.deriver.add(record);
    let end = this.encoder.encode(record, this.buf, this.bufLen);
    if (end < 0 && this.bufLen > 0) {
      this.flush();
      end = this.encoder.encode(record, this.buf, 0);
    }
    if (end >= 0) {
      this.lines?.push(this.buf.toString('utf8', this.bufLen, end));
      this.bufLen = end;
      return;
    }
    // A line longer than the buffer (a run record of thousands of nodes) or a record the encoder refuses.
    const line = JSON.stringify(record) + '\n';
    this.lines?.push(line);
    // A UTF-16 code unit takes at most 3 bytes in UTF-8: flush first unless the line surely fits.
    if (this.bufLen + line.length * 3 > CHUNK) {
      this.flush();
      if (line.length * 3 > CHUNK) {
        this.out(Buffer.from(line, 'utf8'));
        return;
      }
    }
    this.bufLen += this.buf.write(line, this.bufLen, 'utf8');
  }

  /** Flushes, closes the log and writes jobs.csv and timeline.csv; returns the sha256 digest. */
  close(): string {
    if (this.closed) throw new Error('run writer closed twice');
    this.closed = true;
    this.flush();
    this.deriver.finish();
    this.file?.close();
    this.file = undefined;
    if (this.dir) {
      const jobs = new CsvBytes(this.output('jobs.csv'));
      writeJobTableCsv(this.deriver.jobs, jobs);
      jobs.close();
      const cap = this.deriver.gpuCapacity;
      const timeline = new CsvBytes(this.output('timeline.csv'));
      if (this.spool) this.spool.writeCsv(timeline, cap);
      else for (const c of timelineCsvChunks(this.deriver.timeline, cap)) timeline.text(c);
      timeline.close();
    }
    return this.hash.digest('hex');
  }

  private flush(): void {
    if (this.bufLen === 0) return;
    const chunk = this.buf.subarray(0, this.bufLen);
    this.bufLen = 0;
    this.out(chunk);
  }

  private out(chunk: Buffer): void {
    this.hash.update(chunk);
    this.file?.write(chunk);
  }
}
