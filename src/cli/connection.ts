/**
 * Where the daemon is and how to prove who we are: the URL and the token, from the
 * options, the environment, or the daemon's data folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { WeftClient } from '../client/client.js';
import { UsageError, type OutputOptions } from './output.js';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 7420;

export interface ConnectionOptions {
  url?: string;
  token?: string;
  data?: string;
}

/** The options of every command that talks to a daemon. */
export type ClientCommandOptions = ConnectionOptions & OutputOptions;

/** Adds `--url`, `--token`, `--data`, `--json` and `--header` to a command that talks to a daemon. */
export function withClientOptions(command: Command): Command {
  const group = (option: Option): Option => option.helpGroup('Daemon and output options:');
  return command
    .addOption(
      group(
        new Option(
          '--url <url>',
          `the daemon's URL (default: WEFT_URL, or http://WEFT_HOST:WEFT_PORT, or ${defaultUrl({})})`,
        ),
      ),
    )
    .addOption(
      group(
        new Option('--token <token>', "the daemon's token (default: WEFT_TOKEN, or the token file in the data folder)"),
      ),
    )
    .addOption(
      group(
        new Option(
          '--data <dir>',
          "the daemon's data folder, to read its token file (default: WEFT_DATA, or ./weft-data)",
        ),
      ),
    )
    .addOption(group(new Option('--json', 'print JSON instead of a table')))
    .addOption(group(new Option('--header', 'print the column names above the table')));
}

/** The client for a command's options. */
export function clientFor(options: ConnectionOptions, env: NodeJS.ProcessEnv = process.env): WeftClient {
  return new WeftClient(resolveConnection(options, env));
}

/**
 * URL: `--url`, WEFT_URL, else http://WEFT_HOST:WEFT_PORT (127.0.0.1:7420 by default).
 * Token: `--token`, WEFT_TOKEN, else `<--data | WEFT_DATA | ./weft-data>/token`.
 */
export function resolveConnection(
  options: ConnectionOptions,
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): { url: string; token: string } {
  const url = options.url ?? env.WEFT_URL ?? defaultUrl(env);
  try {
    new URL(url);
  } catch {
    throw new UsageError(`the daemon's URL ${JSON.stringify(url)} is not a URL (e.g. http://127.0.0.1:7420)`);
  }
  // Trimmed, and empty taken as unset, as the daemon does (a token pasted with a newline still works).
  const token = options.token?.trim() || env.WEFT_TOKEN?.trim() || readTokenFile(options, env, cwd);
  return { url, token };
}

function defaultUrl(env: NodeJS.ProcessEnv): string {
  let host = env.WEFT_HOST || DEFAULT_HOST;
  // A daemon listening on every interface is reached on loopback.
  if (host === '0.0.0.0' || host === '::') host = DEFAULT_HOST;
  if (host.includes(':') && !host.startsWith('[')) host = `[${host}]`;
  return `http://${host}:${env.WEFT_PORT || DEFAULT_PORT}`;
}

function readTokenFile(options: ConnectionOptions, env: NodeJS.ProcessEnv, cwd: string): string {
  const file = path.resolve(cwd, options.data ?? env.WEFT_DATA ?? './weft-data', 'token');
  let token = '';
  try {
    token = fs.readFileSync(file, 'utf8').trim();
  } catch {
    // Reported below, with where we looked.
  }
  if (token === '')
    throw new UsageError(
      `no token: pass --token, set WEFT_TOKEN, or point --data (or WEFT_DATA) at the daemon's data folder ` +
        `(looked for ${file})`,
    );
  return token;
}
