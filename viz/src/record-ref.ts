import type { checkLogValue } from '../../src/log/records.ts';

/** One line of the log as the inspector shows it, folded or not. Times are integer ms. */
export interface RecordRef {
  t: number;
  ev: string;
  line: string;
  /** A record of a known type that passed the schema. */
  known: boolean;
  /** Why the record was not folded ('' when it was): the schema's complaint, an unknown type … */
  note: string;
}

/** Index of the first record with t >= time (records.length if none). Records are in time order. */
export function recordAt(records: readonly { t: number }[], time: number): number {
  let lo = 0;
  let hi = records.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (records[mid].t < time) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A value the log's schema did not accept (`parsed`: it was a JSON object at all): the event name
 * and note the inspector shows, and the problem counted on screen.
 */
export function setAside(o: Exclude<ReturnType<typeof checkLogValue>, { kind: 'record' }>, parsed: boolean): { ev: string; note: string; problem: string } {
  switch (o.kind) {
    case 'not-record':
      return {
        ev: parsed ? '(no ev)' : '(unparsed)',
        note: parsed ? "no string 'ev'" : 'not a JSON record',
        problem: parsed ? "records without a string 'ev' (inspector only)" : 'lines that are not JSON records',
      };
    case 'unknown-ev':
      return { ev: o.ev, note: 'unknown type', problem: `records of unknown type '${o.ev}' (inspector only)` };
    case 'invalid':
      return { ev: o.ev, note: `invalid ${o.field}: ${o.message}`, problem: `'${o.ev}' records with an invalid field (inspector only)` };
  }
}
