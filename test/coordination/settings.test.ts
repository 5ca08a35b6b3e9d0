/**
 * Settings from a workflow: ctx.setting(name).get() reads what the API wrote, save() creates
 * or updates (visible through rt.settings.get, updatedBy = the execution), and a save with a
 * wrong expectedVersion rejects with VERSION_CONFLICT (catchable; uncaught it fails the execution).
 */
import { afterEach, expect, it } from 'vitest';
import { workflow, type WeftError } from '../../src/index.js';
import { cleanup, open, rejection } from '../fixtures/harness.js';

afterEach(cleanup);

/** Reads `name`, saves `value` over it (checked against the version read), then tries a stale save. */
const configures = workflow('configures', async (ctx, name: string, value: unknown) => {
  const s = ctx.setting<unknown>(name);
  const before = await s.get();
  const saved = await s.save(value, before ? { expectedVersion: before.version } : {});
  let conflict: string | undefined;
  try {
    await s.save('stale', { expectedVersion: saved.version - 1 });
  } catch (err) {
    conflict = (err as WeftError).code;
  }
  const after = await s.get();
  return {
    before: before && { value: before.value, version: before.version },
    saved: { value: saved.value, version: saved.version, updatedBy: saved.updatedBy },
    conflict,
    after: after && { value: after.value, version: after.version },
  };
});

/** Saves with an expected version nobody has, without catching. */
const savesBlindly = workflow('savesBlindly', async (ctx, name: string) => {
  await ctx.setting(name).save('blind', { expectedVersion: 7 });
  return 'saved';
});

it('reads a setting the API created, and saves over it; the API sees the save', async () => {
  const rt = await open({ workflows: [configures] });
  await rt.settings.create('notification_emails', ['toni@example.com']);
  const handle = await rt.start(configures, 'notification_emails', ['toni@example.com', 'cory@example.com']);
  const result = await handle.result();
  expect(result).toEqual({
    before: { value: ['toni@example.com'], version: 1 },
    saved: { value: ['toni@example.com', 'cory@example.com'], version: 2, updatedBy: handle.id },
    conflict: 'VERSION_CONFLICT',
    after: { value: ['toni@example.com', 'cory@example.com'], version: 2 },
  });
  const setting = await rt.settings.get('notification_emails');
  expect(setting).toMatchObject({ value: ['toni@example.com', 'cory@example.com'], version: 2, updatedBy: handle.id });
  const history = await handle.history();
  expect(history.map((e) => e.type)).toEqual(['setting.read', 'setting.saved', 'step.failed', 'setting.read']);
  expect(history[2]).toMatchObject({ kind: 'setting.save', error: { code: 'VERSION_CONFLICT' } });
});

it('creates the setting when it is missing', async () => {
  const rt = await open({ workflows: [configures] });
  const handle = await rt.start(configures, 'max-vms', 3);
  const result = await handle.result();
  expect(result.before).toBeUndefined();
  expect(result.saved).toEqual({ value: 3, version: 1, updatedBy: handle.id });
  expect(result.conflict).toBe('VERSION_CONFLICT');
  expect(await rt.settings.get('max-vms')).toMatchObject({ value: 3, version: 1 });
});

it('fails the execution with VERSION_CONFLICT when the conflict is not caught, and writes nothing', async () => {
  const rt = await open({ workflows: [savesBlindly] });
  await rt.settings.create('region', 'eu-west');
  const handle = await rt.start(savesBlindly, 'region');
  expect((await rejection(handle.result())).code).toBe('VERSION_CONFLICT');
  const info = await handle.info();
  expect(info.status).toBe('FAILED');
  expect(info.error?.code).toBe('VERSION_CONFLICT');
  expect(await rt.settings.get('region')).toMatchObject({ value: 'eu-west', version: 1 });
});
