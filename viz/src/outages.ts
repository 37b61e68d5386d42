/** Outages per node id: [down, up) intervals in time order; up = Infinity while still down. */
export type Outages = Map<string, { starts: number[]; ends: number[] }>;

/** A node went down at `t`: opens an interval. (The jobs it hit have node-loss records of their own.) */
export function nodeDown(outages: Outages, node: string, t: number): void {
  let o = outages.get(node);
  if (!o) outages.set(node, (o = { starts: [], ends: [] }));
  o.starts.push(t);
  o.ends.push(Infinity);
}

/** A node came back at `t`: closes its open interval. False when it had none (a node-up without a node-down). */
export function nodeUp(outages: Outages, node: string, t: number): boolean {
  const o = outages.get(node);
  if (o && o.ends.length > 0 && o.ends[o.ends.length - 1] === Infinity) {
    o.ends[o.ends.length - 1] = t;
    return true;
  }
  return false;
}
