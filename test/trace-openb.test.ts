import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TraceRowError } from '../src/trace/csv-rows.ts';
import { loadOpenbNodes, loadOpenbPods, openbPodsToJobs } from '../src/trace/openb.ts';
import { traceDir } from '../src/trace/resolve.ts';

const DIR = join(traceDir(), 'alibaba-gpu-v2023');
const have = existsSync(join(DIR, 'openb_pod_list_default.csv'));
const POD_HEADER = 'name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time';

function tmp(text: string): string {
  const f = join(mkdtempSync(join(tmpdir(), 'gpulab-openb-')), 'pods.csv');
  writeFileSync(f, text);
  return f;
}

describe.skipIf(!have)(`openb on the public files (${DIR}; skipped when absent)`, () => {
  it('GPU node list: 1,213 nodes, 6,212 GPUs, 107,018,000 milli-CPU, 503,828,480 MiB; 549 G2×8 nodes', async () => {
    const { nodes } = await loadOpenbNodes(join(DIR, 'openb_node_list_gpu_node.csv'));
    expect(nodes).toHaveLength(1213);
    expect(nodes.reduce((s, n) => s + n.gpus.length, 0)).toBe(6212);
    expect(nodes.reduce((s, n) => s + n.cpu, 0)).toBe(107_018_000);
    expect(nodes.reduce((s, n) => s + n.memory, 0)).toBe(503_828_480);
    expect(nodes.filter((n) => n.gpus.length === 8 && n.gpus[0].model === 'G2')).toHaveLength(549);
  });

  it('all-node list keeps the 310 CPU-only nodes with no GPUs', async () => {
    const { nodes } = await loadOpenbNodes(join(DIR, 'openb_node_list_all_node.csv'));
    expect(nodes).toHaveLength(1523);
    expect(nodes.filter((n) => n.gpus.length === 0)).toHaveLength(310);
  });

  it('default pod list: 8,152 pods, 1,088 CPU-only, 3,078 shares, 75 multi-GPU, Σ GPU 6,086.8; all timed', async () => {
    const { pods, report } = await loadOpenbPods(join(DIR, 'openb_pod_list_default.csv'), { onBadRow: 'stop' });
    expect(report.skipped).toBe(0);
    expect(pods).toHaveLength(8152);
    expect(pods.filter((p) => p.gpus === 0)).toHaveLength(1088);
    expect(pods.filter((p) => p.gpus > 0 && p.milli < 1000)).toHaveLength(3078);
    expect(pods.filter((p) => p.gpus > 1)).toHaveLength(75);
    expect(pods.reduce((s, p) => s + p.gpus * p.milli, 0)).toBe(6_086_800);
    const jobs = openbPodsToJobs(pods, 'default');
    expect(jobs).toHaveLength(8152);
    expect(jobs[0].submit).toBe(0);
  });

  it('multigpu files have only 5 columns: they load, with no times, and refuse a time replay', async () => {
    const f = join(DIR, 'openb_pod_list_multigpu20.csv');
    const { pods } = await loadOpenbPods(f, { onBadRow: 'stop' });
    expect(pods).toHaveLength(8324);
    expect(pods.filter((p) => p.gpus > 1)).toHaveLength(247);
    expect(pods.every((p) => p.creation === undefined && p.spec === '')).toBe(true);
    expect(() => openbPodsToJobs(pods, f)).toThrow(/has no creation_time\/deletion_time/);
  });

  it('gpu_spec with a repeated model (V100M16|V100M32|V100M32) keeps the two models once each', async () => {
    const { pods } = await loadOpenbPods(join(DIR, 'openb_pod_list_gpuspec33.csv'), { onBadRow: 'stop' });
    expect(pods.filter((p) => p.spec !== '')).toHaveLength(2388);
    const rep = pods.filter((p) => p.spec === 'V100M16|V100M32|V100M32');
    expect(rep).toHaveLength(22);
    expect(rep[0].models).toEqual(['V100M16', 'V100M32']);
  });
});

describe('openb bad rows (hand-written)', () => {
  const text = [
    POD_HEADER,
    'openb-pod-0000,12000,16384,1,1000,,LS,Running,0,100,0',
    'openb-pod-0001,6000,12288,1,abc,,LS,Running,5,100,5',
    'openb-pod-0002,6000,12288,2,500,,LS,Running,5,100,5',
    'openb-pod-0003,6000,12288,1,500,,BE,Succeeded,50,40,50',
    'openb-pod-0004,6000,12288,0,0,,BE,Succeeded,50,60,50',
  ].join('\n');

  it('stop: the first bad row is an error naming file, line and column', async () => {
    const f = tmp(text);
    const err = await loadOpenbPods(f, { onBadRow: 'stop' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TraceRowError);
    expect((err as Error).message).toBe(`${f}:3: column 'gpu_milli': expected an integer, got 'abc'`);
  });

  it('skip: bad rows are counted and reported; good rows load', async () => {
    const f = tmp(text);
    const { pods, report } = await loadOpenbPods(f, { onBadRow: 'skip' });
    expect(pods.map((p) => p.name)).toEqual(['openb-pod-0000', 'openb-pod-0004']);
    expect(report.skipped).toBe(3);
    expect(report.errors.map((e) => [e.line, e.column])).toEqual([
      [3, 'gpu_milli'],
      [4, 'gpu_milli'], // a 2-GPU pod must take whole GPUs
      [5, 'deletion_time'], // deleted before created
    ]);
  });

  it('node list: a GPU count without a model is an error', async () => {
    const f = tmp('sn,cpu_milli,memory_mib,gpu,model\nn0,64000,262144,2,P100\nn1,64000,262144,2,\n');
    await expect(loadOpenbNodes(f)).rejects.toThrow(`${f}:3: column 'model'`);
  });
});
