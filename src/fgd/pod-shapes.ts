import type { OpenbPod } from '../trace/openb.ts';
import type { PodShape } from './kernel.ts';

/**
 * The request shapes of a pod list, numbered once per list and thread (a pure function of the
 * list, memoised by identity): every run of a sweep over the list reuses them instead of building
 * key strings per pod. `shape` is the pod's request; `noMem` the shape without memory (the memo
 * key, src/fgd/static-fill.ts: no kernel's cost reads memory); `shapeId` numbers the distinct
 * memory-free shapes and `indexId` the distinct (shape, memory) pairs.
 */

export interface PodShapeRef {
  readonly shape: PodShape & { readonly key: string };
  readonly noMem: PodShape & { readonly key: string };
  readonly shapeId: number;
  readonly indexId: number;
  readonly memory: number;
}

export interface PodShapes {
  /** By position in the pod list. */
  readonly refs: readonly PodShapeRef[];
  readonly shapes: number;
  readonly indexes: number;
}

const memo = new WeakMap<readonly OpenbPod[], PodShapes>();

export function podShapes(pods: readonly OpenbPod[]): PodShapes {
  let ps = memo.get(pods);
  if (ps) return ps;
  const noMems = new Map<string, { shape: PodShape & { key: string }; id: number }>();
  const indexIds = new Map<string, number>();
  const refs: PodShapeRef[] = [];
  for (const p of pods) {
    const key = `${p.cpu}|${p.gpus}|${p.milli}|${p.spec}`;
    let nm = noMems.get(key);
    if (!nm) noMems.set(key, (nm = { shape: { cpu: p.cpu, memory: 0, gpus: p.gpus, milli: p.milli, models: p.models, key }, id: noMems.size }));
    const ik = `${key}|${p.memory}`;
    let indexId = indexIds.get(ik);
    if (indexId === undefined) indexIds.set(ik, (indexId = indexIds.size));
    refs.push({ shape: { cpu: p.cpu, memory: p.memory, gpus: p.gpus, milli: p.milli, models: p.models, key }, noMem: nm.shape, shapeId: nm.id, indexId, memory: p.memory });
  }
  ps = { refs, shapes: noMems.size, indexes: indexIds.size };
  memo.set(pods, ps);
  return ps;
}
