/**
 * An approval on weft: one `approval` execution waits for the `approve` signal, which this
 * script sends. `npx tsx examples/approval/main.ts [approver] [dataDir]`.
 */
import { Runtime, type WeftError } from '../../src/index.js';
import { approval } from './workflows.js';

const [approver = 'toni', dataDir = './weft-data'] = process.argv.slice(2);
const rt = await Runtime.open({ dataDir, workflows: [approval] });
const handle = await rt.start(approval, 60_000);
handle.subscribe(({ status }) => console.log(`execution ${handle.id}: ${status}`));
console.log(`execution ${handle.id}: ${await handle.status()}`);
// Resolves once the signal is durably in the execution's inbox.
await handle.signal('approve', { by: approver, comment: 'looks good' });
try {
  const { by, comment } = await handle.result();
  console.log(`approved by ${by}${comment === undefined ? '' : `: ${comment}`}`);
} catch (err) {
  console.log(`not approved: ${(err as WeftError).code}`);
}
await rt.close();
