/** `weft lock list|acquire|renew|release`: locks, and leases on them for clients. */
import type { Command } from 'commander';
import type { LockGrantView } from '../../client/client.js';
import { clientFor, withClientOptions, type ClientCommandOptions } from '../connection.js';
import { integer, printJson, printTable } from '../output.js';
import { isoSeconds } from '../table.js';

const GRANT_COLUMNS = [
  { name: 'name' },
  { name: 'holder' },
  { name: 'token', align: 'right' as const },
  { name: 'expires' },
];

function grantRow(g: LockGrantView): string[] {
  return [g.name, g.holder, String(g.token), isoSeconds(g.expiresAt)];
}

export function registerLockCommands(program: Command): void {
  const lock = program
    .command('lock')
    .description('inspect locks, and hold them from outside a workflow with leases')
    .addHelpText(
      'after',
      '\nExample:\n  $ weft lock acquire cloud-vm-lock --ttl 60000 --holder deploy-42\n  $ weft lock list --header',
    );

  withClientOptions(
    lock
      .command('list')
      .description('list held locks: holder, token, since when, lease expiry, waiters')
      .addHelpText('after', '\nExample:\n  $ weft lock list --header')
      .action(async (options: ClientCommandOptions) => {
        const locks = await clientFor(options).locks.list();
        printTable(
          options,
          [
            { name: 'name' },
            { name: 'holder' },
            { name: 'token', align: 'right' },
            { name: 'since' },
            { name: 'expires' },
            { name: 'waiters', align: 'right' },
          ],
          locks.map((l) => [
            l.name,
            l.holder?.holder,
            l.holder && String(l.holder.token),
            isoSeconds(l.holder?.since),
            isoSeconds(l.holder?.expiresAt),
            String(l.waiters.length),
          ]),
          { items: locks },
        );
      }),
  );

  withClientOptions(
    lock
      .command('acquire <name>')
      .description('take a lock as a lease; print its token (renew it before it expires, release it when done)')
      .option('--ttl <ms>', 'the lease expires unless renewed within this many ms (default 30000)', integer(1))
      .option('--timeout <ms>', 'how long to wait in the queue; 0 tries once (default 0)', integer(0))
      .option('--holder <holder>', 'who holds it (default "api")')
      .addHelpText(
        'after',
        '\nExample:\n  $ weft lock acquire cloud-vm-lock --ttl 60000 --timeout 10000 --holder deploy-42',
      )
      .action(
        async (name: string, options: ClientCommandOptions & { ttl?: number; timeout?: number; holder?: string }) => {
          const grant = await clientFor(options).locks.acquire(name, {
            ...(options.holder !== undefined && { holder: options.holder }),
            ...(options.ttl !== undefined && { ttlMs: options.ttl }),
            ...(options.timeout !== undefined && { timeoutMs: options.timeout }),
          });
          printTable(options, GRANT_COLUMNS, [grantRow(grant)], grant);
        },
      ),
  );

  withClientOptions(
    lock
      .command('renew')
      .argument('<name>', 'the lock')
      .argument('<token>', 'the token acquire printed', integer(1))
      .description('extend a lease by its time to live; print the new expiry')
      .addHelpText('after', '\nExample:\n  $ weft lock renew cloud-vm-lock 17')
      .action(async (name: string, token: number, options: ClientCommandOptions) => {
        const grant = await clientFor(options).locks.renew(name, token);
        printTable(options, GRANT_COLUMNS, [grantRow(grant)], grant);
      }),
  );

  withClientOptions(
    lock
      .command('release')
      .argument('<name>', 'the lock')
      .argument('<token>', 'the token acquire printed', integer(1))
      .description('release a lock held with this token; the next waiter gets it')
      .addHelpText('after', '\nExample:\n  $ weft lock release cloud-vm-lock 17')
      .action(async (name: string, token: number, options: ClientCommandOptions) => {
        await clientFor(options).locks.release(name, token);
        if (options.json) printJson({ released: true });
        else process.stdout.write(`released ${name}\n`);
      }),
  );
}
