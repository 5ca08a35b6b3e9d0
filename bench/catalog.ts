/**
 * The workloads' names and one-line descriptions, in the order they run, and the groups:
 * no imports, so that `weft --help` and `weft bench --help` load nothing else.
 */
export const CATALOG = [
  {
    name: 'limits',
    description: 'the floors: a no-op Piscina task, a raw LevelDB batch put (per mode), a superjson round trip',
  },
  { name: 'w1-one-step', description: 'N one-activity workflows submitted at once (and one at a time, for latency)' },
  { name: 'w2-sequential', description: 'N workflows of 10 sequential activities submitted at once' },
  { name: 'w3-fanout', description: 'one workflow fanning out N no-op activities and waiting for all' },
  { name: 'w4-cpu', description: 'CPU-bound activities on 1..--threads threads, beside raw Piscina' },
  {
    name: 'w5-locks',
    description: 'lock hand-offs between K contenders on one lock (K = 2, 10, 100); uncontended pairs',
  },
  { name: 'w6-settings', description: 'setting writes (100 writers) and reads (100 readers)' },
  { name: 'w7-queues', description: 'queues: bulk create of N elements, then claim-and-complete with 8 consumers' },
  {
    name: 'w8-resume',
    description: 'N executions waiting on a signal: memory per execution; all resumed after a restart',
  },
  { name: 'soak', description: 'a mixed load for --duration seconds: throughput over time and a flat-memory verdict' },
] as const;

export type WorkloadName = (typeof CATALOG)[number]['name'];

export const WORKLOAD_NAMES: readonly WorkloadName[] = CATALOG.map((w) => w.name);

/** Names that stand for several workloads. */
export const GROUPS: Readonly<Record<string, readonly WorkloadName[]>> = {
  all: WORKLOAD_NAMES.filter((n) => n !== 'soak'),
  workflows: ['w1-one-step', 'w2-sequential', 'w3-fanout', 'w4-cpu'],
  registry: ['w5-locks', 'w6-settings'],
  queues: ['w7-queues'],
};

/** With no names: every workload but soak (which runs for --duration). */
export const DEFAULT_WORKLOADS: readonly WorkloadName[] = GROUPS.all as readonly WorkloadName[];

export function describe(name: WorkloadName): string {
  return CATALOG.find((w) => w.name === name)!.description;
}
