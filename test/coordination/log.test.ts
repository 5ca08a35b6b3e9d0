/** ctx.log: lines stored with the execution, queryable by level, written once across a replay. */
import { afterEach, expect, it } from 'vitest';
import { cleanup, open, release, sideFile, tempDir, waitForLine } from '../fixtures/harness.js';

afterEach(cleanup);

it('stores each line once with its execution and workflow, even when a restart replays the code', async () => {
  const dataDir = tempDir();
  const file = sideFile();
  let rt = await open({ dataDir });
  const handle = await rt.start('logs', file);
  await waitForLine(file, { event: 'start', tag: 'log-gate' });
  await rt.close();

  rt = await open({ dataDir }); // resumes: the code runs again from the start
  release(file, 'log-gate');
  const resumed = await rt.get(handle.id);
  expect(await resumed.result()).toBe('logged');

  const lines = await resumed.logs();
  expect(lines.map((l) => l.msg)).toEqual(['before the gate', 'a debug line', 'after the gate']);
  expect(lines.every((l) => l.executionId === handle.id && l.workflow === 'logs')).toBe(true);
  expect(lines[0]).toMatchObject({ phase: 'before', level: 30 });
  expect((await resumed.logs({ level: 'warn' })).map((l) => l.msg)).toEqual(['after the gate']);
  expect(await resumed.logs({ limit: 1 })).toHaveLength(1);
});
