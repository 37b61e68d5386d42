import { migModel, migProfile, type MigProfile } from './mig-profiles.ts';

/**
 * MIG layouts: which instances a GPU holds and whether a new one can go at a given start slot.
 * Pure functions over plain data; the cluster keeps the state and calls these to check it.
 */

export interface MigInstance {
  readonly profile: string;
  readonly start: number;
  /** Slots it occupies, copied from the profile. */
  readonly size: number;
  /** The job using it, or undefined for an idle (configured but free) instance. */
  readonly job: string | undefined;
}

/** Bit mask of the slots an instance occupies. */
export function slotMask(start: number, size: number): number {
  return ((1 << size) - 1) << start;
}

/** Slots held by instances in use (idle instances can be destroyed, so they do not count). */
export function busyMask(instances: readonly MigInstance[]): number {
  let m = 0;
  for (const i of instances) if (i.job !== undefined) m |= slotMask(i.start, i.size);
  return m;
}

/**
 * Whether `instances` is a layout NVIDIA allows on `model`: every profile exists on the model,
 * every start is one of its documented starts, and no two instances share a memory slice.
 */
export function validLayout(model: string, instances: readonly { profile: string; start: number }[]): boolean {
  if (!migModel(model)) return false;
  let used = 0;
  for (const i of instances) {
    const prof = migProfile(model, i.profile);
    if (!prof || !prof.starts.includes(i.start)) return false;
    const m = slotMask(i.start, prof.size);
    if (used & m) return false;
    used |= m;
  }
  return true;
}

/** Start slots where `prof` fits given the slots in `busy` (bit mask). */
export function freeStarts(prof: MigProfile, busy: number): number[] {
  return prof.starts.filter((s) => (busy & slotMask(s, prof.size)) === 0);
}

/** How many instances of `prof` can still be created in the free slots (greedy by start: exact for these tables). */
export function capacityFor(prof: MigProfile, busy: number): number {
  let n = 0;
  let m = busy;
  for (const s of prof.starts) {
    const k = slotMask(s, prof.size);
    if ((m & k) === 0) {
      n++;
      m |= k;
    }
  }
  return n;
}

function popcount(x: number): number {
  let n = 0;
  for (let v = x; v; v &= v - 1) n++;
  return n;
}

/**
 * MIG fragmentation of one GPU for a typical request `prof`: free slots that no further instance
 * of `prof` could use. E.g. 3g.40gb on a GPU whose slots 2 and 5 are busy: free = 6 slots, but
 * both 3g starts (0 and 4) overlap a busy slot, so all 6 are fragmented.
 */
export function fragmentedSlots(prof: MigProfile, busy: number, slots = 8): number {
  const free = slots - popcount(busy & ((1 << slots) - 1));
  return free - capacityFor(prof, busy) * prof.size;
}
