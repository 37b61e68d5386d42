import { parentPort, workerData } from 'node:worker_threads';
import '../../policies/index.ts';
import type { GeneratedScenario } from './arbitraries.ts';
import { limits } from './guarded.ts';
import { checkSubject, registeredSubjects, type KitOptions, type NamedSubject } from './kit.ts';
import { subjectsOfFile } from './load.ts';
import { PROPERTIES } from './properties.ts';
import { setCaseHook } from './sim-run.ts';

/**
 * The isolated half of isolate.ts: loads the subjects, runs the kit on them, and reports each
 * property as it starts, each case as it is simulated (so a hang can name it) and each subject's
 * results. The call in progress is written to shared memory, readable while this thread is stuck.
 */
interface Data {
  readonly file?: string;
  readonly opts: KitOptions;
  /** Properties already done or abandoned, per subject label. */
  readonly skip: Readonly<Record<string, readonly string[]>>;
  /** Subjects already reported (by a worker that was stopped after them). */
  readonly done: readonly string[];
  readonly sab: SharedArrayBuffer;
}

const data = workerData as Data;
const port = parentPort!;
const ctl = new Int32Array(data.sab, 0, 2);
const started = new Float64Array(data.sab, 8, 1);
const text = new Uint8Array(data.sab, 16);
const enc = new TextEncoder();

limits.recorder = {
  enter(policy, method, job, now, size) {
    const s = `${policy} in ${method}(${job ? `job ${job}` : ''}) at t=${(now / 1000).toFixed(3)} s with ${size}`;
    Atomics.store(ctl, 1, enc.encodeInto(s, text).written);
    started[0] = performance.timeOrigin + performance.now();
    Atomics.store(ctl, 0, 1);
  },
  exit() {
    Atomics.store(ctl, 0, 0);
  },
};

let lastCase: GeneratedScenario | undefined;
setCaseHook((sc) => {
  if (sc === lastCase) return;
  lastCase = sc;
  const { family, nodes, jobs, seed, headOfLine, maxQueue, cancels, scheduler, failures, tenants } = sc;
  port.postMessage({ type: 'case', sc: { family, nodes, jobs, seed, headOfLine, maxQueue, cancels, scheduler, failures, tenants } });
});

let subjects: NamedSubject[];
try {
  subjects = data.file ? await subjectsOfFile(data.file) : registeredSubjects();
} catch (e) {
  port.postMessage({ type: 'load-error', message: (e as Error).message });
  process.exit(0);
}
port.postMessage({ type: 'subjects', list: subjects.map((s) => ({ label: s.label, kind: s.kind })) });
for (const s of subjects) {
  if (data.done.includes(s.label)) continue;
  const skip = data.skip[s.label] ?? [];
  for (const p of PROPERTIES) {
    if (skip.includes(p.name) || (data.opts.only && !data.opts.only.includes(p.name))) continue;
    const [r] = checkSubject(s.subject, {
      ...data.opts,
      only: [p.name],
      onProperty: (name) => port.postMessage({ type: 'property', subject: s.label, property: name }),
    });
    const { counterexampleValue: _v, ...plain } = r;
    port.postMessage({ type: 'result', subject: s.label, kind: s.kind, result: plain });
  }
}
port.postMessage({ type: 'done' });
