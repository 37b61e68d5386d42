import { parentPort, workerData } from 'node:worker_threads';
import '../../policies/index.ts';
import type { GeneratedScenario } from './arbitraries.ts';
import { limits } from './guarded.ts';
import type { KitOptions } from './kit.ts';
import { subjectsOfFile } from './load.ts';
import { allRegisteredSubjects, checkAny, propertyNames, type AnySubject } from './subjects.ts';
import { setCaseHook } from './sim-run.ts';

/**
 * The isolated half of isolate.ts: loads the subjects, runs the kit on them, and reports each
 * property as it starts, each case as it is simulated (so a hang can name it) and each subject's
 * results. The call in progress is written to shared memory, readable while this thread is stuck.
 */
interface Data {
  readonly file?: string;
  readonly opts: KitOptions;
  /** Properties already done or abandoned, per subject key (kind and label). */
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

let subjects: AnySubject[];
try {
  subjects = data.file ? await subjectsOfFile(data.file) : allRegisteredSubjects();
} catch (e) {
  port.postMessage({ type: 'load-error', message: (e as Error).message });
  process.exit(0);
}
// A subject's key: its kind and label (a placement and a routing policy may share a name, `random`).
const keyOf = (s: AnySubject) => `${s.kind} ${s.label}`;
port.postMessage({ type: 'subjects', list: subjects.map((s) => ({ key: keyOf(s), label: s.label, kind: s.kind })) });
for (const s of subjects) {
  const key = keyOf(s);
  if (data.done.includes(key)) continue;
  const skip = data.skip[key] ?? [];
  for (const name of propertyNames(s)) {
    // '*': every property (the subject hung; the rest would most likely hang too).
    if (skip.includes('*') || skip.includes(name) || (data.opts.only && !data.opts.only.includes(name))) continue;
    const [r] = checkAny(s, {
      ...data.opts,
      only: [name],
      onProperty: (name) => port.postMessage({ type: 'property', subject: key, property: name }),
    });
    const { counterexampleValue: _v, ...plain } = r;
    port.postMessage({ type: 'result', subject: key, kind: s.kind, result: plain });
  }
}
port.postMessage({ type: 'done' });
