/**
 * A tour of weft's registry: settings read and written whole, compare-and-set, and a lock
 * that two concurrent deployments contend for, with fencing tokens guarding the writes.
 *
 *   npx tsx examples/registry-tour/main.ts [dataDir]     (npm start runs it on ./weft-data)
 */
import { Runtime, type Runtime as RuntimeType } from '../../src/index.js';

const dataDir = process.argv[2] ?? './weft-data';
const rt = await Runtime.open({ dataDir });
console.log(`weft data folder: ${rt.dataDir}`);

// Settings: create once, then update with compare-and-set.
const emails =
  (await rt.settings.get<string[]>('notification_emails')) ??
  (await rt.settings.create('notification_emails', ['toni@example.com']));
const updated = await rt.settings.update('notification_emails', [...new Set([...emails.value, 'cory@example.com'])], {
  expectedVersion: emails.version,
  updatedBy: 'registry-tour',
});
console.log(`setting ${updated.name} is at version ${updated.version}: ${JSON.stringify(updated.value)}`);

// Locks: two deployments want the same VM slot; the second waits (FIFO) until the first releases.
async function deploy(rt: RuntimeType, who: string): Promise<void> {
  const lock = await rt.locks.acquire('cloud-vm-lock', { holder: who, timeoutMs: 10_000, ttlMs: 30_000 });
  console.log(`${who} holds cloud-vm-lock with fencing token ${lock.token}`);
  const current = await rt.settings.get<number>('cloud-vm-lock');
  // The write is fenced: it succeeds only while this token still holds the lock.
  if (current)
    await rt.settings.update('cloud-vm-lock', current.value + 1, { ifLockToken: lock.token, updatedBy: who });
  else await rt.settings.create('cloud-vm-lock', 1, { updatedBy: who });
  await rt.locks.release(lock.name, lock.token);
  console.log(`${who} released cloud-vm-lock`);
}
await Promise.all([deploy(rt, 'deploy-a'), deploy(rt, 'deploy-b')]);

const count = await rt.settings.get<number>('cloud-vm-lock');
console.log(`cloud-vm-lock has been used ${count?.value} times in this data folder`);
const page = await rt.settings.list({ limit: 10 });
console.log(`settings: ${page.items.map((s) => `${s.name}@v${s.version}`).join(', ')}`);
await rt.close();
