import { resolve } from 'node:path';
import { defaultLogger } from '../logger.js';
import { findConfig, isPort, loadConfig, type WeftConfig } from '../config.js';
import { ConfigError, InvalidArgumentError } from '../errors.js';
import { Runtime } from '../runtime.js';
import type { Durability } from '../store/journal.js';
import { buildServer } from './server.js';
import { loadToken } from './token.js';

/** `weft daemon`'s options; each falls back to the environment, then the config file, then its default. */
export interface DaemonOptions {
  /** A config file; by default weft.config.ts / .js / .mjs in the current folder, if there is one. */
  config?: string;
  /** WEFT_DATA, then the config, then './weft-data'. */
  dataDir?: string;
  /** WEFT_HOST, then the config, then '127.0.0.1'. */
  host?: string;
  /** WEFT_PORT, then the config, then 7420; 0 picks a free port. */
  port?: number;
  threads?: number;
  durability?: Durability;
  bodyLimit?: number;
  shutdownGraceMs?: number;
}

export interface RunningDaemon {
  url: string;
  runtime: Runtime;
  /** Stops accepting requests, lets running activities finish within the grace period, closes the store. */
  close(): Promise<void>;
}

/** Starts the daemon and serves until SIGTERM or SIGINT; resolves once it has stopped cleanly. */
export async function runDaemon(options: DaemonOptions = {}): Promise<void> {
  const daemon = await startDaemon(options);
  await new Promise<void>((done) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) {
        // A second signal: the operator will not wait. Nothing acknowledged is lost (the journal is durable).
        process.stderr.write(`weft: ${signal} again: exiting now\n`);
        process.exit(1);
      }
      stopping = true;
      process.stderr.write(`weft: ${signal}: stopping (running activities get the grace period)\n`);
      daemon.close().then(done, (err: unknown) => {
        process.stderr.write(`weft: stopping failed: ${(err as Error).stack ?? String(err)}\n`);
        process.exit(1);
      });
    };
    process.on('SIGTERM', stop).on('SIGINT', stop);
  });
}

/** Opens the runtime on the data folder and serves the HTTP API; prints where, and how to talk to it. */
export async function startDaemon(options: DaemonOptions = {}): Promise<RunningDaemon> {
  const configFile = options.config ?? findConfig();
  const config: WeftConfig = configFile ? await loadConfig(configFile) : {};
  const env = process.env;
  const dataDir = resolve(options.dataDir ?? env.WEFT_DATA ?? config.dataDir ?? './weft-data');
  const host = options.host ?? env.WEFT_HOST ?? config.host ?? '127.0.0.1';
  const port = options.port ?? envPort(env.WEFT_PORT) ?? config.port ?? 7420;
  if (!isPort(port)) throw new InvalidArgumentError('port', 'it must be a whole number from 0 to 65535');
  const logger = config.logger ?? defaultLogger('info');
  const { host: _host, port: _port, bodyLimit: configBodyLimit, ...runtimeOptions } = config;
  const runtime = await Runtime.open({
    ...runtimeOptions,
    dataDir,
    logger,
    ...(options.threads !== undefined && { threads: options.threads }),
    ...(options.durability !== undefined && { durability: options.durability }),
    ...(options.shutdownGraceMs !== undefined && { shutdownGraceMs: options.shutdownGraceMs }),
  });
  try {
    const { token, file } = loadToken(dataDir, env);
    const app = await buildServer(runtime, {
      token,
      bodyLimit: options.bodyLimit ?? configBodyLimit ?? 1024 * 1024,
      logger,
    });
    await app.listen({ host, port });
    const address = app.server.address();
    const bound = typeof address === 'object' && address !== null ? address.port : port;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
    process.stdout.write(
      `weft daemon listening on ${url}\n` +
        (file ? `token file: ${file}\n` : 'token: from WEFT_TOKEN\n') +
        `try: ${tryLine(url, file && dataDir)}\n`,
    );
    if (!configFile) logger.warn('no config file (weft.config.ts/.js/.mjs here, or --config): no workflows are loaded');
    return {
      url,
      runtime,
      close: async () => {
        await app.close();
        await runtime.close();
      },
    };
  } catch (err) {
    await runtime.close();
    throw err;
  }
}

/** A CLI line that reaches this daemon, leaving out what the CLI finds by default. */
function tryLine(url: string, dataDir: string | undefined): string {
  const args = ['weft list --header'];
  if (url !== 'http://127.0.0.1:7420') args.push(`--url ${url}`);
  if (dataDir && dataDir !== resolve('weft-data')) args.push(`--data ${dataDir}`);
  return args.join(' ');
}

function envPort(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const port = Number(value);
  if (!isPort(port)) throw new ConfigError('WEFT_PORT', `${JSON.stringify(value)} is not a port (0 to 65535)`);
  return port;
}
