/**
 * The report example (examples/report): `report` runs one child per part (the parent is
 * WAITING_CHILD while they run), its total is the sum of the squares and is saved to the
 * setting `report-total`, which `read-report` reads back.
 */
import { afterEach, expect, it } from 'vitest';
import { readReport, report, reportPart, REPORT_TOTAL } from '../../examples/report/workflows.js';
import type { ExecutionStatus, Runtime } from '../../src/index.js';
import { cleanup, open } from '../fixtures/harness.js';

afterEach(cleanup);

const openReport = (): Promise<Runtime> =>
  open({
    workflows: [report, reportPart, readReport],
    activities: [new URL('../../examples/report/activities.ts', import.meta.url)],
  });

it('adds up one child per part, saves the total, and read-report reads it back', async () => {
  const rt = await openReport();
  const parts = [1, 2, 3, 4, 5];
  const handle = await rt.start(report, parts);
  const seen: ExecutionStatus[] = [];
  handle.subscribe(({ status }) => seen.push(status));
  // The status now, then every change: the parent cannot have ended yet (its children need the pool).
  seen.unshift(await handle.status());

  const summary = await handle.result();
  const total = parts.reduce((sum, n) => sum + n * n, 0);
  expect(summary).toEqual({ figures: parts.map((n) => n * n), total, version: 1 });
  expect(seen).toContain('WAITING_CHILD');
  expect(seen.at(-1)).toBe('SUCCESS');
  // WAITING_CHILD came before the children ended, RUNNING again after (the parent saved the total).
  expect(seen.lastIndexOf('RUNNING')).toBeGreaterThan(seen.indexOf('WAITING_CHILD'));

  // One child per part, each ended SUCCESS with its square.
  const children = (await rt.list({ workflow: 'report-part' })).items;
  expect(children.map((c) => c.id).sort()).toEqual(parts.map((_, i) => `${handle.id}:${i + 1}`).sort());
  for (const child of children) {
    expect(child.status).toBe('SUCCESS');
    expect(child.result).toBe((child.input.args[0] as number) ** 2);
  }
  const history = await handle.history();
  expect(history.filter((e) => e.type === 'child.started')).toHaveLength(parts.length);
  expect(history.filter((e) => e.type === 'child.ended')).toHaveLength(parts.length);

  const setting = await rt.settings.get(REPORT_TOTAL);
  expect(setting).toMatchObject({ value: total, version: 1, updatedBy: handle.id });
  const read = await rt.start(readReport);
  expect(await read.result()).toBe(total);
});

it('read-report answers undefined before any report ran; a second report saves a new version', async () => {
  const rt = await openReport();
  expect(await (await rt.start(readReport)).result()).toBeUndefined();
  expect((await (await rt.start(report, [2])).result()).version).toBe(1);
  expect(await (await rt.start(report, [3, 4])).result()).toEqual({ figures: [9, 16], total: 25, version: 2 });
  expect(await (await rt.start(readReport)).result()).toBe(25);
});
