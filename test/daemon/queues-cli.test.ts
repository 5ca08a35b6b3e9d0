/**
 * `weft queue …` against one real daemon: add (one, and a JSON-lines file), list, next
 * (peek and claim by reference), set-status, elements, delete, and --request-id making a
 * re-run change nothing twice. Setup and checks that need no CLI go through the WeftClient,
 * which tests it along the way.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WeftClient } from '../../src/client/client.js';
import { cliEnv, daemonTempDir, runCli, startDaemon, type CliResult, type DaemonProcess } from '../fixtures/daemon.js';

let daemon: DaemonProcess;
let client: WeftClient;

beforeAll(async () => {
  daemon = await startDaemon();
  client = new WeftClient({ url: daemon.url, token: daemon.token });
});

afterAll(async () => {
  await daemon?.stop();
});

function weft(...args: string[]): Promise<CliResult> {
  return runCli(args, { env: cliEnv(daemon) });
}

function ok(r: CliResult): string {
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

/** The table's lines, each split on runs of two or more spaces. */
function cells(stdout: string): string[][] {
  return stdout
    .trimEnd()
    .split('\n')
    .map((line) => line.split(/ {2,}/));
}

it('adds, lists, claims, completes and deletes queue elements', async () => {
  const one = JSON.parse(
    ok(await weft('queue', 'add', 'invoices', '{"amount":10}', '--reference', 'INV-1', '--json')),
  ) as { id: string };
  expect(one).toMatchObject({ queue: 'invoices', reference: 'INV-1', data: { amount: 10 }, status: 'NEW' });

  const file = path.join(daemonTempDir(), 'elements.jsonl');
  fs.writeFileSync(file, '{"reference":"INV-2","data":2}\n\n{"data":3,"createdBy":"import"}\n{}\n');
  expect(ok(await weft('queue', 'add', 'invoices', '--file', file))).toBe('added 3 elements to invoices\n');

  expect(cells(ok(await weft('queue', 'list', '--header')))).toEqual([
    ['queue', 'NEW', 'IN_PROGRESS', 'DONE', 'FAILED'],
    ['invoices', '4', '0', '0', '0'],
  ]);

  const peeked = JSON.parse(ok(await weft('queue', 'next', 'invoices', '--peek', '--json'))) as { id: string };
  expect(peeked).toMatchObject({ id: one.id, status: 'NEW' });

  const claimed = cells(ok(await weft('queue', 'next', 'invoices', '--reference', 'INV-2')));
  expect(claimed).toHaveLength(1);
  expect(claimed[0]!.slice(1, 3)).toEqual(['IN_PROGRESS', 'INV-2']);
  const claimedId = claimed[0]![0]!;

  const done = JSON.parse(
    ok(await weft('queue', 'set-status', claimedId, 'done', '--message', 'paid', '--json')),
  ) as Record<string, unknown>;
  expect(done).toMatchObject({ id: claimedId, status: 'DONE', message: 'paid', endedAt: expect.any(String) as string });

  const listed = cells(ok(await weft('queue', 'elements', 'invoices', '--status', 'DONE', '--header')));
  expect(listed[0]).toEqual(['id', 'status', 'reference', 'created', 'started', 'ended', 'message', 'data']);
  expect(listed.slice(1).map((row) => [row[0], row[1], row[2], row[6], row[7]])).toEqual([
    [claimedId, 'DONE', 'INV-2', 'paid', '2'],
  ]);

  expect(ok(await weft('queue', 'delete', one.id))).toBe(`deleted ${one.id}\n`);
  const gone = await weft('queue', 'get', one.id);
  expect(gone.code).toBe(1);
  expect(gone.stderr).toContain('weft: QUEUE_ELEMENT_NOT_FOUND: ');
  expect(await client.queues.delete(one.id)).toBe(false);
  expect((await client.queues.list('invoices')).map((e) => e.data)).toEqual([undefined, 3, 2]);
  expect(await client.queues.next('invoices', { reference: 'INV-1' })).toBeUndefined();
});

it('--request-id makes add, next and delete safe to run again; the client passes requestId through', async () => {
  const addOnce = async () =>
    JSON.parse(ok(await weft('queue', 'add', 'retried', '{"n":1}', '--request-id', 'add-1', '--json'))) as {
      id: string;
    };
  const added = await addOnce();
  expect(await addOnce()).toEqual(added);
  const [second] = await client.queues.bulkCreate('retried', [{ data: 2 }], { requestId: 'bulk-1' });
  expect(await client.queues.bulkCreate('retried', [{ data: 2 }], { requestId: 'bulk-1' })).toEqual([second]);

  const claimOnce = async () =>
    JSON.parse(ok(await weft('queue', 'next', 'retried', '--request-id', 'next-1', '--json'))) as { id: string };
  const claimed = await claimOnce();
  expect(claimed).toMatchObject({ id: added.id, status: 'IN_PROGRESS' });
  expect(await claimOnce()).toEqual(claimed);
  expect(await client.queues.next('retried', { requestId: 'next-2' })).toMatchObject({ id: second!.id });
  expect(await client.queues.next('retried', { requestId: 'next-2' })).toMatchObject({ id: second!.id });

  const done = await client.queues.setStatus(second!.id, 'DONE', 'ok', { requestId: 'set-1' });
  expect(await client.queues.setStatus(second!.id, 'DONE', 'ok', { requestId: 'set-1' })).toEqual(done);

  expect(ok(await weft('queue', 'delete', added.id, '--request-id', 'delete-1'))).toBe(`deleted ${added.id}\n`);
  expect(ok(await weft('queue', 'delete', added.id, '--request-id', 'delete-1'))).toBe(`deleted ${added.id}\n`);
  expect(await client.queues.delete(added.id, { requestId: 'delete-2' })).toBe(false);
  expect((await client.queues.list('retried')).map((e) => e.id)).toEqual([second!.id]);

  expect(ok(await weft('queue', 'next', '--help'))).toContain('--request-id <id>');
});
