import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { activityContext } from '../../src/index.js';

/** Cloudomation's cloud-vm activities: they run in worker threads. */

/** "Creates" a VM; answers its id. */
export function createVm(): string {
  return `vm-${randomUUID().slice(0, 8)}`;
}

/** Uses the VM for `useSeconds` seconds (fractions allowed), abortably; answers when the use began and ended. */
export async function useVm(vmId: string, useSeconds: number): Promise<{ vmId: string; from: number; to: number }> {
  const { signal } = activityContext();
  const from = Date.now();
  await sleep(Math.max(0, useSeconds * 1000), undefined, { signal });
  return { vmId, from, to: Date.now() };
}

/** "Removes" the VM. */
export function removeVm(vmId: string): string {
  return vmId;
}
