/**
 * A small event log with a job tree, as the service writes one: root `r` with children `c1` and
 * `c2`, `c1`'s child `g` (depth 2), a top-level job `o` beside them and `s1`, a child of a
 * session (`sess-1`, not a job of the log). Two nodes of two GPUs; times in ms. Shared by the
 * viewer's tree tests (unit and e2e).
 */
export function treeLogLines(): string[] {
  const gpu = { model: 'A100', capacity: 1000 };
  const node = (id: string) => ({ id, cpu: 32000, memory: 65536, gpus: [gpu, gpu] });
  const arrival = (t: number, job: string, tenant: string, dur: number, tree?: { parent: string; depth: number }) => ({ t, ev: 'arrival', job, tenant, cpu: 1000, mem: 1024, gpus: 1, milli: 1000, prio: 0, dur, ...tree });
  const rec = (o: object) => JSON.stringify(o);
  const lines: object[] = [{ t: 0, ev: 'run', run: 'serve/epoch-1', mode: 'live', seed: 0, queue: 'fifo', placement: 'best-fit', nodes: [node('n0'), node('n1')] }];
  const job = (t: number, id: string, tenant: string, on: string, g: number, end: number, tree?: { parent: string; depth: number }) => {
    lines.push(arrival(t, id, tenant, end - t, tree), { t, ev: 'admit', job: id }, { t, ev: 'start', job: id, node: on, gpus: [g], milli: 1000, attempt: 1 });
    return { t: end, ev: 'finish', job: id, state: 'succeeded' };
  };
  const finishes = [
    job(0, 'r', 'team-a', 'n0', 0, 10_000),
    job(1_000, 'c1', 'team-a', 'n0', 1, 8_000, { parent: 'r', depth: 1 }),
    job(2_000, 'c2', 'team-a', 'n1', 0, 9_000, { parent: 'r', depth: 1 }),
    job(3_000, 'g', 'team-a', 'n1', 1, 7_000, { parent: 'c1', depth: 2 }),
  ];
  lines.push(...finishes.sort((a, b) => a.t - b.t));
  // (job() writes arrival, admit and start when called: o at 10 s, s1 at 11 s; then their finishes)
  const o = job(10_000, 'o', 'team-b', 'n0', 0, 14_000);
  const s1 = job(11_000, 's1', 'team-b', 'n0', 1, 13_000, { parent: 'sess-1', depth: 1 });
  lines.push(s1, o);
  // (the engine's event count: 6 arrivals and 6 completions)
  lines.push({ t: 14_000, ev: 'end', events: 12 });
  return lines.map(rec);
}
