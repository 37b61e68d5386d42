import { parentPort, workerData } from 'node:worker_threads';
import type { NodeSpec } from '../cluster/types.ts';
import type { TypicalPod } from '../frag/typical-pods.ts';
import type { OpenbPod } from '../trace/openb.ts';
import { runOne } from './experiment.ts';

/** Worker body: runs its share of (policy, seed) fills and posts the results in order. */
const d = workerData as {
  nodes: NodeSpec[];
  pods: OpenbPod[];
  typical: TypicalPod[];
  jobs: { i: number; label: string; placement: string; seed: number }[];
  tune: number;
};
parentPort!.postMessage(d.jobs.map((j) => runOne(d.nodes, d.pods, d.typical, j, d.tune)));
