import type { RangeOptions, WriteOp } from '../../src/store/store.js';
import type { QueueElementRecord, QueueStatus } from './messages.js';

/**
 * The keys of the queue indexes ('queue-index' kind). Queue names, references and statuses
 * hold no control characters, so `\0` separates the parts; seq is zero-padded, so key order
 * is creation order and a reverse range reads newest first.
 *
 * - `a␀queue␀seq` every element of a queue
 * - `s␀queue␀status␀seq` by status
 * - `r␀queue␀reference␀seq` by reference
 * - `q␀queue␀reference␀status␀seq` by reference and status
 * - `c␀queue` the queue's counts by status (JSON)
 * - `d␀id` the request that deleted an element (so that request re-sent answers the same)
 */
const SEP = '\u0000';

/** Where the store-wide creation counter lives ('meta' kind). */
export const SEQ_KEY = 'queue-seq';

export const COUNTS_RANGE: RangeOptions = { gte: `c${SEP}`, lt: `c\u0001` };

export function countsKey(queue: string): string {
  return `c${SEP}${queue}`;
}

export function queueOfCountsKey(key: string): string {
  return key.slice(2);
}

export function deletedKey(id: string): string {
  return `d${SEP}${id}`;
}

function pad(seq: number): string {
  return String(seq).padStart(16, '0');
}

/** The prefix of the index that answers a list with these filters. */
export function listPrefix(queue: string, reference?: string, status?: QueueStatus): string {
  if (reference === undefined)
    return status === undefined ? `a${SEP}${queue}${SEP}` : `s${SEP}${queue}${SEP}${status}${SEP}`;
  return status === undefined
    ? `r${SEP}${queue}${SEP}${reference}${SEP}`
    : `q${SEP}${queue}${SEP}${reference}${SEP}${status}${SEP}`;
}

/** Every index entry under `prefix` (only digits follow it, and ':' sorts right after '9'). */
export function prefixRange(prefix: string): RangeOptions {
  return { gte: prefix, lt: prefix + ':' };
}

/** The index entries of an element that do not depend on its status. */
function fixedKeys(r: QueueElementRecord): string[] {
  const seq = pad(r.seq);
  const keys = [listPrefix(r.queue) + seq];
  if (r.reference !== undefined) keys.push(listPrefix(r.queue, r.reference) + seq);
  return keys;
}

/** The index entries that name the element's status. */
function statusKeys(r: QueueElementRecord): string[] {
  const seq = pad(r.seq);
  const keys = [listPrefix(r.queue, undefined, r.status) + seq];
  if (r.reference !== undefined) keys.push(listPrefix(r.queue, r.reference, r.status) + seq);
  return keys;
}

function puts(keys: string[], id: string): WriteOp[] {
  return keys.map((key) => ({ type: 'put', kind: 'queue-index', key, value: id }));
}

function dels(keys: string[]): WriteOp[] {
  return keys.map((key) => ({ type: 'del', kind: 'queue-index', key }));
}

/** The ops that store `next` (and its index entries) in place of `previous`. */
export function elementOps(next: QueueElementRecord, previous?: QueueElementRecord): WriteOp[] {
  const ops: WriteOp[] = [{ type: 'put', kind: 'queue-elements', key: next.id, value: JSON.stringify(next) }];
  if (!previous) ops.push(...puts([...fixedKeys(next), ...statusKeys(next)], next.id));
  else if (previous.status !== next.status) ops.push(...dels(statusKeys(previous)), ...puts(statusKeys(next), next.id));
  return ops;
}

/** The ops that remove an element and its index entries. */
export function deleteOps(r: QueueElementRecord): WriteOp[] {
  return [{ type: 'del', kind: 'queue-elements', key: r.id }, ...dels([...fixedKeys(r), ...statusKeys(r)])];
}
