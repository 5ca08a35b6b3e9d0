/** Resources: named concurrency limits across all executions (uTask's step resources). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterEach, expect, it } from 'vitest';
import { Runtime, workflow } from '../../src/index.js';
import type * as acts from '../fixtures/resource-activities.js';

const activities = [fileURLToPath(new URL('../fixtures/resource-activities.ts', import.meta.url))];
const sendMail = workflow('send-mail', async (ctx, file: string) => {
  const { mail } = ctx.activities<typeof acts>({ resources: ['smtp'] });
  await mail(file, 5);
});
const unknownResource = workflow('unknown-resource', async (ctx, file: string) => {
  const { mail } = ctx.activities<typeof acts>({ resources: ['fax'] });
  try {
    await mail(file, 1);
    return 'ran';
  } catch (err) {
    return (err as { code?: string }).code;
  }
});

const dirs: string[] = [];
const runtimes: Runtime[] = [];
afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((rt) => rt.close()));
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

async function open(): Promise<{ rt: Runtime; dir: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-res-'));
  dirs.push(dir);
  const rt = await Runtime.open({
    dataDir: dir,
    workflows: [sendMail, unknownResource],
    activities,
    resources: { smtp: 2 },
    threads: 2,
    concurrentTasksPerWorker: 16,
    logger: pino({ level: 'silent' }),
  });
  runtimes.push(rt);
  return { rt, dir };
}

it('never runs more activities on a resource than its limit, under 200 concurrent executions', async () => {
  const { rt, dir } = await open();
  const file = path.join(dir, 'smtp.log');
  const handles = await Promise.all(Array.from({ length: 200 }, () => rt.start(sendMail, file)));
  await Promise.all(handles.map((h) => h.result()));
  let running = 0;
  let most = 0;
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
  for (const line of lines) {
    running += line === 'start' ? 1 : -1;
    most = Math.max(most, running);
  }
  expect(lines).toHaveLength(400);
  expect(running).toBe(0);
  expect(most).toBeLessThanOrEqual(2);
});

it('refuses a resource without a limit with INVALID_ARGUMENT, inside the workflow', async () => {
  const { rt, dir } = await open();
  const handle = await rt.start(unknownResource, path.join(dir, 'fax.log'));
  expect(await handle.result()).toBe('INVALID_ARGUMENT');
});

it('refuses a bad limit when the runtime opens', async () => {
  await expect(
    Runtime.open({ inMemory: true, resources: { smtp: 0 }, logger: pino({ level: 'silent' }) }),
  ).rejects.toMatchObject({
    code: 'INVALID_ARGUMENT',
  });
});
