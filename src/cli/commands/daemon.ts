/** `weft daemon`: runs the HTTP API over one runtime until SIGTERM or SIGINT. */
import { Option, type Command } from 'commander';
import type { Durability } from '../../store/journal.js';
import { integer } from '../output.js';

interface DaemonCommandOptions {
  config?: string;
  data?: string;
  host?: string;
  port?: number;
  threads?: number;
  durability?: Durability;
  bodyLimit?: number;
  graceMs?: number;
}

export function registerDaemonCommand(program: Command): void {
  program
    .command('daemon')
    .description('run the weft daemon: one runtime on a data folder, served over HTTP until SIGTERM or SIGINT')
    .option('--config <file>', 'the config file (default: weft.config.ts, .js or .mjs in the current folder)')
    .option('--data <dir>', 'the data folder (default: WEFT_DATA, or ./weft-data)')
    .option('--host <host>', 'the address to listen on (default: WEFT_HOST, or 127.0.0.1)')
    .option('--port <n>', 'the port to listen on; 0 picks a free one (default: WEFT_PORT, or 7420)', integer(0))
    .option('--threads <n>', 'worker threads per task list (default: the number of cores)', integer(1))
    .addOption(
      new Option(
        '--durability <mode>',
        'fsync: nothing acknowledged is lost; process: survives a killed process',
      ).choices(['fsync', 'process']),
    )
    .option('--body-limit <bytes>', 'the largest request body accepted (default: 1 MiB)', integer(1))
    .option('--grace-ms <n>', 'on stop, how long running activities may take to finish (default: 5000)', integer(0))
    .addHelpText(
      'after',
      `
It prints its URL and where its token is, then logs (pino JSON) to stderr. LOG_LEVEL sets the log level.

Example:
  $ weft daemon --data ./weft-data --port 7420
  $ WEFT_TOKEN=secret weft daemon --config ./weft.config.ts --port 0`,
    )
    .action(async (options: DaemonCommandOptions) => {
      // Loaded here so that client commands do not pay for the server's modules.
      const { runDaemon } = await import('../../daemon/daemon.js');
      await runDaemon({
        ...(options.config !== undefined && { config: options.config }),
        ...(options.data !== undefined && { dataDir: options.data }),
        ...(options.host !== undefined && { host: options.host }),
        ...(options.port !== undefined && { port: options.port }),
        ...(options.threads !== undefined && { threads: options.threads }),
        ...(options.durability !== undefined && { durability: options.durability }),
        ...(options.bodyLimit !== undefined && { bodyLimit: options.bodyLimit }),
        ...(options.graceMs !== undefined && { shutdownGraceMs: options.graceMs }),
      });
    });
}
