import { historyRange, type HistoryEvent, type SignalRecord } from '../../actors/execution/history.js';
import type { RecordKind, Store } from '../store/store.js';

/** What an execution resumes from: its history and its inbox. */
export interface StoredExecution {
  history: Array<{ seq: number; event: HistoryEvent }>;
  inbox: SignalRecord[];
}

/** Two range reads of one execution cost about as much as scanning this many entries (measured). */
const ENTRIES_PER_READ_PAIR = 40;
/** Entries per range call of a scan, so a scan holds few entries it skips. */
const SCAN_PAGE = 2_000;
/** Fewer ids than this are read one by one. */
const SCAN_FROM = 32;

/**
 * The history and signals of each of `ids`. Keys are `<id>\0<seq>`, so one execution's entries
 * are adjacent. Many ids (a restart with 100,000 waiting, a burst of signals waking dormant
 * executions) are read by scanning each kind in key order from the first id, for as long as
 * the scan passes ids at least as fast as reading them one by one would; what is left when it
 * stops paying (ids far apart among finished executions) is read one by one, side by side.
 */
export async function readStored(store: Store, ids: Iterable<string>): Promise<Map<string, StoredExecution>> {
  const stored = new Map<string, StoredExecution>();
  for (const id of ids) stored.set(id, { history: [], inbox: [] });
  const add = (kind: 'history' | 'signals', key: string, json: string): void => {
    const cut = key.lastIndexOf('\u0000');
    const entry = stored.get(key.slice(0, cut));
    if (!entry) return; // an execution not asked for
    if (kind === 'history')
      entry.history.push({ seq: Number(key.slice(cut + 1)), event: JSON.parse(json) as HistoryEvent });
    else entry.inbox.push(JSON.parse(json) as SignalRecord);
  };
  const sorted = [...stored.keys()].sort();
  let rest = sorted;
  if (sorted.length >= SCAN_FROM) {
    // History first: it has the most entries, so it decides how far a scan pays.
    const covered = await scan(store, 'history', sorted, add, true);
    await scan(store, 'signals', sorted.slice(0, covered), add, false);
    rest = sorted.slice(covered);
  }
  await Promise.all(
    rest.map(async (id) => {
      stored.set(id, { history: [], inbox: [] }); // the scan may have read some of it
      const [history, signals] = await Promise.all([
        store.range('history', historyRange(id)),
        store.range('signals', historyRange(id)),
      ]);
      for (const [key, json] of history) add('history', key, json);
      for (const [key, json] of signals) add('signals', key, json);
    }),
  );
  return stored;
}

/**
 * Scans `kind` from the first of `sorted` to the last, handing each entry to `add`; with
 * `budgeted`, stops once the scan has read more entries than reading the ids it passed one by
 * one would have cost. Answers how many of `sorted` (a prefix) it covered whole.
 */
async function scan(
  store: Store,
  kind: RecordKind,
  sorted: readonly string[],
  add: (kind: 'history' | 'signals', key: string, json: string) => void,
  budgeted: boolean,
): Promise<number> {
  if (sorted.length === 0) return 0;
  const lt = (sorted.at(-1) as string) + '\u0001';
  let after: string | undefined;
  let scanned = 0;
  let passed = 0; // ids of `sorted` whose entries all lie before the scan's position
  for (;;) {
    const page = await store.range(kind, {
      ...(after === undefined ? { gte: (sorted[0] as string) + '\u0000' } : { gt: after }),
      lt,
      limit: SCAN_PAGE,
    });
    for (const [key, json] of page) add(kind as 'history' | 'signals', key, json);
    scanned += page.length;
    if (page.length < SCAN_PAGE) return sorted.length;
    after = (page.at(-1) as [string, string])[0];
    const position = after.slice(0, after.lastIndexOf('\u0000'));
    while (passed < sorted.length && (sorted[passed] as string) < position) passed++;
    if (budgeted && scanned > (passed + 1) * ENTRIES_PER_READ_PAIR) return passed;
  }
}
