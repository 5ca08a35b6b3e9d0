/**
 * Every example, for the daemon: `weft daemon --config examples/weft.config.ts` (what `npm start` runs).
 * Module paths resolve against this folder.
 *
 * Try:  weft start basic --input '[1, 1]' --wait
 *       weft start approval --input '[600000]'   then   weft signal <id> approve '{"by": "me"}'
 */
export default {
  workflows: [
    './quickstart/workflows.ts',
    './cloud-vm/workflows.ts',
    './report/workflows.ts',
    './approval/workflows.ts',
    './invoices/workflows.ts',
  ],
  activities: [
    './quickstart/activities.ts',
    './cloud-vm/activities.ts',
    './report/activities.ts',
    './invoices/activities.ts',
  ],
};
