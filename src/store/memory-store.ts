import { MemoryLevel } from 'memory-level';
import { SublevelStore } from './sublevel-store.js';

/** An in-memory store with the LevelDB store's semantics; the contract tests run on both. */
export async function openMemoryStore(): Promise<SublevelStore> {
  const db = new MemoryLevel<string, string>({ keyEncoding: 'utf8', valueEncoding: 'utf8' });
  await db.open();
  return new SublevelStore('memory', undefined, db);
}
