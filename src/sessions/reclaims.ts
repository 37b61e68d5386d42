import type { SessionWorker } from './session-worker.ts';

/** Workers being destroyed in the background: a pool hands them here and waits for all at close. */
export class Reclaims {
  private readonly pending = new Set<Promise<unknown>>();

  /** Destroys `w`; the promise is tracked until it settles. */
  destroy(w: SessionWorker): Promise<unknown> {
    const p = w.destroy();
    this.pending.add(p);
    void p.then(() => this.pending.delete(p));
    return p;
  }

  /** Resolves when every destroy started so far has finished. */
  all(): Promise<unknown[]> {
    return Promise.all([...this.pending]);
  }
}
