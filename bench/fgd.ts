/**
 * FGD study benchmark (a figure, not pass/fail): `npm run bench:fgd` (also run by `npm run bench`).
 * Times the whole fgd-openb scenario (6 policies × 10 seeds, static fill to 130% on the 1,213-node
 * openb GPU list) end to end, trace loading and worker start-up included, and each policy's
 * single-run time in this thread. Skips with a reason when the public traces are absent.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FillCache, staticFill } from '../src/fgd/static-fill.ts';
import { kernelFor } from '../src/fgd/kernels.ts';
import { typicalPods } from '../src/frag/typical-pods.ts';
import { loadScenario } from '../src/scenario/load.ts';
import { runScenario } from '../src/scenario/run.ts';
import { loadOpenbNodes, loadOpenbPods } from '../src/trace/openb.ts';
import { traceDir } from '../src/trace/resolve.ts';

const dir = join(traceDir(), 'alibaba-gpu-v2023');
if (!existsSync(join(dir, 'openb_pod_list_default.csv'))) {
  console.log(`# fgd: skipped, openb traces not found under ${dir} (set GPULAB_TRACE_DIR)`);
} else {
  const file = 'scenarios/fgd-openb.yaml';
  const t0 = performance.now();
  const s = await runScenario(loadScenario(file), { file, dryRun: true });
  const wall = (performance.now() - t0) / 1000;
  console.log('# fgd-openb scenario: 6 policies × 10 seeds, static fill to 130%');
  console.log(`  wall ${wall.toFixed(2)} s (load + runs, worker threads)`);
  console.log(s.report ?? '');

  console.log('\n# one run per policy in this thread (seed 42, after one warm-up run)');
  const { nodes } = await loadOpenbNodes(join(dir, 'openb_node_list_gpu_node.csv'));
  const { pods } = await loadOpenbPods(join(dir, 'openb_pod_list_default.csv'), { onBadRow: 'stop' });
  const typical = typicalPods(pods);
  for (const p of ['random', 'dot-product', 'gpu-clustering', 'gpu-packing', 'best-fit-study', 'fgd']) {
    staticFill({ nodes, pods, kernel: kernelFor(p), seed: 41, tune: 1.3, cache: new FillCache(typical) });
    const t = performance.now();
    const r = staticFill({ nodes, pods, kernel: kernelFor(p), seed: 42, tune: 1.3, cache: new FillCache(typical) });
    console.log(`  ${p.padEnd(15)} ${(performance.now() - t).toFixed(0).padStart(5)} ms  (${r.pods} pods, ${r.failed} failed)`);
  }
}
