/**
 * Cloudomation's cloud-vm example on weft: two executions of `cloud-vm` start together and
 * take turns with the VM lock. `npx tsx examples/cloud-vm/main.ts [useSeconds] [dataDir]`.
 */
import { Runtime } from '../../src/index.js';
import { cloudVm } from './workflows.js';

const [useSeconds = '2', dataDir = './weft-data'] = process.argv.slice(2);
const rt = await Runtime.open({
  dataDir,
  workflows: [cloudVm],
  activities: [new URL('./activities.ts', import.meta.url)],
});
const handles = await Promise.all([rt.start(cloudVm, Number(useSeconds)), rt.start(cloudVm, Number(useSeconds))]);
for (const [i, handle] of handles.entries()) {
  handle.subscribe(({ status }) => console.log(`execution ${i + 1} (${handle.id}): ${status}`));
  console.log(`execution ${i + 1} (${handle.id}): ${await handle.status()}`);
}
const outcomes = await Promise.allSettled(handles.map((h) => h.result()));
for (const [i, handle] of handles.entries()) {
  const outcome = outcomes[i];
  const info = await handle.info();
  if (outcome?.status === 'fulfilled') {
    const { vmId, lockToken, used } = outcome.value;
    const seconds = ((used.to - used.from) / 1000).toFixed(1);
    console.log(`execution ${i + 1}: ${info.status}, used ${vmId} for ${seconds} s under lock token ${lockToken}`);
  } else console.log(`execution ${i + 1}: ${info.status}, ${info.error?.code ?? 'error'}: ${info.error?.message}`);
}
await rt.close();
