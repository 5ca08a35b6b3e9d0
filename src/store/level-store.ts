import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { Level } from 'level';
import { StoreFailedError, StoreLockedError } from '../errors.js';
import { SublevelStore } from './sublevel-store.js';

const HOLDER_FILE = 'holder.json';

/**
 * Opens (creating if needed) a data folder: LevelDB in `<dataDir>/db`, the journal's log in
 * `<dataDir>/journal.log`. Fails with STORE_LOCKED, naming the holder, when another process
 * (or another runtime in this one) has the folder open.
 */
export async function openLevelStore(dataDir: string): Promise<SublevelStore> {
  const dir = resolve(dataDir);
  await mkdir(dir, { recursive: true });
  const db = new Level<string, string>(join(dir, 'db'), { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  try {
    await db.open();
  } catch (cause) {
    if ((cause as { cause?: { code?: string } }).cause?.code === 'LEVEL_LOCKED')
      throw new StoreLockedError(dir, await readHolder(dir), { cause });
    throw new StoreFailedError(`open of ${dir}`, { cause });
  }
  const holder = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  await writeFile(join(dir, HOLDER_FILE), JSON.stringify(holder)).catch(() => undefined);
  return new SublevelStore(dir, join(dir, 'journal.log'), db);
}

async function readHolder(dir: string): Promise<string | undefined> {
  try {
    const h = JSON.parse(await readFile(join(dir, HOLDER_FILE), 'utf8')) as {
      pid?: number;
      host?: string;
      since?: string;
    };
    return `process ${h.pid} on ${h.host} (since ${h.since})`;
  } catch {
    return undefined;
  }
}
