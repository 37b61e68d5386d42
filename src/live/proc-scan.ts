import { readdirSync, readFileSync } from 'node:fs';

/** The environment variable every worker (and whatever it starts) carries, with its own value. */
export const MARKER_ENV = 'GPULAB_JOB_MARKER';

/**
 * Every host process whose environment carries `GPULAB_JOB_MARKER`, with the marker's value, in
 * /proc order (this process included if it carries one). Reads /proc; other users' processes are
 * only visible to root.
 */
export function markedProcesses(): { pid: number; marker: string }[] {
  const out: { pid: number; marker: string }[] = [];
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
    out.push({ pid: Number(e), marker: env.slice(i + MARKER_ENV.length + 1, end < 0 ? undefined : end) });
  }
  return out;
}

/**
 * Host pids whose environment carries `GPULAB_JOB_MARKER=<one of markers>`, ascending. Reads
 * /proc; other users' processes are only visible to root. Pure apart from reading /proc.
 */
export function pidsWithMarker(markers: ReadonlySet<string>): number[] {
  if (markers.size === 0) return [];
  return markedProcesses()
    .filter((p) => markers.has(p.marker))
    .map((p) => p.pid)
    .sort((a, b) => a - b);
}

/** Direct children of `pid` (from /proc/<pid>/task/<pid>/children), [] if unknown. */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
