import { describe, expect, it } from 'vitest';
import type { NodeSpec } from '../src/cluster/types.ts';
import { studyNodeOrder } from '../src/fgd/node-order.ts';

const nodes: NodeSpec[] = Array.from({ length: 40 }, (_, i) => ({ id: `openb-node-${String(i).padStart(4, '0')}`, cpu: 64000, memory: 262144, gpus: [] }));
const ids = (ns: readonly NodeSpec[]) => ns.map((n) => n.id);

describe("the FGD study's node order (its simulator renames nodes with a seeded permutation)", () => {
  it('is a permutation of the nodes, the same for the same seed', () => {
    const a = studyNodeOrder(nodes, 42);
    expect([...ids(a)].sort()).toEqual(ids(nodes));
    expect(ids(studyNodeOrder(nodes, 42))).toEqual(ids(a));
  });

  it('differs between seeds and from the list order', () => {
    expect(ids(studyNodeOrder(nodes, 42))).not.toEqual(ids(nodes));
    expect(ids(studyNodeOrder(nodes, 43))).not.toEqual(ids(studyNodeOrder(nodes, 42)));
  });

  it('depends on the node names, not on the order they are given in', () => {
    const reversed = nodes.slice().reverse();
    expect(ids(studyNodeOrder(reversed, 7))).toEqual(ids(studyNodeOrder(nodes, 7)));
  });

  it('leaves its input alone', () => {
    const copy = nodes.slice();
    studyNodeOrder(copy, 1);
    expect(ids(copy)).toEqual(ids(nodes));
  });
});
