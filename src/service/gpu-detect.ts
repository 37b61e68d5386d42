import { execFile } from 'node:child_process';
import { availableParallelism, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { NodeGroup } from '../scenario/schema.ts';

/**
 * `cluster: { detect: true }`: the service's one node is this box — its GPUs as `nvidia-smi`
 * reports them (name and memory of each), else the WebGPU adapter when a WebGPU backend finds a
 * hardware one, else none (a CPU-only node); CPU count and memory from the OS.
 */

/** One GPU as detected. */
export interface DetectedGpu {
  readonly model: string;
  /** MiB; undefined where the source does not say (WebGPU). */
  readonly memoryMiB?: number;
}

export interface Detection {
  readonly source: 'nvidia-smi' | 'webgpu' | 'none';
  readonly gpus: readonly DetectedGpu[];
  /** Why a source gave nothing (not installed, failed, no adapter), for the log. */
  readonly notes: readonly string[];
}

/** The query `parseNvidiaSmi` reads. */
export const NVIDIA_SMI_ARGS = ['--query-gpu=name,memory.total', '--format=csv,noheader'] as const;

/**
 * Parses `nvidia-smi --query-gpu=name,memory.total --format=csv,noheader`: one line per GPU,
 * `NVIDIA H100 80GB HBM3, 81559 MiB`. Throws naming the line and field of anything else. Pure.
 */
export function parseNvidiaSmi(text: string): DetectedGpu[] {
  const out: DetectedGpu[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const where = `nvidia-smi output line ${i + 1}`;
    const cut = line.lastIndexOf(',');
    if (cut < 0) throw new Error(`${where}: expected 'name, memory.total', got '${line.slice(0, 120)}'`);
    const name = line.slice(0, cut).trim();
    const mem = line.slice(cut + 1).trim();
    if (name === '' || name.startsWith('[')) throw new Error(`${where}, field name: expected a GPU name, got '${name.slice(0, 120)}'`);
    const m = /^(\d+) MiB$/.exec(mem);
    if (!m) throw new Error(`${where}, field memory.total: expected '<n> MiB', got '${mem.slice(0, 120)}'`);
    out.push({ model: name, memoryMiB: Number(m[1]) });
  });
  return out;
}

function run(file: string, args: readonly string[], timeoutMs: number, cwd?: string): Promise<{ ok: true; stdout: string } | { ok: false; why: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 1 << 20, ...(cwd ? { cwd } : {}) }, (err, stdout, stderr) => {
      if (!err) return resolve({ ok: true, stdout });
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'not installed' : err.killed ? `timed out after ${timeoutMs} ms` : `${err.message.split('\n')[0]}${stderr ? `: ${stderr.trim().split('\n').slice(-1)[0]}` : ''}`;
      resolve({ ok: false, why });
    });
  });
}

/** Asks Dawn (the `webgpu` package) for an adapter in a child process (a driver fault cannot take the service down). */
const WEBGPU_PROBE = `
const { create, globals } = await import('webgpu');
Object.assign(globalThis, globals);
const a = await create([]).requestAdapter();
const i = a?.info ?? {};
process.stdout.write(JSON.stringify(a ? { description: i.description || i.device || i.vendor || '', fallback: Boolean(a.isFallbackAdapter ?? i.isFallbackAdapter) } : null));
process.exit(0);
`;

/** Software adapters are no GPU. */
const SOFTWARE = /swiftshader|llvmpipe|lavapipe|software/i;

export interface DetectOptions {
  /** Where to look for `nvidia-smi` (default: PATH); false: do not ask it. */
  readonly nvidiaSmi?: string | false;
  /** Try the WebGPU adapter when nvidia-smi gives nothing (default true). */
  readonly webgpu?: boolean;
  readonly timeoutMs?: number;
}

/** Finds this box's GPUs: nvidia-smi first, then the WebGPU adapter. */
export async function detectGpus(o: DetectOptions = {}): Promise<Detection> {
  const timeoutMs = o.timeoutMs ?? 10_000;
  const notes: string[] = [];
  const smi = o.nvidiaSmi === false ? ({ ok: false, why: 'not asked' } as const) : await run(o.nvidiaSmi ?? 'nvidia-smi', NVIDIA_SMI_ARGS, timeoutMs);
  if (smi.ok) {
    const gpus = parseNvidiaSmi(smi.stdout);
    if (gpus.length > 0) return { source: 'nvidia-smi', gpus, notes };
    notes.push('nvidia-smi: no GPUs listed');
  } else {
    notes.push(`nvidia-smi: ${smi.why}`);
  }
  if (o.webgpu ?? true) {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const w = await run(process.execPath, ['--input-type=module', '-e', WEBGPU_PROBE], timeoutMs, root);
    if (!w.ok) notes.push(`webgpu: ${w.why}`);
    else {
      let a: { description: string; fallback: boolean } | null | undefined;
      try {
        a = JSON.parse(w.stdout) as { description: string; fallback: boolean } | null;
      } catch {
        notes.push(`webgpu: unreadable probe output '${w.stdout.slice(0, 80)}'`);
      }
      if (a === undefined) {
        // noted above
      } else if (a === null) notes.push('webgpu: no adapter');
      else if (a.fallback || SOFTWARE.test(a.description)) notes.push(`webgpu: only a software adapter (${a.description})`);
      else return { source: 'webgpu', gpus: [{ model: a.description || 'webgpu-adapter' }], notes };
    }
  }
  return { source: 'none', gpus: [], notes };
}

/** The node group of this box: CPUs and memory from the OS, the detected GPUs grouped by model. Pure but for `os`. */
export function detectedNode(d: Detection, prefix: string): NodeGroup {
  const groups: { count: number; model: string; capacity: number }[] = [];
  for (const g of d.gpus) {
    const last = groups[groups.length - 1];
    if (last && last.model === g.model) last.count++;
    else groups.push({ count: 1, model: g.model, capacity: 1000 });
  }
  const mem = d.gpus.map((g) => g.memoryMiB).filter((m): m is number => m !== undefined);
  return {
    count: 1,
    prefix,
    cpu: availableParallelism() * 1000,
    memory: Math.floor(totalmem() / 2 ** 20),
    gpus: groups,
    labels: { 'gpulab/detected': d.source, ...(mem.length > 0 ? { 'gpulab/gpu-memory-mib': mem.join(',') } : {}) },
  };
}
