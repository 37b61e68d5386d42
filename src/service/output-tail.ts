import { StringDecoder } from 'node:string_decoder';

/** A piece of a running job's output, decoded (a multi-byte character split across chunks is kept whole). */
export interface OutputPiece {
  readonly stream: 'stdout' | 'stderr';
  readonly text: string;
}

/** Where a follower's pieces go, and how it learns that the job ended. */
export interface OutputFollower {
  readonly piece: (p: OutputPiece) => void;
  readonly end: () => void;
}

/**
 * The live tails of running jobs' output: each chunk the executor reads is decoded once and handed
 * to the job's followers. Bounded: at most `maxFollowers` at a time over all jobs; a follower that
 * cannot keep up is the caller's to drop (the HTTP edge bounds its buffer). No follower, no work.
 */
export class OutputTail {
  private readonly followers = new Map<string, Set<OutputFollower>>();
  private readonly decoders = new Map<string, { stdout: StringDecoder; stderr: StringDecoder }>();
  private count = 0;

  constructor(private readonly maxFollowers: number) {}

  /** Adds a follower of job `id`; undefined when `maxFollowers` follow already. Returns its removal. */
  follow(id: string, f: OutputFollower): (() => void) | undefined {
    if (this.count >= this.maxFollowers) return undefined;
    let set = this.followers.get(id);
    if (!set) this.followers.set(id, (set = new Set()));
    set.add(f);
    this.count++;
    return () => this.remove(id, f);
  }

  /** A chunk of job `id`'s output (the executor's `onChunk`). */
  chunk(id: string, stream: 'stdout' | 'stderr', chunk: Buffer): void {
    const set = this.followers.get(id);
    if (!set) return;
    let d = this.decoders.get(id);
    if (!d) this.decoders.set(id, (d = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') }));
    const text = d[stream].write(chunk);
    if (text === '') return;
    for (const f of [...set]) f.piece({ stream, text });
  }

  /** Job `id` ended (its finish is committed): every follower is told and removed. */
  ended(id: string): void {
    const set = this.followers.get(id);
    this.decoders.delete(id);
    if (!set) return;
    for (const f of [...set]) {
      this.remove(id, f);
      f.end();
    }
  }

  /** The service stops: every follower is told. */
  endAll(): void {
    for (const id of [...this.followers.keys()]) this.ended(id);
  }

  private remove(id: string, f: OutputFollower): void {
    const set = this.followers.get(id);
    if (!set?.delete(f)) return;
    this.count--;
    if (set.size === 0) {
      this.followers.delete(id);
      this.decoders.delete(id);
    }
  }
}
