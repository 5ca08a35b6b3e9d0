/**
 * simpleflow's quickstart on weft: `npx tsx examples/quickstart/main.ts [x] [t] [dataDir]`.
 */
import { Runtime } from '../../src/index.js';
import { basic } from './workflows.js';

const [x = '1', t = '1', dataDir = './weft-data'] = process.argv.slice(2);
const rt = await Runtime.open({
  dataDir,
  workflows: [basic],
  activities: [new URL('./activities.ts', import.meta.url)],
});
const handle = await rt.start(basic, Number(x), Number(t));
handle.subscribe(({ status }) => console.log(`execution ${handle.id}: ${status}`));
const result = await handle.result();
console.log(`(${x} + 1) * 2 = ${result}`);
await rt.close();
