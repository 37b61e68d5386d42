import { round } from '../metrics/stats.ts';
import type { JobRow, TimelineRow } from './derive.ts';
import type { CsvBytes } from './csv-bytes.ts';
import { ROW_STATES, type JobTable } from './job-table.ts';

/** A CSV cell: a number or string as is, a boolean as `true`/`false`, undefined or null as empty (not applicable). */
export type CsvCell = string | number | boolean | undefined | null;

/**
 * Every CSV file gpulab writes goes through here: RFC 4180 quoting of any field with a comma,
 * quote or `\n`, header names included; `\n` line ends, a final newline, no BOM. Pure. The
 * text is byte for byte what csv-stringify (the sibling of the csv-parse that reads traces) writes
 * with `OPTIONS` below (test/csv-format.test.ts checks it on generated tables); it is formatted
 * here by `csvRecord` because csv-stringify's per-cell casting and option handling took 12% of a
 * 100k-job run with outputs (`node --cpu-prof`), for cells that are almost all plain numbers.
 */
export function toCsv(header: readonly string[], rows: Iterable<readonly CsvCell[]>): string {
  let out = '';
  for (const chunk of csvChunks(header, rows)) out += chunk;
  return out;
}

/** The csv-stringify options whose output `csvRecord` reproduces (the reference in tests). */
export const CSV_STRINGIFY_OPTIONS = { record_delimiter: '\n', cast: { boolean: (v: boolean) => String(v), number: (v: number) => String(v) } } as const;
const CHUNK_ROWS = 8192;

/**
 * A cell that must be quoted: it holds a comma, a quote or the record delimiter `\n` (a lone `\r`
 * stays bare, as in csv-stringify once `record_delimiter` is set).
 */
const NEEDS_QUOTE = /[",\n]/;

/** One cell as csv-stringify writes it with `CSV_STRINGIFY_OPTIONS`. Pure. */
function csvCell(c: CsvCell): string {
  if (typeof c === 'number') return String(c);
  if (typeof c === 'string') {
    if (c === '' || !NEEDS_QUOTE.test(c)) return c;
    return `"${c.replaceAll('"', '""')}"`;
  }
  if (typeof c === 'boolean') return c ? 'true' : 'false';
  return '';
}

/** One record with its line end. Pure. */
export function csvRecord(cells: readonly CsvCell[]): string {
  let out = cells.length > 0 ? csvCell(cells[0]) : '';
  for (let i = 1; i < cells.length; i++) out += ',' + csvCell(cells[i]);
  return out + '\n';
}

/**
 * The same CSV text as `toCsv`, in pieces of a few thousand records (each record is quoted on its
 * own, so the pieces concatenate to the whole): write them as they come and no whole-file string
 * is ever built.
 */
export function* csvChunks(header: readonly string[], rows: Iterable<readonly CsvCell[]>): Generator<string> {
  let batch = csvRecord(header);
  let n = 1;
  for (const r of rows) {
    batch += csvRecord(r);
    if (++n >= CHUNK_ROWS) {
      yield batch;
      batch = '';
      n = 0;
    }
  }
  if (n > 0) yield batch;
}

/** Empty for "never / not yet" (-1 start or end), the value otherwise. */
const when = (t: number): number | undefined => (t >= 0 ? t : undefined);

/**
 * jobs.csv, one row per job. Times integer ms. `req_gpus`/`req_milli`: what the job asked for;
 * `node`/`gpus`/`milli`: what its latest attempt was granted (`|` between the nodes of a gang
 * spanning nodes, `;` between GPU indices on one node). Fields that do not apply are empty: the
 * start of a job that never started (rejected, cancelled while queued, still queued), the end of
 * an unfinished one, the grant of a job never placed.
 */
export function jobsCsv(rows: Iterable<JobRow>): string {
  return toCsv(JOBS_HEADER, jobCells(rows));
}

/** jobs.csv in pieces (`csvChunks`). */
export function jobsCsvChunks(rows: Iterable<JobRow>): Generator<string> {
  return csvChunks(JOBS_HEADER, jobCells(rows));
}

/**
 * jobs.csv read straight off the Deriver's columns into `out`: the same bytes as `jobsCsv` of its
 * rows, without a row view, a cell array or a string per cell of every job.
 */
export function writeJobTableCsv(J: JobTable, out: CsvBytes): void {
  out.text(csvRecord(JOBS_HEADER));
  const COMMA = 0x2c;
  for (let i = 0; i < J.size; i++) {
    const start = J.start[i];
    const end = J.end[i];
    out.str(J.ids[i]);
    out.byte(COMMA);
    out.str(J.tenants[J.tenant[i]]);
    out.byte(COMMA);
    out.num(J.submit[i]);
    out.byte(COMMA);
    if (start >= 0) out.num(start);
    out.byte(COMMA);
    if (end >= 0) out.num(end);
    out.byte(COMMA);
    out.str(ROW_STATES[J.state[i]]);
    out.byte(COMMA);
    out.num(J.reqGpus[i]);
    out.byte(COMMA);
    out.num(J.reqMilli[i]);
    out.byte(COMMA);
    out.str(J.node[i]);
    out.byte(COMMA);
    out.str(J.gpus[i]);
    out.byte(COMMA);
    if (start >= 0) out.num(J.milli[i]);
    out.byte(COMMA);
    out.num(J.attempts[i]);
    out.byte(COMMA);
    out.str(J.reason[i]);
    out.byte(COMMA);
    out.num(J.preemptions[i]);
    out.byte(COMMA);
    out.num(J.lostMs[i]);
    out.byte(COMMA);
    out.num(J.nodeLosses[i]);
    out.byte(0x0a);
  }
}

const JOBS_HEADER = ['id', 'tenant', 'submit_ms', 'start_ms', 'end_ms', 'state', 'req_gpus', 'req_milli', 'node', 'gpus', 'milli', 'attempts', 'reason', 'preemptions', 'lost_ms', 'node_losses'];

function* jobCells(rows: Iterable<JobRow>): Generator<CsvCell[]> {
  for (const j of rows) {
    const placed = j.start >= 0;
    yield [
      j.id, j.tenant, j.submit, when(j.start), when(j.end), j.state, j.reqGpus, j.reqMilli,
      j.node, j.gpus, placed ? j.milli : undefined, j.attempts, j.reason, j.preemptions, j.lostMs, j.nodeLosses,
    ];
  }
}

/**
 * timeline.csv: the cluster columns, then one `share_pct_<tenant>` column per tenant (its GPU held
 * as % of cluster capacity), tenants sorted by name. Times integer ms.
 */
export function timelineCsv(rows: readonly TimelineRow[], gpuCapacity: number): string {
  let out = '';
  for (const chunk of timelineCsvChunks(rows, gpuCapacity)) out += chunk;
  return out;
}

/** timeline.csv in pieces (`csvChunks`). */
export function timelineCsvChunks(rows: readonly TimelineRow[], gpuCapacity: number): Generator<string> {
  const seen = new Set<string>();
  let last: TimelineRow['tenants'];
  for (const r of rows) {
    // Rows share one tenants object while the shares stay put (derive.ts): each read once.
    if (r.tenants === last || r.tenants === undefined) continue;
    last = r.tenants;
    for (const n in r.tenants) seen.add(n);
  }
  const names = [...seen].sort();
  const pctOf = (m: number) => (gpuCapacity > 0 ? round((100 * m) / gpuCapacity, 2) : 0);
  const header = ['t_ms', 'gpu_alloc_milli', 'gpu_alloc_pct', 'queued', 'running', 'gpu_up_milli', ...names.map((n) => `share_pct_${n}`)];
  function* cells(): Generator<CsvCell[]> {
    for (const r of rows) yield [r.t, r.gpuAllocated, pctOf(r.gpuAllocated), r.queued, r.running, r.gpuUp, ...names.map((n) => pctOf(r.tenants?.[n] ?? 0))];
  }
  return csvChunks(header, cells());
}
