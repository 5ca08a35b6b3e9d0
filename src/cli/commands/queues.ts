/** `weft queue list|add|next|elements|get|set-status|delete`: work queues. */
import fs from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import type { QueueElementInputView, QueueElementStatus, QueueElementView } from '../../client/queues.js';
import { QueueElementNotFoundError } from '../../errors.js';
import { clientFor, withClientOptions, type ClientCommandOptions } from '../connection.js';
import { integer, jsonValue, printJson, printTable, UsageError } from '../output.js';
import { isoSeconds, json } from '../table.js';

const STATUSES: readonly QueueElementStatus[] = ['NEW', 'IN_PROGRESS', 'DONE', 'FAILED'];
/** The most elements one request carries; a file is sent in requests of this many. */
const BULK_CHUNK = 10_000;
/** The daemon's longest requestId. */
const MAX_REQUEST_ID = 256;
const REQUEST_ID_HELP = 'makes a retry safe: run again with the same id, it changes nothing twice';

interface RequestIdOption {
  requestId?: string;
}

/** `{ requestId }` for the client, when --request-id was given. */
function requestIdOf({ requestId }: RequestIdOption): RequestIdOption {
  return requestId === undefined ? {} : { requestId };
}

const ELEMENT_COLUMNS = [
  { name: 'id' },
  { name: 'status' },
  { name: 'reference' },
  { name: 'created' },
  { name: 'started' },
  { name: 'ended' },
  { name: 'message' },
  { name: 'data' },
];

function elementRow(e: QueueElementView): Array<string | undefined> {
  return [
    e.id,
    e.status,
    e.reference,
    isoSeconds(e.createdAt),
    isoSeconds(e.startedAt),
    isoSeconds(e.endedAt),
    e.message,
    e.data === undefined ? '' : json(e.data),
  ];
}

function printElements(options: ClientCommandOptions, elements: QueueElementView[], document: unknown): void {
  printTable(options, ELEMENT_COLUMNS, elements.map(elementRow), document);
}

export function registerQueueCommands(program: Command): void {
  const queue = program
    .command('queue')
    .description('work queues: add elements, claim the oldest, mark them DONE or FAILED')
    .addHelpText(
      'after',
      `\nExample:\n  $ weft queue add invoices '{"amount":10}' --reference INV-1\n  $ weft queue next invoices`,
    );

  withClientOptions(
    queue
      .command('list')
      .description('list queues with their element counts by status')
      .addHelpText('after', '\nExample:\n  $ weft queue list --header')
      .action(async (options: ClientCommandOptions) => {
        const queues = await clientFor(options).queues.queues();
        printTable(
          options,
          [{ name: 'queue' }, ...STATUSES.map((s) => ({ name: s, align: 'right' as const }))],
          queues.map((q) => [q.queue, ...STATUSES.map((s) => String(q.counts[s]))]),
          { items: queues },
        );
      }),
  );

  withClientOptions(
    queue
      .command('add')
      .argument('<queue>', 'the queue')
      .argument('[data]', "the element's data, as JSON (quote strings: '\"text\"')", jsonValue)
      .description('add an element, or with --file every element of a JSON-lines file')
      .option('--reference <reference>', 'a reference to find or claim the element by')
      .option('--created-by <who>', 'who created it (default "api")')
      .option(
        '--file <file>',
        'a JSON-lines file ("-" for stdin), one {"reference"?, "data"?, "createdBy"?} per line; ' +
          `sent ${BULK_CHUNK} to a request, each request all or nothing`,
      )
      .option('--request-id <id>', `${REQUEST_ID_HELP} (with --file, requests after the first take <id>#2, <id>#3, …)`)
      .addHelpText(
        'after',
        `\nExample:\n  $ weft queue add invoices '{"amount":10}' --reference INV-1\n` +
          '  $ weft queue add invoices --file invoices.jsonl',
      )
      .action(
        async (
          name: string,
          data: unknown,
          options: ClientCommandOptions & RequestIdOption & { reference?: string; createdBy?: string; file?: string },
        ) => {
          const client = clientFor(options);
          const { reference, createdBy, file, requestId } = options;
          if (file === undefined) {
            const element = await client.queues.create(name, { reference, data, createdBy, ...requestIdOf(options) });
            return printElements(options, [element], element);
          }
          if (reference !== undefined || data !== undefined)
            throw new UsageError('--file takes each element from the file: leave out the data and --reference');
          const inputs = readElements(file).map((e) => ({ ...(createdBy !== undefined && { createdBy }), ...e }));
          const requests = Math.ceil(inputs.length / BULK_CHUNK);
          const longest = MAX_REQUEST_ID - `#${requests}`.length;
          if (requestId !== undefined && requests > 1 && requestId.length > longest)
            throw new UsageError(`the file takes ${requests} requests: --request-id may have ${longest} characters`);
          const created: QueueElementView[] = [];
          for (let i = 0; i < requests; i++) {
            // Each request is its own batch, so each needs its own id for a re-run to skip it.
            const id = requestId === undefined || i === 0 ? requestId : `${requestId}#${i + 1}`;
            const chunk = inputs.slice(i * BULK_CHUNK, (i + 1) * BULK_CHUNK);
            created.push(
              ...(await client.queues.bulkCreate(name, chunk, { ...(id !== undefined && { requestId: id }) })),
            );
          }
          if (options.json) printJson({ items: created });
          else process.stdout.write(`added ${created.length} elements to ${name}\n`);
        },
      ),
  );

  withClientOptions(
    queue
      .command('next <queue>')
      .description('claim the oldest NEW element (it becomes IN_PROGRESS) and show it; nothing when there is none')
      .option('--reference <reference>', 'only an element with this reference')
      .option('--peek', 'only show it: leave it NEW')
      .option('--request-id <id>', `${REQUEST_ID_HELP}: a repeat shows the element the first run claimed`)
      .addHelpText(
        'after',
        '\nExample:\n  $ weft queue next invoices --reference INV-1 --request-id worker-1-job-7 --json',
      )
      .action(
        async (
          name: string,
          options: ClientCommandOptions & RequestIdOption & { reference?: string; peek?: boolean },
        ) => {
          const element = await clientFor(options).queues.next(name, {
            ...(options.reference !== undefined && { reference: options.reference }),
            ...(options.peek && { claim: false }),
            ...requestIdOf(options),
          });
          if (element) printElements(options, [element], element);
          else if (options.json) printJson(null);
          else process.stderr.write(`weft: ${name} has no NEW element\n`);
        },
      ),
  );

  withClientOptions(
    queue
      .command('elements <queue>')
      .description('list the elements of a queue, newest first')
      .option('--status <status>', `only this status: ${STATUSES.join(', ')}`, status)
      .option('--reference <reference>', 'only this reference')
      .option('--offset <n>', 'skip this many (default 0)', integer(0))
      .option('--limit <n>', 'at most this many, up to 1000 (default 100)', integer(1))
      .addHelpText('after', '\nExample:\n  $ weft queue elements invoices --status FAILED --limit 20 --header')
      .action(
        async (
          name: string,
          options: ClientCommandOptions & {
            status?: QueueElementStatus;
            reference?: string;
            offset?: number;
            limit?: number;
          },
        ) => {
          const { status: s, reference, offset, limit } = options;
          const items = await clientFor(options).queues.list(name, { status: s, reference, offset, limit });
          printElements(options, items, { items });
        },
      ),
  );

  withClientOptions(
    queue
      .command('get <id>')
      .description('show one element')
      .addHelpText('after', '\nExample:\n  $ weft queue get 6f1c2a7e-4b1d-4c55-9a0e-2f4a6d8b9c10 --json')
      .action(async (id: string, options: ClientCommandOptions) => {
        const element = await clientFor(options).queues.get(id);
        printElements(options, [element], element);
      }),
  );

  withClientOptions(
    queue
      .command('set-status')
      .argument('<id>', 'the element')
      .argument('<status>', STATUSES.join(', '), status)
      .description('set the status of an element, with a message (DONE and FAILED stamp its end time)')
      .option('--message <message>', 'a message: the outcome, or why it failed')
      .option('--request-id <id>', REQUEST_ID_HELP)
      .addHelpText(
        'after',
        '\nExample:\n  $ weft queue set-status 6f1c2a7e-4b1d-4c55-9a0e-2f4a6d8b9c10 FAILED --message "no such customer"',
      )
      .action(
        async (
          id: string,
          s: QueueElementStatus,
          options: ClientCommandOptions & RequestIdOption & { message?: string },
        ) => {
          const element = await clientFor(options).queues.setStatus(id, s, options.message, requestIdOf(options));
          printElements(options, [element], element);
        },
      ),
  );

  withClientOptions(
    queue
      .command('delete <id>')
      .description('delete an element')
      .option('--request-id <id>', `${REQUEST_ID_HELP}: a repeat says deleted again`)
      .addHelpText('after', '\nExample:\n  $ weft queue delete 6f1c2a7e-4b1d-4c55-9a0e-2f4a6d8b9c10')
      .action(async (id: string, options: ClientCommandOptions & RequestIdOption) => {
        const deleted = await clientFor(options).queues.delete(id, requestIdOf(options));
        if (options.json) printJson({ deleted });
        else if (deleted) process.stdout.write(`deleted ${id}\n`);
        else throw new QueueElementNotFoundError(id);
      }),
  );
}

function status(text: string): QueueElementStatus {
  const upper = text.toUpperCase().replace('-', '_') as QueueElementStatus;
  if (!STATUSES.includes(upper)) throw new InvalidArgumentError(`It must be one of ${STATUSES.join(', ')}.`);
  return upper;
}

/** The elements of a JSON-lines file (blank lines skipped); a bad line is a usage error naming it. */
function readElements(file: string): QueueElementInputView[] {
  let text: string;
  try {
    text = fs.readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const elements: QueueElementInputView[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new UsageError(`${file} line ${i + 1} is not JSON`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new UsageError(`${file} line ${i + 1} must be an object: {"reference"?, "data"?, "createdBy"?}`);
    elements.push(value);
  });
  return elements;
}
