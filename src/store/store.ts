/**
 * The storage interface. Everything LevelDB-specific stays behind it, so a shared database
 * can replace LevelDB later. Keys and values are strings; each record kind lives in its own
 * flat keyspace.
 */
export const RECORD_KINDS = [
  'meta',
  'settings',
  'setting-ids',
  'locks',
  'lock-waiters',
  'executions',
  'history',
  'signals',
  'logs',
  'queue-elements',
  'queue-index',
  'constants',
  'credentials',
  'triggers',
  'log-times',
  'ended',
  'dormant',
] as const;
/** Append only: the write-ahead log stores a kind as its index in this list. */
export type RecordKind = (typeof RECORD_KINDS)[number];

/**
 * The value of an entry whose key is all that matters (an index). Not '': classic-level
 * 3.0.0 never frees its copy of an empty value, so every empty put leaked 32 bytes of native
 * memory (the soak's RSS growth, one per finished execution).
 */
export const MARK = '1';

export type WriteOp =
  | { readonly type: 'put'; readonly kind: RecordKind; readonly key: string; readonly value: string }
  | { readonly type: 'del'; readonly kind: RecordKind; readonly key: string };

export interface RangeOptions {
  gt?: string;
  gte?: string;
  lt?: string;
  lte?: string;
  limit?: number;
  reverse?: boolean;
}

export interface Store {
  /** Where the data lives, for messages ("/srv/weft-data", "memory"). */
  readonly location: string;
  /** Whether the journal keeps a write-ahead log beside this store (on-disk stores do). */
  readonly walPath: string | undefined;
  get(kind: RecordKind, key: string): Promise<string | undefined>;
  /** Entries of one kind in key order, read from a snapshot taken when the call is made. */
  range(kind: RecordKind, options?: RangeOptions): Promise<Array<[string, string]>>;
  /** Applies every op or none. `sync` waits for the data to reach the disk. */
  write(ops: readonly WriteOp[], options: { sync: boolean }): Promise<void>;
  close(): Promise<void>;
}
