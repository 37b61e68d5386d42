import { readdirSync, readFileSync } from 'node:fs';

/** The environment variable every worker (and whatever it starts) carries, with its own value. */
export const MARKER_ENV = 'GPULAB_JOB_MARKER';

/**
 * Host pids whose environment carries `GPULAB_JOB_MARKER=<one of markers>`. Reads /proc; other
 * users' processes are only visible to root. Pure apart from reading /proc.
 */
export function pidsWithMarker(markers: ReadonlySet<string>): number[] {
  if (markers.size === 0) return [];
  const out: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    let env: string;
    try {
      env = readFileSync(`/proc/${e}/environ`, 'latin1');
    } catch {
      continue;
    }
    const i = env.indexOf(`${MARKER_ENV}=`);
    if (i < 0) continue;
    const end = env.indexOf('\0', i);
    const value = env.slice(i + MARKER_ENV.length + 1, end < 0 ? undefined : end);
    if (markers.has(value)) out.push(Number(e));
  }
  return out.sort((a, b) => a - b);
}

/** Direct children of `pid` (from /proc/<pid>/task/<pid>/children), [] if unknown. */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
