import { closeSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { csvRecord } from './csv.ts';
import type { CsvBytes } from './csv-bytes.ts';
import type { TimelineSink } from './derive.ts';
import { round } from '../metrics/stats.ts';

const CHUNK = 1 << 16; // doubles per buffer: 512 KiB

/**
 * A `TimelineSink` that spools the timeline to a scratch file as numbers and writes timeline.csv
 * from it at the end, so a run holds no timeline rows in memory. The CSV's tenant columns are
 * known only once the last tenant has arrived, hence the spool. Each instant is stored as
 * float64s `t, gpuAllocated, queued, running, gpuUp, k, held₁ … held_k` (k tenants seen so far, in
 * order of first arrival). The CSV is byte for byte `timelineCsv` of the rows a keeping Deriver
 * builds (test/output-files.test.ts).
 */
export class TimelineSpool implements TimelineSink {
  private readonly fd: number;
  private buf = new Float64Array(CHUNK);
  private at = 0;
  private readonly tenants: string[] = [];

  constructor(private readonly path: string) {
    this.fd = openSync(path, 'w+');
  }

  row(t: number, gpuAllocated: number, queued: number, running: number, gpuUp: number, held: readonly number[], tenants: readonly string[]): void {
    const need = 6 + held.length;
    if (this.at + need > this.buf.length) this.flush(need);
    const b = this.buf;
    let i = this.at;
    b[i++] = t;
    b[i++] = gpuAllocated;
    b[i++] = queued;
    b[i++] = running;
    b[i++] = gpuUp;
    b[i++] = held.length;
    for (let k = 0; k < held.length; k++) b[i++] = held[k];
    for (let k = this.tenants.length; k < tenants.length; k++) this.tenants.push(tenants[k]);
    this.at = i;
  }

  /**
   * Writes timeline.csv into `out`, read back from the spool; the spool file is removed once read.
   * `gpuCapacity` in milli-GPU (the run record's).
   */
  writeCsv(out: CsvBytes, gpuCapacity: number): void {
    this.flush(0);
    const sorted = this.tenants.map((name, i) => ({ name, i })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const pctOf = (m: number) => (gpuCapacity > 0 ? round((100 * m) / gpuCapacity, 2) : 0);
    const header = ['t_ms', 'gpu_alloc_milli', 'gpu_alloc_pct', 'queued', 'running', 'gpu_up_milli', ...sorted.map((s) => `share_pct_${s.name}`)];
    out.text(csvRecord(header));
    const bytes = new Uint8Array(this.buf.buffer);
    let pos = 0;
    let have = 0; // doubles in buf from the file, unread ones start at `from`
    let from = 0;
    const COMMA = 0x2c;
    try {
      for (;;) {
        // Keep the unread tail, then fill the buffer from the file.
        this.buf.copyWithin(0, from, have);
        have -= from;
        from = 0;
        const n = readSync(this.fd, bytes, have * 8, (this.buf.length - have) * 8, pos);
        pos += n;
        have += n / 8;
        if (have === 0) break;
        const b = this.buf;
        while (from + 6 <= have && from + 6 + b[from + 5] <= have) {
          const k = b[from + 5];
          out.num(b[from]);
          out.byte(COMMA);
          out.num(b[from + 1]);
          out.byte(COMMA);
          out.num(pctOf(b[from + 1]));
          out.byte(COMMA);
          out.num(b[from + 2]);
          out.byte(COMMA);
          out.num(b[from + 3]);
          out.byte(COMMA);
          out.num(b[from + 4]);
          for (let c = 0; c < sorted.length; c++) {
            out.byte(COMMA);
            out.num(pctOf(sorted[c].i < k ? b[from + 6 + sorted[c].i] : 0));
          }
          out.byte(0x0a);
          from += 6 + k;
        }
        if (n === 0) break;
      }
    } finally {
      this.dispose();
    }
  }

  /** Closes and removes the spool file. Idempotent. */
  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
    unlinkSync(this.path);
  }

  private closed = false;

  private flush(need: number): void {
    if (this.at > 0) writeSync(this.fd, new Uint8Array(this.buf.buffer, 0, this.at * 8));
    this.at = 0;
    if (need > this.buf.length) this.buf = new Float64Array(need);
  }
}
