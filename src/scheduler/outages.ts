/**
 * Node outages as the scheduler core tracks them: outages of one node may overlap (it is up once
 * the last ends), and a node may go down for good (then it never comes back, whatever outages end).
 */
export class Outages {
  /** Outages in progress per node index. */
  private readonly open: number[];
  private readonly retired = new Set<number>();
  private retiredList: number[] = [];

  constructor(nodeCount: number) {
    this.open = new Array<number>(nodeCount).fill(0);
  }

  /** Nodes down for good, in the order they went. */
  get retiredNodes(): readonly number[] {
    return this.retiredList;
  }

  /** Records an outage; true when the node was up and goes down now. */
  down(node: number, permanent: boolean): boolean {
    if (permanent && !this.retired.has(node)) {
      this.retired.add(node);
      this.retiredList = [...this.retiredList, node];
    }
    return this.open[node]++ === 0;
  }

  /** Ends an outage; true when the node comes back up now. Throws when the node is not down. */
  up(node: number, nodeId: string): boolean {
    if (this.open[node] === 0) throw new Error(`node-up for node ${nodeId}, which is not down`);
    return --this.open[node] === 0 && !this.retired.has(node);
  }
}
