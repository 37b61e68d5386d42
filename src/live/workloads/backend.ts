import type { BackendName } from '../work-spec.ts';

/** TensorFlow.js core, loaded lazily (workers of the plain kind never load it). */
export type Tf = typeof import('@tensorflow/tfjs-core');

export interface ChosenBackend {
  readonly tf: Tf;
  readonly backend: BackendName;
  /** What the backend runs on, as it reports itself (adapter name, `cpu`, `wasm-simd`…). */
  readonly device: string;
  /** Why each better backend was passed over. */
  readonly skipped: readonly string[];
}

// Specifiers in variables: optional packages that may be absent must not be resolved at build time.
const TFJS_NODE_GPU = '@tensorflow/tfjs-node-gpu';
const TFJS_NODE = '@tensorflow/tfjs-node';

async function tryBackend(name: BackendName): Promise<{ tf: Tf; device: string }> {
  switch (name) {
    case 'tfjs-node-gpu':
    case 'tfjs-node': {
      // Each of these bundles its own tfjs-core and registers the `tensorflow` backend there.
      const m = (await import(name === 'tfjs-node-gpu' ? TFJS_NODE_GPU : TFJS_NODE)) as unknown as Tf;
      if (!(await m.setBackend('tensorflow'))) throw new Error('backend tensorflow did not initialise');
      return { tf: m, device: name === 'tfjs-node-gpu' ? `cuda:${process.env.CUDA_VISIBLE_DEVICES ?? 'all'}` : 'cpu (libtensorflow)' };
    }
    case 'webgpu': {
      const tf = await import('@tensorflow/tfjs-core');
      const { create, globals } = (await import('webgpu')) as unknown as { create(o: string[]): unknown; globals: Record<string, unknown> };
      Object.assign(globalThis, globals);
      const gpu = create([]) as { requestAdapter(): Promise<{ info?: { description?: string; device?: string; vendor?: string } } | null> };
      Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
      const adapter = await gpu.requestAdapter();
      if (!adapter) throw new Error('no WebGPU adapter');
      // The backend registers itself on import, and only if navigator.gpu is already set.
      await import('@tensorflow/tfjs-backend-webgpu');
      if (!(await tf.setBackend('webgpu'))) throw new Error('backend webgpu did not initialise');
      const info = adapter.info ?? {};
      return { tf, device: info.description || info.device || info.vendor || 'webgpu adapter' };
    }
    case 'wasm': {
      const tf = await import('@tensorflow/tfjs-core');
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      const dir = process.env.GPULAB_TFJS_WASM_DIR;
      if (dir) wasm.setWasmPaths(dir.endsWith('/') ? dir : dir + '/');
      if (!(await tf.setBackend('wasm'))) throw new Error('backend wasm did not initialise');
      return { tf, device: 'wasm (cpu)' };
    }
    case 'cpu': {
      const tf = await import('@tensorflow/tfjs-core');
      await import('@tensorflow/tfjs-backend-cpu');
      if (!(await tf.setBackend('cpu'))) throw new Error('backend cpu did not initialise');
      return { tf, device: 'cpu (js)' };
    }
  }
}

/** Initialises the first backend of `order` that works here. Throws if none does. */
export async function chooseBackend(order: readonly BackendName[]): Promise<ChosenBackend> {
  const skipped: string[] = [];
  for (const name of order) {
    try {
      const { tf, device } = await tryBackend(name);
      await tf.ready();
      return { tf, backend: name, device, skipped };
    } catch (e) {
      skipped.push(`${name}: ${((e as Error).message ?? String(e)).split('\n')[0]}`);
    }
  }
  throw new Error(`no tensor backend available (${skipped.join('; ')})`);
}
