import { workflow } from '../../src/index.js';
import type * as activities from './activities.js';

/** The setting the report's total is saved to. */
export const REPORT_TOTAL = 'report-total';

/** One part of the report, run as a child workflow: the `square` activity on `n`. */
export const reportPart = workflow('report-part', async (ctx, n: number): Promise<number> => {
  const { square } = ctx.activities<typeof activities>();
  return square(n);
});

/** What `report` answers: each part's figure, their total, and the version of the saved setting. */
export interface ReportSummary {
  figures: number[];
  total: number;
  version: number;
}

/**
 * Fans out one child workflow per part (the children run in parallel; the parent is
 * WAITING_CHILD meanwhile), adds up their figures, and saves the total to the setting
 * `report-total`. A child's failure fails the report.
 */
export const report = workflow('report', async (ctx, parts: number[]): Promise<ReportSummary> => {
  const figures = await Promise.all(parts.map((n) => ctx.child(reportPart, n)));
  const total = figures.reduce((sum, figure) => sum + figure, 0);
  const saved = await ctx.setting<number>(REPORT_TOTAL).save(total);
  return { figures, total, version: saved.version };
});

/** Reads the saved total back (undefined before any report ran). */
export const readReport = workflow(
  'read-report',
  async (ctx): Promise<number | undefined> => (await ctx.setting<number>(REPORT_TOTAL).get())?.value,
);
