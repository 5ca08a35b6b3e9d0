import { workflow } from '../../src/index.js';
import type * as activities from './activities.js';

/** What one run of cloud-vm did. */
export interface CloudVmSummary {
  vmId: string;
  /** The fencing token of the lock it held. */
  lockToken: number;
  /** When the VM's use began and ended (ms since the epoch, from the activity). */
  used: { from: number; to: number };
}

/**
 * Cloudomation's cloud-vm flow: only one execution at a time may own the cloud VM, so each
 * takes the `cloud-vm-lock` (waiting up to `lockTimeoutMs`; status WAITING_LOCK meanwhile),
 * creates a VM, uses it for `useSeconds`, removes it, and lets the lock go, also when a step
 * fails. A wait past `lockTimeoutMs` fails the execution with LOCK_TIMEOUT.
 */
export const cloudVm = workflow(
  'cloud-vm',
  async (ctx, useSeconds: number = 30, lockTimeoutMs: number = 60_000): Promise<CloudVmSummary> => {
    const { createVm, useVm, removeVm } = ctx.activities<typeof activities>();
    const lock = ctx.setting('cloud-vm-lock');
    const grant = await lock.acquire({ timeoutMs: lockTimeoutMs });
    try {
      const vmId = await createVm();
      const used = await useVm(vmId, useSeconds);
      await removeVm(vmId);
      return { vmId, lockToken: grant.token, used: { from: used.from, to: used.to } };
    } finally {
      await lock.release();
    }
  },
);
