/**
 * Prometheus text exposition (format 0.0.4) of live-run metrics. `renderMetrics` is pure: the
 * same families give the same text, families and samples in the order given. Label values are
 * escaped (backslash, double quote, newline); metric and label names are checked.
 */
export type Labels = Readonly<Record<string, string>>;

export type MetricFamily =
  | {
      readonly kind: 'counter' | 'gauge';
      readonly name: string;
      readonly help: string;
      readonly samples: readonly { readonly labels?: Labels; readonly value: number }[];
    }
  | {
      readonly kind: 'histogram';
      readonly name: string;
      readonly help: string;
      /** Upper bounds, ascending; `+Inf` is added. */
      readonly buckets: readonly number[];
      readonly series: readonly { readonly labels?: Labels; readonly observations: readonly number[] }[];
    };

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function fmtLabels(labels: Labels | undefined, extra?: [string, string]): string {
  const entries = Object.entries(labels ?? {});
  if (extra) entries.push(extra);
  if (entries.length === 0) return '';
  for (const [k] of entries) if (!LABEL.test(k) || k.startsWith('__')) throw new Error(`invalid label name '${k}'`);
  return `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
}

function fmtValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export function renderMetrics(families: readonly MetricFamily[]): string {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const f of families) {
    if (!NAME.test(f.name)) throw new Error(`invalid metric name '${f.name}'`);
    if (seen.has(f.name)) throw new Error(`metric '${f.name}' declared twice`);
    seen.add(f.name);
    out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.kind}`);
    if (f.kind !== 'histogram') {
      for (const s of f.samples) out.push(`${f.name}${fmtLabels(s.labels)} ${fmtValue(s.value)}`);
      continue;
    }
    for (let i = 1; i < f.buckets.length; i++) {
      if (!(f.buckets[i] > f.buckets[i - 1])) throw new Error(`metric '${f.name}': buckets must ascend`);
    }
    for (const s of f.series) {
      // Buckets are cumulative: each counts observations ≤ its bound.
      for (const b of f.buckets) {
        const n = s.observations.filter((o) => o <= b).length;
        out.push(`${f.name}_bucket${fmtLabels(s.labels, ['le', fmtValue(b)])} ${n}`);
      }
      out.push(`${f.name}_bucket${fmtLabels(s.labels, ['le', '+Inf'])} ${s.observations.length}`);
      out.push(`${f.name}_sum${fmtLabels(s.labels)} ${fmtValue(s.observations.reduce((a, b) => a + b, 0))}`);
      out.push(`${f.name}_count${fmtLabels(s.labels)} ${s.observations.length}`);
    }
  }
  return out.join('\n') + '\n';
}

/** One finished job attempt as the live executor measured it (the fields metrics need). */
export interface AttemptSample {
  readonly tenant: string;
  /** Terminal state of the attempt (succeeded, failed, timed-out, cancelled …). */
  readonly outcome: string;
  readonly backend: string;
  /** The worker came from the warm pool. */
  readonly warm: boolean;
  /** Real ms from the start decision to the worker reporting `started`; < 0 if it never did. */
  readonly startLatencyMs: number;
  readonly flops: number;
  readonly seconds: number;
}

const LATENCY_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * The standard families of a live run: attempts by tenant and outcome, start latency by pool
 * (cold/warm), FLOPs and compute seconds by backend. Sorted label order, so output is stable.
 */
export function liveRunFamilies(attempts: readonly AttemptSample[]): MetricFamily[] {
  const count = new Map<string, { labels: Labels; value: number }>();
  const flops = new Map<string, { labels: Labels; value: number }>();
  const secs = new Map<string, { labels: Labels; value: number }>();
  const lat: Record<'cold' | 'warm', number[]> = { cold: [], warm: [] };
  const add = (m: Map<string, { labels: Labels; value: number }>, labels: Labels, v: number) => {
    const k = JSON.stringify(labels);
    const e = m.get(k) ?? { labels, value: 0 };
    e.value += v;
    m.set(k, e);
  };
  for (const a of attempts) {
    add(count, { tenant: a.tenant, outcome: a.outcome }, 1);
    add(flops, { backend: a.backend }, a.flops);
    add(secs, { backend: a.backend }, a.seconds);
    if (a.startLatencyMs >= 0) lat[a.warm ? 'warm' : 'cold'].push(a.startLatencyMs / 1000);
  }
  const sorted = (m: Map<string, { labels: Labels; value: number }>) => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
  return [
    { kind: 'counter', name: 'gpulab_live_attempts_total', help: 'Finished job attempts by tenant and outcome.', samples: sorted(count) },
    {
      kind: 'histogram',
      name: 'gpulab_live_start_latency_seconds',
      help: 'Start decision to worker running, by pool (cold spawn or warm worker).',
      buckets: LATENCY_BUCKETS_S,
      series: (['cold', 'warm'] as const).map((p) => ({ labels: { pool: p }, observations: lat[p] })),
    },
    { kind: 'counter', name: 'gpulab_live_flops_total', help: 'Floating-point operations done, by tensor backend.', samples: sorted(flops) },
    { kind: 'counter', name: 'gpulab_live_compute_seconds_total', help: 'Seconds of tensor work, by backend.', samples: sorted(secs) },
  ];
}
