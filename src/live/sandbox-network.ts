import { spawn } from 'node:child_process';
import type { z } from 'zod';
import { childPids } from './proc-scan.ts';
import { ADMIN_PATH, type SandboxLayers } from './sandbox.ts';
import type { NetworkSchema } from './work-spec.ts';

/**
 * Per-job network policy. Every worker starts in its own network namespace with the loopback down
 * (`none`: no interface up, so not even 127.0.0.1 can be bound). A job with `network: loopback`
 * gets the loopback of its own namespace brought up by the executor (root, from the host:
 * `nsenter --net` into the worker's namespace, `ip link set lo up`) before it is told to run:
 * it can then talk to itself on 127.0.0.1, but the host's listeners on 127.0.0.1 are in another
 * namespace and unreachable. A warm worker waits with its loopback down and runs one job only, so
 * the choice is per job.
 */
export type NetworkPolicy = z.infer<typeof NetworkSchema>;

/**
 * Applies `policy` to the namespace of the worker whose outermost process is `workerPid` (its
 * `unshare`; the namespace's pid 1 is that process's child). Resolves to undefined when applied,
 * or to why not (the job must then fail: a job asking for loopback does not run without it).
 * `none` needs nothing. Call once the worker is ready (its process chain is in place).
 */
export function applyNetworkPolicy(l: SandboxLayers, workerPid: number | undefined, policy: NetworkPolicy): Promise<string | undefined> {
  if (policy === 'none') return Promise.resolve(undefined);
  if (!l.netns) return Promise.resolve(undefined); // no namespace at all: the host's network, reported as a missing layer
  if (!l.loopback) return Promise.resolve('network: loopback needs nsenter and ip (see the sandbox layers)');
  const target = workerPid === undefined ? undefined : childPids(workerPid)[0];
  if (target === undefined) return Promise.resolve('network: loopback: the worker has no namespace process');
  return new Promise((resolve) => {
    const p = spawn('nsenter', [`--target=${target}`, '--net', '--', 'ip', 'link', 'set', 'lo', 'up'], { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: ADMIN_PATH } });
    let err = '';
    p.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    p.on('error', (e) => resolve(`network: loopback: ${e.message}`));
    p.on('close', (code) => resolve(code === 0 ? undefined : `network: loopback: ${err.trim() || `nsenter exited with ${code}`}`));
  });
}
