/** Every workload, in the catalog's order (bench/catalog.ts names and describes them). */
import type { Workload } from '../workload.js';
import { limits } from './limits.js';
import { soak } from './soak.js';
import { w1OneStep } from './w1-one-step.js';
import { w2Sequential } from './w2-sequential.js';
import { w3Fanout } from './w3-fanout.js';
import { w4Cpu } from './w4-cpu.js';
import { w5Locks } from './w5-locks.js';
import { w6Settings } from './w6-settings.js';
import { w7Queues } from './w7-queues.js';
import { w8Resume } from './w8-resume.js';

export const WORKLOADS: readonly Workload[] = [
  limits,
  w1OneStep,
  w2Sequential,
  w3Fanout,
  w4Cpu,
  w5Locks,
  w6Settings,
  w7Queues,
  w8Resume,
  soak,
] as Workload[];

export function workload(name: string): Workload {
  const w = WORKLOADS.find((x) => x.name === name);
  if (!w) throw new Error(`no workload ${name}`);
  return w;
}
