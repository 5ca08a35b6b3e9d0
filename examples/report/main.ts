/**
 * A report on weft: `report` squares each part in a child workflow of its own and saves the
 * total to the setting `report-total`; `read-report` reads it back.
 * `npx tsx examples/report/main.ts [parts, comma-separated] [dataDir]`.
 */
import { Runtime } from '../../src/index.js';
import { readReport, report, reportPart } from './workflows.js';

const [parts = '1,2,3,4', dataDir = './weft-data'] = process.argv.slice(2);
const rt = await Runtime.open({
  dataDir,
  workflows: [report, reportPart, readReport],
  activities: [new URL('./activities.ts', import.meta.url)],
});
const handle = await rt.start(
  report,
  parts.split(',').map((p) => Number(p)),
);
handle.subscribe(({ status }) => console.log(`report ${handle.id}: ${status}`));
console.log(`report ${handle.id}: ${await handle.status()}`);
const { figures, total, version } = await handle.result();
console.log(`figures ${figures.join(', ')}: total ${total} (saved as version ${version} of report-total)`);
const read = await rt.start(readReport);
console.log(`read-report: ${await read.result()}`);
await rt.close();
