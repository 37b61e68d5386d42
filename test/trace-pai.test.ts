import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TraceRowError } from '../src/trace/csv-rows.ts';
import {
  loadPaiJobTable,
  loadPaiMachineSpec,
  loadPaiTaskTable,
  PAI_JOB_COLUMNS,
  PAI_MACHINE_SPEC_COLUMNS,
  PAI_TASK_COLUMNS,
  paiGpuRequest,
  paiJobs,
} from '../src/trace/pai-v2020.ts';
import { traceDir } from '../src/trace/resolve.ts';

const HEADERS = join(traceDir(), 'alibaba-gpu-v2020-headers');

function tmp(name: string, rows: string[]): string {
  const f = join(mkdtempSync(join(tmpdir(), 'gpulab-pai-')), name);
  writeFileSync(f, rows.join('\n') + '\n');
  return f;
}

describe.skipIf(!existsSync(HEADERS))(`PAI v2020 column lists match the shipped headers (${HEADERS}; skipped when absent)`, () => {
  it.each([
    ['pai_job_table.header', PAI_JOB_COLUMNS],
    ['pai_task_table.header', PAI_TASK_COLUMNS],
    ['pai_machine_spec.header', PAI_MACHINE_SPEC_COLUMNS],
  ])('%s', (file, cols) => {
    expect(readFileSync(join(HEADERS, file), 'utf8').trim().split(',')).toEqual(cols);
  });
});

// The data tables are headerless; these rows follow the shipped headers' column order.
describe('PAI v2020 loaders (hand-written rows)', () => {
  it('task table → jobs: units, one job per instance, times from the earliest start', async () => {
    const tasks = tmp('pai_task_table.csv', [
      // job_name,task_name,inst_num,status,start_time,end_time,plan_cpu,plan_mem,plan_gpu,gpu_type
      'j1,worker,2,Terminated,1000,1600,600,29.296875,50,T4', // 6 vCPU, 30000 MiB, half a T4 each; 600 s
      'j2,tensorflow,1,Terminated,1100,1200,1200,10,200,MISC', // 12 vCPU, 10240 MiB, 2 whole GPUs, any model; 100 s
      'j3,ps,1,Running,1300,,100,1,,', // still running: no end → left out, counted
    ]);
    const jobsFile = tmp('pai_job_table.csv', ['j1,inst-a,alice,Terminated,1000,1600', 'j2,inst-b,bob,Terminated,1100,1200']);
    const { rows: taskRows } = await loadPaiTaskTable(tasks);
    const { rows: jobRows } = await loadPaiJobTable(jobsFile);
    expect(taskRows[0]).toMatchObject({ instances: 2, cpu: 6000, memory: 30_000, gpuPct: 50, gpuType: 'T4' });
    const { jobs, untimed } = paiJobs(taskRows, jobRows);
    expect(untimed).toBe(1);
    expect(jobs.map((j) => [j.id, j.tenant, j.submit, j.duration, j.gpus, j.milli, j.models])).toEqual([
      ['j1/worker/0', 'alice', 0, 600_000, 1, 500, ['T4']],
      ['j1/worker/1', 'alice', 0, 600_000, 1, 500, ['T4']],
      ['j2/tensorflow/0', 'bob', 100_000, 100_000, 2, 1000, undefined],
    ]);
  });

  it('plan_gpu % → GPUs: 0 none, 25 → 1×250, 100 → 1×1000, 250 → 3 whole', () => {
    expect([0, 25, 100, 250].map(paiGpuRequest)).toEqual([
      { gpus: 0, milli: 0 },
      { gpus: 1, milli: 250 },
      { gpus: 1, milli: 1000 },
      { gpus: 3, milli: 1000 },
    ]);
  });

  it('machine spec → nodes (cores → milli, GB → MiB)', async () => {
    const f = tmp('pai_machine_spec.csv', ['m1,V100,96,512,8', 'm2,,64,256,0']);
    const { nodes } = await loadPaiMachineSpec(f);
    expect(nodes[0]).toEqual({ id: 'm1', cpu: 96_000, memory: 524_288, gpus: Array.from({ length: 8 }, () => ({ model: 'V100', capacity: 1000 })) });
    expect(nodes[1].gpus).toEqual([]);
  });

  it('a bad row names file, line and column; skip counts it', async () => {
    const f = tmp('pai_task_table.csv', ['j1,w,1,Terminated,10,20,100,1,100,T4', 'j2,w,zero,Terminated,10,20,100,1,100,T4', 'j3,w,1,Terminated,30,20,100,1,100,T4']);
    const err = await loadPaiTaskTable(f).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TraceRowError);
    expect((err as Error).message).toBe(`${f}:2: column 'inst_num': expected an integer, got 'zero'`);
    const { rows, report } = await loadPaiTaskTable(f, { onBadRow: 'skip' });
    expect(rows).toHaveLength(1);
    expect(report.errors.map((e) => [e.line, e.column])).toEqual([
      [2, 'inst_num'],
      [3, 'end_time'],
    ]);
  });
});
