/** `weft setting get|set|list|delete`: settings by name. */
import type { Command } from 'commander';
import type { SettingView, WeftClient } from '../../client/client.js';
import { WeftError } from '../../errors.js';
import { clientFor, withClientOptions, type ClientCommandOptions } from '../connection.js';
import { integer, jsonValue, printJson, printTable } from '../output.js';
import { isoSeconds, json } from '../table.js';

const COLUMNS = [
  { name: 'name' },
  { name: 'version', align: 'right' as const },
  { name: 'updated' },
  { name: 'updated by' },
  { name: 'value' },
];

function row(s: SettingView): string[] {
  return [s.name, String(s.version), isoSeconds(s.updatedAt), s.updatedBy, json(s.value)];
}

export function registerSettingCommands(program: Command): void {
  const setting = program
    .command('setting')
    .description('read and write settings: named JSON values with a version')
    .addHelpText(
      'after',
      `\nExample:\n  $ weft setting set notification_emails '["toni@example.com"]'\n  $ weft setting get notification_emails --json`,
    );

  withClientOptions(
    setting
      .command('get <name>')
      .description('show a setting: name, version, when and by whom it was last written, value')
      .addHelpText('after', '\nExample:\n  $ weft setting get notification_emails --header')
      .action(async (name: string, options: ClientCommandOptions) => {
        const s = await clientFor(options).settings.get(name, { by: 'name' });
        printTable(options, COLUMNS, [row(s)], s);
      }),
  );

  withClientOptions(
    setting
      .command('set')
      .argument('<name>', 'the setting')
      .argument('<json>', 'its new value, as JSON (quote strings: \'"text"\')', jsonValue)
      .description('create a setting, or write a new value to an existing one')
      .option(
        '--expected-version <n>',
        'compare-and-set: fail with VERSION_CONFLICT unless it is at this version',
        integer(1),
      )
      .addHelpText(
        'after',
        `\nExample:\n  $ weft setting set retries 3\n  $ weft setting set owner '"toni"' --expected-version 2`,
      )
      .action(async (name: string, value: unknown, options: ClientCommandOptions & { expectedVersion?: number }) => {
        const s = await setSetting(clientFor(options), name, value, options.expectedVersion);
        printTable(options, COLUMNS, [row(s)], s);
      }),
  );

  withClientOptions(
    setting
      .command('list')
      .description('list settings by name')
      .option('--prefix <prefix>', 'only names starting with this')
      .option('--limit <n>', 'at most this many (default 100)', integer(1))
      .option('--cursor <cursor>', 'the next page: the cursor the previous page printed')
      .addHelpText('after', '\nExample:\n  $ weft setting list --prefix notification_ --header')
      .action(async (options: ClientCommandOptions & { prefix?: string; limit?: number; cursor?: string }) => {
        const { prefix, limit, cursor } = options;
        const page = await clientFor(options).settings.list({ prefix, limit, cursor });
        printTable(options, COLUMNS, page.items.map(row), page);
        if (page.cursor !== undefined && !options.json)
          process.stderr.write(`weft: there may be more: add --cursor ${page.cursor}\n`);
      }),
  );

  withClientOptions(
    setting
      .command('delete <name>')
      .description('delete a setting')
      .addHelpText('after', '\nExample:\n  $ weft setting delete notification_emails')
      .action(async (name: string, options: ClientCommandOptions) => {
        await clientFor(options).settings.delete(name, { by: 'name' });
        if (options.json) printJson({ deleted: true });
        else process.stdout.write(`deleted ${name}\n`);
      }),
  );
}

/**
 * Updates the setting, or creates it when there is none. With an expected version, there
 * must be one: creating it would skip the check the caller asked for.
 */
async function setSetting(
  client: WeftClient,
  name: string,
  value: unknown,
  expectedVersion: number | undefined,
): Promise<SettingView> {
  const update = (): Promise<SettingView> =>
    client.settings.update(name, value, { by: 'name', ...(expectedVersion !== undefined && { expectedVersion }) });
  try {
    return await update();
  } catch (err) {
    if (!isCode(err, 'SETTING_NOT_FOUND') || expectedVersion !== undefined) throw err;
  }
  try {
    return await client.settings.create(name, value);
  } catch (err) {
    // Created by someone else between the two calls: write over it as asked.
    if (isCode(err, 'SETTING_EXISTS')) return update();
    throw err;
  }
}

function isCode(err: unknown, code: string): boolean {
  return err instanceof WeftError && err.code === code;
}
