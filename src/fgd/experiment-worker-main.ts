import { parentPort, workerData } from 'node:worker_threads';
import type { NodeSpec } from '../cluster/types.ts';
import type { TypicalPod } from '../frag/typical-pods.ts';
import type { OpenbPod } from '../trace/openb.ts';
import { runOne } from './experiment.ts';

/**
 * Worker body: asks for a run (`{ready}`), runs each (policy, seed) fill it is sent and posts
 * `{i, result}`; a `null` message means no runs are left and the worker exits.
 */
const d = workerData as { nodes: NodeSpec[]; pods: OpenbPod[]; typical: TypicalPod[]; tune: number };
const port = parentPort!;
port.on('message', (j: { i: number; label: string; placement: string; seed: number } | null) => {
  if (j === null) {
    port.close();
    return;
  }
  port.postMessage({ i: j.i, result: runOne(d.nodes, d.pods, d.typical, j, d.tune) });
});
port.postMessage({ ready: true });
