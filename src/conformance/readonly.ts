/**
 * Read-only views for policies under test. `Object.freeze` only makes writes throw in strict-mode
 * code: a policy file loaded as CommonJS outside an ESM package runs in sloppy mode, where a write
 * to a frozen object is silently ignored (and a policy that mutates and undoes, or caches a score
 * on a node, passes). A Proxy whose traps *throw* fails the write in any module mode.
 *
 * `readOnly(x)` wraps an object so that every object reached through it is wrapped too (lazily,
 * one proxy per target, so identities stay stable across calls: `view.queue[0] === view.queue[0]`).
 * Reads go to the live target (getters run on the target, not the proxy). Every write attempt —
 * set, define, delete, freeze, setPrototypeOf, an in-place `sort` — throws `ViewWriteError` and
 * is also recorded in `viewWrites`, so a policy that swallows the exception is still caught.
 */

export class ViewWriteError extends TypeError {
  override name = 'ViewWriteError';
}

/** Every write attempt since the last `takeViewWrites()` (the first few, as messages). */
const writes: string[] = [];
let writeCount = 0;

export function takeViewWrites(): { count: number; first: readonly string[] } {
  const out = { count: writeCount, first: writes.splice(0) };
  writeCount = 0;
  return out;
}

const proxies = new WeakMap<object, object>();
const labels = new WeakMap<object, string>();

/** A short name for what was written to: `job j3`, `node n0`, `GPU 1 of …`, or the path. */
function nameOf(target: object, path: string): string {
  const o = target as Record<string, unknown>;
  if (Array.isArray(target)) return `the array ${path}`;
  if (typeof o.id === 'string' && typeof o.tenant === 'string') return `job ${o.id}`;
  if (typeof o.id === 'string' && Array.isArray(o.gpus)) return `node ${o.id}`;
  if (typeof o.name === 'string' && typeof o.weight === 'number') return `tenant ${o.name}`;
  return path;
}

function refuse(target: object, what: string): never {
  const msg = `the policy wrote to its read-only view: ${what} on ${nameOf(target, labels.get(target) ?? 'the view')} (policies must not mutate what they are given; copy first)`;
  writeCount++;
  if (writes.length < 5) writes.push(msg);
  throw new ViewWriteError(msg);
}

const HANDLER: ProxyHandler<object> = {
  get(target, key) {
    const v = (target as Record<PropertyKey, unknown>)[key];
    if (v === null || typeof v !== 'object') return v;
    return proxies.get(v) ?? wrap(v, `${labels.get(target) ?? 'view'}.${String(key)}`);
  },
  set(target, key) {
    return refuse(target, `set ${Array.isArray(target) && /^\d+$/.test(String(key)) ? `element [${String(key)}]` : `'${String(key)}'`}`);
  },
  defineProperty(target, key) {
    return refuse(target, `defined '${String(key)}'`);
  },
  deleteProperty(target, key) {
    return refuse(target, `deleted '${String(key)}'`);
  },
  preventExtensions(target) {
    return refuse(target, 'froze or sealed it');
  },
  setPrototypeOf(target) {
    return refuse(target, 'changed its prototype');
  },
  getOwnPropertyDescriptor(target, key) {
    const d = Reflect.getOwnPropertyDescriptor(target, key);
    // Invariant: a non-configurable property must be reported as it is; others are shown read-only.
    if (d && d.configurable && 'value' in d) return { ...d, writable: false, value: d.value !== null && typeof d.value === 'object' ? wrap(d.value, `${labels.get(target) ?? 'view'}.${String(key)}`) : d.value };
    return d;
  },
};

function wrap<T extends object>(x: T, path: string): T {
  // A frozen target cannot be proxied with wrapped reads (proxy invariants); it is read-only anyway.
  if (Object.isFrozen(x)) return x;
  let p = proxies.get(x);
  if (!p) {
    p = new Proxy(x, HANDLER);
    proxies.set(x, p);
    labels.set(x, path);
  }
  return p as T;
}

/** The read-only proxy of `x` (itself if a primitive); `path` names it in messages. */
export function readOnly<T>(x: T, path = 'view'): T {
  return x !== null && typeof x === 'object' ? (wrap(x as object, path) as T) : x;
}
