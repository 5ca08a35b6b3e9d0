/**
 * `weft constant get|set|list|delete` and `weft credential set|get|list|delete|rotate-key`.
 * A password is never taken from the command line (argv is visible to every user of the
 * machine): it comes from stdin with `--password-stdin`, or from a prompt that does not echo.
 */
import type { Command } from 'commander';
import type { ConstantView, CredentialSecretView, CredentialView } from '../../client/secrets.js';
import { ConstantNotFoundError, CredentialNotFoundError } from '../../errors.js';
import { generateSecretKey } from '../../secret-key.js';
import { clientFor, withClientOptions, type ClientCommandOptions } from '../connection.js';
import { integer, printJson, printTable, UsageError } from '../output.js';
import { isoSeconds } from '../table.js';

const CONSTANT_COLUMNS = [{ name: 'name' }, { name: 'updated' }, { name: 'value' }];
const CREDENTIAL_COLUMNS = [{ name: 'name' }, { name: 'username' }, { name: 'updated' }];

function constantRow(c: ConstantView): string[] {
  return [c.name, isoSeconds(c.updatedAt), c.value];
}

function credentialRow(c: CredentialView): string[] {
  return [c.name, c.username, isoSeconds(c.updatedAt)];
}

export function registerSecretCommands(program: Command): void {
  registerConstantCommands(program);
  registerCredentialCommands(program);
}

function registerConstantCommands(program: Command): void {
  const constant = program
    .command('constant')
    .description('read and write constants: named strings')
    .addHelpText(
      'after',
      `\nExample:\n  $ weft constant set smtp_host mail.example.com\n  $ weft constant get smtp_host`,
    );

  withClientOptions(
    constant
      .command('get <name>')
      .description('show a constant: name, when it was last written, value')
      .addHelpText('after', '\nExample:\n  $ weft constant get smtp_host --json')
      .action(async (name: string, options: ClientCommandOptions) => {
        const c = await clientFor(options).secrets.constants.get(name);
        printTable(options, CONSTANT_COLUMNS, [constantRow(c)], c);
      }),
  );

  withClientOptions(
    constant
      .command('set')
      .argument('<name>', 'the constant')
      .argument('<value>', 'its value, as text')
      .description('create a constant, or replace its value')
      .addHelpText('after', '\nExample:\n  $ weft constant set smtp_host mail.example.com')
      .action(async (name: string, value: string, options: ClientCommandOptions) => {
        const c = await clientFor(options).secrets.constants.set(name, value);
        printTable(options, CONSTANT_COLUMNS, [constantRow(c)], c);
      }),
  );

  withClientOptions(
    constant
      .command('list')
      .description('list constants by name')
      .option('--prefix <prefix>', 'only names starting with this')
      .option('--limit <n>', 'at most this many (default 100)', integer(1))
      .option('--cursor <cursor>', 'the next page: the cursor the previous page printed')
      .addHelpText('after', '\nExample:\n  $ weft constant list --prefix smtp_ --header')
      .action(async (options: ClientCommandOptions & { prefix?: string; limit?: number; cursor?: string }) => {
        const { prefix, limit, cursor } = options;
        const page = await clientFor(options).secrets.constants.list({ prefix, limit, cursor });
        printTable(options, CONSTANT_COLUMNS, page.items.map(constantRow), page);
        if (page.cursor !== undefined && !options.json)
          process.stderr.write(`weft: there may be more: add --cursor ${page.cursor}\n`);
      }),
  );

  withClientOptions(
    constant
      .command('delete <name>')
      .description('delete a constant')
      .addHelpText('after', '\nExample:\n  $ weft constant delete smtp_host')
      .action(async (name: string, options: ClientCommandOptions) => {
        if (!(await clientFor(options).secrets.constants.delete(name))) throw new ConstantNotFoundError(name);
        if (options.json) printJson({ deleted: true });
        else process.stdout.write(`deleted ${name}\n`);
      }),
  );
}

function registerCredentialCommands(program: Command): void {
  const credential = program
    .command('credential')
    .description('read and write credentials: a username and a password, encrypted at rest')
    .addHelpText(
      'after',
      `\nExample:\n  $ printf %s "$PASSWORD" | weft credential set crm --username robot --password-stdin\n` +
        `  $ weft credential get crm --show-password --json`,
    );

  withClientOptions(
    credential
      .command('set <name>')
      .description('create a credential or replace it; the password is read from stdin or a prompt, never argv')
      .requiredOption('--username <username>', 'the username')
      .option('--password-stdin', 'read the password from stdin (one trailing newline is dropped)')
      .addHelpText(
        'after',
        '\nWithout --password-stdin, a terminal prompts for the password (twice, without echo).\n' +
          '\nExample:\n  $ printf %s "$PASSWORD" | weft credential set crm --username robot --password-stdin',
      )
      .action(async (name: string, options: ClientCommandOptions & { username: string; passwordStdin?: boolean }) => {
        const password = options.passwordStdin ? dropNewline(await readStdin()) : await promptPassword();
        const c = await clientFor(options).secrets.credentials.set(name, { username: options.username, password });
        printTable(options, CREDENTIAL_COLUMNS, [credentialRow(c)], c);
      }),
  );

  withClientOptions(
    credential
      .command('get <name>')
      .description('show a credential: name, username, when it was last written; the password only when asked')
      .option('--show-password', 'also print the password')
      .addHelpText('after', '\nExample:\n  $ weft credential get crm --show-password --json')
      .action(async (name: string, options: ClientCommandOptions & { showPassword?: boolean }) => {
        const credentials = clientFor(options).secrets.credentials;
        if (options.showPassword) {
          const c: CredentialSecretView = await credentials.get(name);
          const columns = [...CREDENTIAL_COLUMNS, { name: 'password' }];
          printTable(options, columns, [[...credentialRow(c), c.password]], c);
          return;
        }
        // Not asked for: the password is not even fetched.
        const c = (await credentials.list()).find((found) => found.name === name);
        if (!c) throw new CredentialNotFoundError(name);
        printTable(options, CREDENTIAL_COLUMNS, [credentialRow(c)], c);
      }),
  );

  withClientOptions(
    credential
      .command('list')
      .description('list credentials by name, without passwords')
      .addHelpText('after', '\nExample:\n  $ weft credential list --header')
      .action(async (options: ClientCommandOptions) => {
        const items = await clientFor(options).secrets.credentials.list();
        printTable(options, CREDENTIAL_COLUMNS, items.map(credentialRow), { items });
      }),
  );

  withClientOptions(
    credential
      .command('delete <name>')
      .description('delete a credential')
      .addHelpText('after', '\nExample:\n  $ weft credential delete crm')
      .action(async (name: string, options: ClientCommandOptions) => {
        if (!(await clientFor(options).secrets.credentials.delete(name))) throw new CredentialNotFoundError(name);
        if (options.json) printJson({ deleted: true });
        else process.stdout.write(`deleted ${name}\n`);
      }),
  );

  withClientOptions(
    credential
      .command('rotate-key')
      .description('re-encrypt every credential under a new secret key, in one atomic batch')
      .option('--key-stdin', 'read the new key (32 bytes in base64) from stdin')
      .option('--generate', 'generate a new random key (printed unless the daemon keeps it in its key file)')
      .addHelpText(
        'after',
        '\nA daemon whose key is in <data>/secret.key writes the new key there. One whose key is\n' +
          'WEFT_SECRET_KEY goes on with the new key, but WEFT_SECRET_KEY must be set to it before it restarts.\n' +
          '\nExample:\n  $ weft credential rotate-key --generate\n  $ openssl rand -base64 32 | weft credential rotate-key --key-stdin',
      )
      .action(async (options: ClientCommandOptions & { keyStdin?: boolean; generate?: boolean }) => {
        if (options.keyStdin === options.generate)
          throw new UsageError('pass exactly one of --key-stdin and --generate');
        const key = options.generate ? generateSecretKey() : (await readStdin()).trim();
        await rotateKey(options, key, options.generate ?? false);
      }),
  );
}

async function rotateKey(options: ClientCommandOptions, key: string, generated: boolean): Promise<void> {
  let result;
  try {
    result = await clientFor(options).secrets.credentials.rotateKey(key);
  } catch (err) {
    // The daemon may have rotated before the answer was lost: the generated key must not be.
    if (generated)
      process.stderr.write(`weft: the key generated for this rotation was ${key} (keep it if the rotation happened)\n`);
    throw err;
  }
  // A generated key is shown when the daemon keeps no file of it: otherwise it would be lost.
  const show = generated && result.keyFile === undefined;
  if (options.json) {
    printJson({ ...result, ...(show && { key }) });
    return;
  }
  const where =
    result.keyFile !== undefined
      ? `the new key is in ${result.keyFile}`
      : "set the daemon's WEFT_SECRET_KEY to the new key before it restarts";
  process.stdout.write(`rotated ${result.rotated} credentials; ${where}\n`);
  if (show) process.stdout.write(`new key: ${key}\n`);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function dropNewline(text: string): string {
  return text.replace(/\r?\n$/, '');
}

/** Asks twice on the terminal, without echo; refuses when stdin is not a terminal. */
async function promptPassword(): Promise<string> {
  if (!process.stdin.isTTY)
    throw new UsageError(
      'no password: pipe it in with --password-stdin, or run on a terminal to be prompted (never on the command line)',
    );
  const password = await promptHidden('Password: ');
  if ((await promptHidden('Password (again): ')) !== password) throw new UsageError('the passwords do not match');
  return password;
}

function promptHidden(question: string): Promise<string> {
  const { stdin, stderr } = process;
  stderr.write(question);
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise((resolve, reject) => {
    let text = '';
    const finish = (): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      stderr.write('\n');
    };
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          finish();
          resolve(text);
          return;
        }
        if (ch === '\u0003') {
          finish();
          reject(new UsageError('cancelled'));
          return;
        }
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else text += ch;
      }
    };
    stdin.on('data', onData);
  });
}
