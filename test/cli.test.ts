/**
 * The weft CLI without a daemon: help, usage errors and exit codes, an unreachable daemon,
 * `start --local`, and the pieces it prints with (tables, connection settings, SSE parsing).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { serverSentEvents } from '../src/client/client.js';
import { resolveConnection } from '../src/cli/connection.js';
import { UsageError } from '../src/cli/output.js';
import { duration, formatTable, isoSeconds, seconds } from '../src/cli/table.js';
import { daemonTempDir, runCli, TEST_CONFIG, type CliResult } from './fixtures/daemon.js';

/** Runs CLI calls a few at a time: each costs a process start through tsx. */
async function runAll(calls: string[][], concurrency = 3): Promise<CliResult[]> {
  const results: CliResult[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < calls.length) {
        const i = next++;
        results[i] = await runCli(calls[i]!);
      }
    }),
  );
  return results;
}

describe('weft --help', () => {
  const commands = [
    [],
    ['daemon'],
    ['start'],
    ['list'],
    ['info'],
    ['tasks'],
    ['profile'],
    ['logs'],
    ['signal'],
    ['cancel'],
    ['setting'],
    ['setting', 'get'],
    ['setting', 'set'],
    ['setting', 'list'],
    ['setting', 'delete'],
    ['lock'],
    ['lock', 'list'],
    ['lock', 'acquire'],
    ['lock', 'renew'],
    ['lock', 'release'],
  ];

  it('describes every command with an example, and exits 0', async () => {
    const results = await runAll(commands.map((command) => [...command, '--help']));
    results.forEach((r, i) => {
      const command = ['weft', ...commands[i]!].join(' ');
      expect(r.code, command).toBe(0);
      expect(r.stdout, command).toContain(`Usage: ${command}`);
      expect(r.stdout, command).toContain('Example:');
    });
    // The client commands take the connection and output options.
    expect(results[3]!.stdout).toMatch(/--url[\s\S]*--token[\s\S]*--data[\s\S]*--json[\s\S]*--header/);
  });

  it('prints the version from package.json', async () => {
    const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });
});

describe('exit codes', () => {
  it('exits 2 on usage errors, saying what is wrong', async () => {
    const token = ['--token', 't', '--url', 'http://127.0.0.1:9'];
    const [none, unknownCommand, unknownOption, missing, badJson, notInput, badLimit, badStatus, extra, noToken] =
      await runAll([
        [],
        ['frobnicate'],
        ['list', '--frob', ...token],
        ['info', ...token],
        ['start', 'echo', '--input', '{nope', ...token],
        ['start', 'echo', '--input', '"text"', ...token],
        ['list', '--limit', 'abc', ...token],
        ['list', '--status', 'DONE', ...token],
        ['info', 'a', 'b', ...token],
        ['list'],
      ]);
    for (const r of [
      none,
      unknownCommand,
      unknownOption,
      missing,
      badJson,
      notInput,
      badLimit,
      badStatus,
      extra,
      noToken,
    ])
      expect(r!.code).toBe(2);
    expect(none!.stderr).toContain('Usage: weft');
    expect(unknownCommand!.stderr).toContain("unknown command 'frobnicate'");
    expect(unknownOption!.stderr).toContain("unknown option '--frob'");
    expect(missing!.stderr).toContain("missing required argument 'id'");
    expect(badJson!.stderr).toContain('not JSON');
    expect(notInput!.stderr).toContain('--input must be a JSON list');
    expect(badLimit!.stderr).toContain('--limit');
    expect(badStatus!.stderr).toContain('RUNNING');
    expect(noToken!.stderr).toMatch(/no token.*looked for .*weft-data[/\\]token/);
  });

  it('exits 3 when no daemon answers at the URL', async () => {
    const r = await runCli(['list', '--url', 'http://127.0.0.1:9', '--token', 't']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('weft: DAEMON_UNREACHABLE: ');
    expect(r.stderr).toContain('http://127.0.0.1:9');
  });
});

describe('weft start --local', () => {
  const config = ['--config', TEST_CONFIG];

  it('runs the workflow in the process and prints its result', async () => {
    const [plain, json] = await Promise.all([
      runCli(['start', 'echo', '--input', '["hello"]', '--local', ...config]),
      runCli(['start', 'echo', '--input', '{"args": [{"a": 1}]}', '--local', '--json', ...config]),
    ]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toBe('"hello"\n');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ id: expect.any(String) as string, status: 'SUCCESS', result: { a: 1 } });
  });

  it('exits 1 when the workflow fails, with the error code', async () => {
    const [json, plain] = await Promise.all([
      runCli(['start', 'throwsPlain', '--input', '["boom"]', '--local', '--json', ...config]),
      runCli(['start', 'throwsPlain', '--input', '["boom"]', '--local', ...config]),
    ]);
    expect(json.code).toBe(1);
    const doc = JSON.parse(json.stdout) as { status: string; error: { code: string; message: string } };
    expect(doc.status).toBe('FAILED');
    expect(doc.error.code).toBe('WORKFLOW_ERROR');
    expect(doc.error.message).toContain('boom');
    expect(plain.code).toBe(1);
    expect(plain.stdout).toBe('');
    expect(plain.stderr).toContain('weft: WORKFLOW_ERROR: ');
  });

  it('keeps --data: the same id answers the recorded outcome', async () => {
    const data = daemonTempDir();
    const first = await runCli([
      'start',
      'echo',
      '--input',
      '[1]',
      '--id',
      'job-1',
      '--data',
      data,
      '--local',
      ...config,
    ]);
    expect(first.stdout).toBe('1\n');
    const again = await runCli([
      'start',
      'echo',
      '--input',
      '[2]',
      '--id',
      'job-1',
      '--data',
      data,
      '--local',
      ...config,
    ]);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('1\n');
  });

  it('is a usage error without a config to load', async () => {
    const r = await runCli(['start', 'echo', '--local']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no config');
  });
});

describe('formatTable', () => {
  const columns = [{ name: 'task' }, { name: 'state' }, { name: 'attempts', align: 'right' as const }];

  it('aligns columns two spaces apart, without trailing spaces', () => {
    const rows = [
      ['examples.double', 'completed', '1'],
      ['inc', 'scheduled', '12'],
    ];
    expect(formatTable(columns, rows)).toBe(
      'examples.double  completed   1\n' + //
        'inc              scheduled  12\n',
    );
  });

  it('prints the column names with header, and widens columns to fit them', () => {
    expect(formatTable(columns, [['a', 'ok', '1']], { header: true })).toBe(
      'task  state  attempts\n' + //
        'a     ok            1\n',
    );
  });

  it('prints nothing for no rows, or only the header', () => {
    expect(formatTable(columns, [])).toBe('');
    expect(formatTable(columns, [], { header: true })).toBe('task  state  attempts\n');
  });

  it('shows missing cells as empty, and keeps each row on one line', () => {
    expect(formatTable([{ name: 'a' }, { name: 'b' }, { name: 'c' }], [['x', undefined, 'line\none\ttab']])).toBe(
      'x    line one tab\n',
    );
  });

  it('formats times to the second and durations in seconds', () => {
    expect(isoSeconds('2015-08-04T23:06:17.738Z')).toBe('2015-08-04T23:06:17Z');
    expect(isoSeconds(undefined)).toBe('');
    expect(seconds(1390)).toBe('1.39');
    expect(seconds(102_204)).toBe('102.20');
    expect(duration('2015-08-04T23:06:17.000Z', '2015-08-04T23:06:18.500Z')).toBe('1.50');
    expect(duration('2015-08-04T23:06:17.000Z', undefined)).toBe('');
  });
});

describe('resolveConnection', () => {
  it('takes the options first, then WEFT_URL and WEFT_TOKEN', () => {
    const env = { WEFT_URL: 'http://env:1', WEFT_TOKEN: 'env-token' };
    expect(resolveConnection({ url: 'http://opt:2', token: 'opt-token' }, env)).toEqual({
      url: 'http://opt:2',
      token: 'opt-token',
    });
    expect(resolveConnection({}, env)).toEqual({ url: 'http://env:1', token: 'env-token' });
  });

  it('builds the URL from WEFT_HOST and WEFT_PORT, and reads the token from the data folder', () => {
    const data = daemonTempDir();
    fs.writeFileSync(path.join(data, 'token'), 'file-token\n');
    expect(resolveConnection({ data }, { WEFT_HOST: '0.0.0.0', WEFT_PORT: '8000' })).toEqual({
      url: 'http://127.0.0.1:8000',
      token: 'file-token',
    });
    expect(resolveConnection({}, { WEFT_DATA: data }).url).toBe('http://127.0.0.1:7420');
  });

  it('is a usage error without a token, naming where it looked', () => {
    const data = daemonTempDir();
    expect(() => resolveConnection({}, {}, data)).toThrow(UsageError);
    expect(() => resolveConnection({}, {}, data)).toThrow(path.join(data, 'weft-data', 'token'));
    expect(() => resolveConnection({ url: 'not a url', token: 't' }, {})).toThrow(/not a URL/);
  });
});

describe('serverSentEvents', () => {
  async function parse(chunks: string[]): Promise<Array<{ event: string; data: string }>> {
    const encoder = new TextEncoder();
    async function* body(): AsyncIterable<Uint8Array> {
      for (const chunk of chunks) yield await Promise.resolve(encoder.encode(chunk));
    }
    const events: Array<{ event: string; data: string }> = [];
    for await (const event of serverSentEvents(body())) events.push(event);
    return events;
  }

  it('parses events split anywhere across chunks, skipping comments', async () => {
    const stream = ': hello\n\nevent: log\ndata: {"msg":"a"}\n\nevent: end\r\ndata: {"status":"SUCCESS"}\r\n\r\n';
    const expected = [
      { event: 'log', data: '{"msg":"a"}' },
      { event: 'end', data: '{"status":"SUCCESS"}' },
    ];
    expect(await parse([stream])).toEqual(expected);
    expect(await parse(stream.split(''))).toEqual(expected);
  });
});
