import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ConfigError } from './errors.js';
import { importModule, moduleUrl } from './executions/catalog.js';
import type { RuntimeOptions } from './options.js';

/** A `weft.config.ts` / `.js`: the runtime's options, plus where the daemon listens. */
export interface WeftConfig extends RuntimeOptions {
  /** @default '127.0.0.1' */
  host?: string;
  /** @default 7420 */
  port?: number;
  /** The largest request body the daemon takes, in bytes. @default 1048576 */
  bodyLimit?: number;
}

/** Looked for in this order in the current folder. */
export const CONFIG_FILES = ['weft.config.ts', 'weft.config.js', 'weft.config.mjs'] as const;

const KEYS = new Set<string>([
  'dataDir',
  'durability',
  'inMemory',
  'clock',
  'logger',
  'workflows',
  'activities',
  'threads',
  'concurrentTasksPerWorker',
  'maxRunning',
  'shutdownGraceMs',
  'dormantAfterMs',
  'resources',
  'retention',
  'secretKey',
  'host',
  'port',
  'bodyLimit',
] satisfies Array<keyof WeftConfig>);

export function findConfig(cwd: string = process.cwd()): string | undefined {
  return CONFIG_FILES.map((name) => resolve(cwd, name)).find((file) => existsSync(file));
}

/**
 * Loads a config module: its default export, or its named exports. Module paths in
 * `workflows` and `activities` resolve against the config file's folder.
 *
 * @example
 * // weft.config.ts
 * export default { workflows: ['./workflows.ts'], activities: ['./activities.ts'], port: 7420 };
 */
export async function loadConfig(file: string): Promise<WeftConfig> {
  const path = resolve(file);
  if (!existsSync(path)) throw new ConfigError(path, 'no such file');
  let exports: Record<string, unknown>;
  try {
    exports = await importModule(moduleUrl(path));
  } catch (err) {
    throw new ConfigError(path, `it does not load: ${(err as Error).message}`);
  }
  const raw = (exports.default ?? exports) as unknown;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new ConfigError(path, 'export an object: export default { workflows: [...], activities: [...] }');
  const config = { ...(raw as Record<string, unknown>) };
  delete config.default;
  const unknown = Object.keys(config).filter((key) => !KEYS.has(key));
  if (unknown.length > 0)
    throw new ConfigError(path, `unknown option ${unknown.join(', ')}; known: ${[...KEYS].join(', ')}`);
  if (!Array.isArray(config.workflows) || config.workflows.length === 0)
    throw new ConfigError(path, "it loads no workflow: export workflows: ['./workflows.ts', …]");
  const base = dirname(path);
  for (const key of ['workflows', 'activities'] as const) {
    const list = config[key];
    if (list === undefined) continue;
    if (!Array.isArray(list)) throw new ConfigError(path, `${key} must be a list`);
    config[key] = list.map((item: unknown) => (typeof item === 'string' ? relativeTo(base, item) : item));
  }
  if (config.port !== undefined && !isPort(config.port))
    throw new ConfigError(path, 'port must be a whole number from 0 to 65535');
  if (config.host !== undefined && typeof config.host !== 'string')
    throw new ConfigError(path, 'host must be a string');
  return config;
}

export function isPort(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 65535;
}

/** A module path relative to the config's folder; URLs and absolute paths as they are. */
function relativeTo(base: string, spec: string): string {
  if (/^[a-z]+:/i.test(spec) && !/^[a-z]:[\\/]/i.test(spec)) return spec;
  return isAbsolute(spec) ? spec : resolve(base, spec);
}
