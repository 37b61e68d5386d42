import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { detectGpus, parseNvidiaSmi } from '../src/service/gpu-detect.ts';
import { startService, tempState, testConfig } from './service-helpers.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const PATH0 = process.env.PATH;
afterEach(() => {
  process.env.PATH = PATH0;
});

/** A directory holding an `nvidia-smi` script with `body`, put first on PATH. */
function fakeNvidiaSmi(body: string): void {
  const bin = mkdtempSync(join(tmpdir(), 'gpulab-fake-bin-'));
  dirs.push(bin);
  writeFileSync(join(bin, 'nvidia-smi'), `#!/bin/sh\n${body}\n`);
  chmodSync(join(bin, 'nvidia-smi'), 0o755);
  process.env.PATH = `${bin}:${PATH0}`;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('parseNvidiaSmi: nvidia-smi --query-gpu=name,memory.total --format=csv,noheader', () => {
  it('reads real output of an 8×H100, a mixed box and a one-GPU workstation', () => {
    const h100 = Array.from({ length: 8 }, () => 'NVIDIA H100 80GB HBM3, 81559 MiB').join('\n') + '\n';
    expect(parseNvidiaSmi(h100)).toEqual(Array.from({ length: 8 }, () => ({ model: 'NVIDIA H100 80GB HBM3', memoryMiB: 81559 })));
    expect(parseNvidiaSmi('NVIDIA A100-SXM4-40GB, 40960 MiB\nTesla V100-SXM2-16GB, 16160 MiB\n')).toEqual([
      { model: 'NVIDIA A100-SXM4-40GB', memoryMiB: 40960 },
      { model: 'Tesla V100-SXM2-16GB', memoryMiB: 16160 },
    ]);
    expect(parseNvidiaSmi('NVIDIA GeForce RTX 3090, 24576 MiB')).toEqual([{ model: 'NVIDIA GeForce RTX 3090', memoryMiB: 24576 }]);
    expect(parseNvidiaSmi('')).toEqual([]);
  });

  it('errors name the line and the field', () => {
    expect(() => parseNvidiaSmi('NVIDIA H100 80GB HBM3, 81559 MiB\nNVIDIA H100 80GB HBM3, [N/A]\n')).toThrow("nvidia-smi output line 2, field memory.total: expected '<n> MiB', got '[N/A]'");
    expect(() => parseNvidiaSmi('[Not Supported], 81559 MiB')).toThrow("nvidia-smi output line 1, field name: expected a GPU name, got '[Not Supported]'");
    expect(() => parseNvidiaSmi('No devices were found')).toThrow("nvidia-smi output line 1: expected 'name, memory.total', got 'No devices were found'");
  });
});

describe('detectGpus: the WebGPU probe', () => {
  it('asks Dawn in a child process and answers a hardware adapter, or none with the reason (never a crash, never a software adapter)', async () => {
    const d = await detectGpus({ nvidiaSmi: false });
    if (d.source === 'webgpu') {
      expect(d.gpus).toHaveLength(1);
      expect(d.gpus[0].model).not.toMatch(/swiftshader|llvmpipe|lavapipe/i);
    } else {
      expect(d).toMatchObject({ source: 'none', gpus: [] });
      expect(d.notes).toHaveLength(2);
      expect(d.notes[0]).toBe('nvidia-smi: not asked');
      expect(d.notes[1]).toMatch(/^webgpu: (no adapter|only a software adapter \(.*\))$/);
    }
  }, 30_000);
});

describe('cluster: { detect: true } builds the node from this box', () => {
  it('with nvidia-smi on PATH: one node with its GPUs (grouped by model), CPUs and memory from the OS; a 2-GPU job gets CUDA_VISIBLE_DEVICES 0,1', async () => {
    fakeNvidiaSmi(`[ "$*" = "--query-gpu=name,memory.total --format=csv,noheader" ] || { echo "unexpected args: $*" >&2; exit 2; }
printf 'NVIDIA H100 80GB HBM3, 81559 MiB\\nNVIDIA H100 80GB HBM3, 81559 MiB\\nNVIDIA A100-SXM4-40GB, 40960 MiB\\n'`);
    const dir = tempState();
    dirs.push(dir);
    const s = await startService(testConfig(dir, { cluster: { detect: true } }), true);
    try {
      const run = JSON.parse(readFileSync(s.svc.eventsFile, 'utf8').split('\n')[0]);
      expect(run.ev).toBe('run');
      expect(run.nodes).toEqual([
        {
          id: 'local-0',
          cpu: availableParallelism() * 1000,
          memory: Math.floor(totalmem() / 2 ** 20),
          gpus: [
            { model: 'NVIDIA H100 80GB HBM3', capacity: 1000 },
            { model: 'NVIDIA H100 80GB HBM3', capacity: 1000 },
            { model: 'NVIDIA A100-SXM4-40GB', capacity: 1000 },
          ],
          labels: { 'gpulab/detected': 'nvidia-smi', 'gpulab/gpu-memory-mib': '81559,81559,40960' },
        },
      ]);
      expect(s.logs.some((l) => l.includes('"GPUs detected"') && l.includes('"source":"nvidia-smi"'))).toBe(true);
      const id = (await s.app.inject({ method: 'POST', url: '/v1/jobs', payload: { tenant: 'team-a', gpus: 2, command: ['/bin/sh', '-c', 'echo $CUDA_VISIBLE_DEVICES'] } })).json().id;
      let j = (await s.app.inject(`/v1/jobs/${id}`)).json();
      for (let i = 0; i < 250 && ['queued', 'running'].includes(j.state); i++) {
        await pause(20);
        j = (await s.app.inject(`/v1/jobs/${id}`)).json();
      }
      expect(j).toMatchObject({ state: 'succeeded', node: 'local-0', gpus: [0, 1] });
      expect((await s.app.inject(`/v1/jobs/${id}/output`)).json().stdout.text).toBe('0,1\n');
    } finally {
      await s.close();
    }
  }, 20_000);

  it('without a GPU: says so in the log and runs a CPU-only node (a GPU job is rejected never-fits)', async () => {
    fakeNvidiaSmi(`echo "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver." >&2; exit 9`);
    const dir = tempState();
    dirs.push(dir);
    const s = await startService(testConfig(dir, { cluster: { detect: { webgpu: false } } }), true);
    try {
      const run = JSON.parse(readFileSync(s.svc.eventsFile, 'utf8').split('\n')[0]);
      expect(run.nodes).toMatchObject([{ id: 'local-0', gpus: [], labels: { 'gpulab/detected': 'none' } }]);
      const warn = s.logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'no GPU found: running a CPU-only node');
      expect(warn?.notes?.[0]).toMatch(/^nvidia-smi: .*couldn't communicate with the NVIDIA driver/);
      const r = await s.app.inject({ method: 'POST', url: '/v1/jobs', payload: { tenant: 'team-a', gpus: 1, work: { kind: 'sleep', ms: 5 } } });
      expect(r.json()).toMatchObject({ state: 'rejected', reason: 'never-fits' });
    } finally {
      await s.close();
    }
  });

  it('nvidia-smi output it cannot read stops the start naming cluster.detect, the line and the field; nodes and detect together are refused', async () => {
    fakeNvidiaSmi(`echo 'NVIDIA H100 80GB HBM3, [N/A]'`);
    const dir = tempState();
    dirs.push(dir);
    await expect(startService(testConfig(dir, { cluster: { detect: true } }), true)).rejects.toThrow("cluster.detect: nvidia-smi output line 1, field memory.total: expected '<n> MiB', got '[N/A]'");
    expect(() => testConfig(dir, { cluster: { detect: true, nodes: [{ prefix: 'x-', cpu: 1000, memory: 1024 }] } })).toThrow(/give nodes, or detect/);
  });
});
