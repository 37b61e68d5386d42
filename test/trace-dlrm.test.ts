import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TraceRowError } from '../src/trace/csv-rows.ts';
import { dlrmJobs, loadDlrmInstances } from '../src/trace/dlrm-v2025.ts';
import { traceDir } from '../src/trace/resolve.ts';

const FILE = join(traceDir(), 'alibaba-gpu-v2025/disaggregated_DLRM_trace.csv');
const HEADER =
  'instance_sn,role,app_name,cpu_request,cpu_limit,gpu_request,gpu_limit,rdma_request,rdma_limit,memory_request,memory_limit,disk_request,disk_limit,max_instance_per_node,creation_time,scheduled_time,deletion_time';

function tmp(rows: string[]): string {
  const f = join(mkdtempSync(join(tmpdir(), 'gpulab-dlrm-')), 'dlrm.csv');
  writeFileSync(f, [HEADER, ...rows].join('\n') + '\n');
  return f;
}

describe('DLRM v2025 loader (hand-written rows)', () => {
  it('converts units and fills missing times from the window', async () => {
    const f = tmp([
      // HN: 12 vCPU = 12000 milli, 120 GiB = 122880 MiB, 1 GPU; alive before and after the window
      'instance_0,HN,app_0,12,12,1,1,25,25,120.0,120.0,640.0,800.0,8,,,',
      // CN: created at 100 s, deleted at 400 s → 300 s
      'instance_1,CN,app_1,8,16,0,0,1,1,32.5,64.0,10.0,10.0,-1,100.0,101.0,400.0',
      // created at 50 s, still alive: runs to the window end (the latest time seen, 400 s) → 350 s
      'instance_2,CN,app_1,8,8,0,0,1,1,32.0,32.0,10.0,10.0,-1,50.0,60.0,',
    ]);
    const { instances, report } = await loadDlrmInstances(f);
    expect(report).toMatchObject({ rows: 3, skipped: 0 });
    expect(instances[0]).toMatchObject({ role: 'HN', cpu: 12_000, gpus: 1, memory: 122_880, maxPerNode: 8 });
    expect(instances[0].creation).toBeUndefined();
    expect(instances[1]).toMatchObject({ cpu: 8000, cpuLimit: 16_000, memory: 33_280, creation: 100, deletion: 400 }); // 32.5·1024 = 33280
    const jobs = dlrmJobs(instances);
    expect(jobs.map((j) => [j.id, j.submit, j.duration, j.gpus, j.milli, j.tenant])).toEqual([
      ['instance_0', 0, 400_000, 1, 1000, 'app_0'],
      ['instance_2', 50_000, 350_000, 0, 0, 'app_1'],
      ['instance_1', 100_000, 300_000, 0, 0, 'app_1'],
    ]);
  });

  it('a bad row names file, line and column; skip counts it', async () => {
    const f = tmp(['instance_0,HN,app_0,12,12,1,1,25,25,120.0,120.0,640.0,800.0,8,,,', 'instance_1,XX,app_0,12,12,1,1,25,25,120.0,120.0,640.0,800.0,8,,,', 'instance_2,CN,app_0,lots,12,0,0,25,25,1,1,1,1,8,,,']);
    const err = await loadDlrmInstances(f).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TraceRowError);
    expect((err as Error).message).toBe(`${f}:3: column 'role': expected CN or HN, got 'XX'`);
    const { instances, report } = await loadDlrmInstances(f, { onBadRow: 'skip' });
    expect(instances.map((i) => i.id)).toEqual(['instance_0']);
    expect(report.skipped).toBe(2);
    expect(report.errors.map((e) => [e.line, e.column])).toEqual([
      [3, 'role'],
      [4, 'cpu_request'],
    ]);
  });
});

describe.skipIf(!existsSync(FILE))(`DLRM v2025 on the public file (${FILE}; skipped when absent)`, () => {
  it('23,871 instances: 16,485 CN without GPU, 7,386 HN with one; 7,280 creation and 8,878 deletion times missing', async () => {
    const { instances, report } = await loadDlrmInstances(FILE);
    expect(report.skipped).toBe(0);
    expect(instances).toHaveLength(23_871);
    expect(instances.filter((i) => i.role === 'CN' && i.gpus === 0)).toHaveLength(16_485);
    expect(instances.filter((i) => i.role === 'HN' && i.gpus === 1)).toHaveLength(7_386);
    expect(instances.filter((i) => i.creation === undefined)).toHaveLength(7_280);
    expect(instances.filter((i) => i.deletion === undefined)).toHaveLength(8_878);
    expect(new Set(instances.map((i) => i.app)).size).toBe(156);
  });
});
