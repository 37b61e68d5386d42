import type { NodeSpec } from '../../src/cluster/types.ts';
import type { JobSpec } from '../../src/jobs/job.ts';

/** Fluent job builder for tests: `job('a').gpus(2).milli(500).at(10).runs(100).build()` (times in ms). */
export function job(id: string) {
  const spec: { -readonly [K in keyof JobSpec]: JobSpec[K] } = {
    id,
    tenant: 't',
    submit: 0,
    duration: 1000,
    cpu: 1000,
    memory: 1024,
    gpus: 1,
    milli: 1000,
    priority: 0,
  };
  const b = {
    tenant: (t: string) => ((spec.tenant = t), b),
    at: (ms: number) => ((spec.submit = ms), b),
    runs: (ms: number) => ((spec.duration = ms), b),
    cpu: (m: number) => ((spec.cpu = m), b),
    memory: (m: number) => ((spec.memory = m), b),
    gpus: (n: number) => ((spec.gpus = n), (spec.milli = n === 0 ? 0 : spec.milli), b),
    milli: (m: number) => ((spec.milli = m), b),
    models: (...m: string[]) => ((spec.models = m), b),
    priority: (p: number) => ((spec.priority = p), b),
    build: (): JobSpec => ({ ...spec }),
  };
  return b;
}

/** A node with `gpus` whole GPUs of `model` (defaults: 64 vCPU, 256 GiB). */
export function node(id: string, gpus: number, model = 'A100', opts: { cpu?: number; memory?: number } = {}): NodeSpec {
  return {
    id,
    cpu: opts.cpu ?? 64000,
    memory: opts.memory ?? 262144,
    gpus: Array.from({ length: gpus }, () => ({ model, capacity: 1000 })),
  };
}
