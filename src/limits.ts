import { getHeapStatistics } from 'node:v8';

/**
 * Bounds on what a scenario or trace may ask for (a bottom module: traces and scenarios both use it), checked before anything runs, so that an
 * impossible size or a time beyond what integer milliseconds can hold is an error naming the field
 * instead of an out-of-memory crash a minute in, or a time that silently rounds.
 *
 * Memory: a run's heap grows with its jobs, nodes and GPUs. The figures below are measured heap
 * bytes, rounded up: a 1,000,000-job single-tenant run with outputs dies in a 2.2 GB heap (at its
 * end, writing jobs.csv and timeline.csv) and completes in 3.2 GB, so 3 KB a job (the job, its
 * record in the core, the queue, the derived rows and their CSV text); a node is about 300 bytes
 * plus 130 per GPU in the cluster model, tripled for the per-run copies.
 * The limit is V8's `heap_size_limit` (raise it with NODE_OPTIONS=--max-old-space-size=MiB).
 * All pure but `heapLimitBytes`.
 */

/** Largest time in seconds anywhere (about 31,700 years): its ms, and sums of a few, stay safe integers. */
export const MAX_TIME_SEC = 1e12;
/** Largest magnitude of any other number (milli-CPU, MiB, GB, %, steps …): ×1024 it stays a safe integer. */
export const MAX_VALUE = 1e12;
/** GPUs on one node. */
export const MAX_GPUS_PER_NODE = 1024;

export const BYTES_PER_JOB = 3072;
export const BYTES_PER_NODE = 1024;
export const BYTES_PER_GPU = 512;
/** Heap the program itself takes before any job: modules, schemas, policies. */
export const BASE_BYTES = 64 * 2 ** 20;

/**
 * Largest value `1 − u` can be small for a uniform draw u: the seeded streams (Alea) give
 * multiples of 2^-32, so an exponential draw is at most `−ln 2^-32 ≈ 22.2` means, a standard
 * normal (Box–Muller) at most `√(2 · 22.2) ≈ 6.66`, a Pareto at most `min · 2^(32/α)`.
 */
export const MAX_EXP = 32 * Math.LN2;
export const MAX_NORMAL = Math.sqrt(2 * MAX_EXP);

export function heapLimitBytes(): number {
  return getHeapStatistics().heap_size_limit;
}

const mb = (bytes: number) => `${Math.round(bytes / 2 ** 20).toLocaleString('en-US')} MB`;
const n = (x: number) => x.toLocaleString('en-US');
const RAISE = 'raise it with NODE_OPTIONS=--max-old-space-size=<MiB>';

/** How many jobs fit the heap beside `nodes` nodes with `gpus` GPUs (at least 0). */
export function maxJobsInMemory(heap = heapLimitBytes(), nodes = 0, gpus = 0): number {
  return Math.max(0, Math.floor((heap - BASE_BYTES - nodes * BYTES_PER_NODE - gpus * BYTES_PER_GPU) / BYTES_PER_JOB));
}

/** The most rows a trace or node file may have: as many as jobs fit the heap, and why. */
export function maxRowsInMemory(heap = heapLimitBytes()): { rows: number; why: string } {
  return { rows: maxJobsInMemory(heap), why: `more jobs than fit this process's heap limit of ${mb(heap)} (about ${BYTES_PER_JOB} bytes a job; take fewer rows with workload.limit, or ${RAISE})` };
}

/** Problems (`field: message`) with the memory a run of `jobs` jobs on `nodes` nodes with `gpus` GPUs needs; [] if it fits. */
export function memoryProblems(size: { jobs: number; nodes: number; gpus: number }, fields: { jobs: string; nodes: string }, heap = heapLimitBytes()): string[] {
  const jobBytes = size.jobs * BYTES_PER_JOB;
  const nodeBytes = size.nodes * BYTES_PER_NODE + size.gpus * BYTES_PER_GPU;
  const need = BASE_BYTES + jobBytes + nodeBytes;
  if (need <= heap) return [];
  const cluster = `${n(size.nodes)} nodes with ${n(size.gpus)} GPUs`;
  if (jobBytes >= nodeBytes) {
    return [`${fields.jobs}: ${n(size.jobs)} jobs on ${cluster} need about ${mb(need)} of memory, more than this process's heap limit of ${mb(heap)} (about ${n(maxJobsInMemory(heap, size.nodes, size.gpus))} jobs fit; use fewer, or ${RAISE})`];
  }
  return [`${fields.nodes}: ${cluster} need about ${mb(need)} of memory with ${n(size.jobs)} jobs, more than this process's heap limit of ${mb(heap)} (${RAISE})`];
}

/** Nodes and GPUs of inline node groups, without expanding them. */
export function clusterSize(groups: readonly { count: number; gpus: readonly { count: number }[] }[]): { nodes: number; gpus: number } {
  let nodes = 0;
  let gpus = 0;
  for (const g of groups) {
    nodes += g.count;
    gpus += g.count * g.gpus.reduce((a, x) => a + x.count, 0);
  }
  return { nodes, gpus };
}

/** Whether inline node groups are too many to expand into node objects (then `scenarioLimitProblems` says why). */
export function tooManyNodes(groups: readonly { count: number; gpus: readonly { count: number }[] }[], heap = heapLimitBytes()): boolean {
  const s = clusterSize(groups);
  return BASE_BYTES + s.nodes * BYTES_PER_NODE + s.gpus * BYTES_PER_GPU > heap;
}
