import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { InvalidArgumentError } from '../errors.js';
import type { Workflow } from '../workflow.js';

/** A module given by path or URL, as a file URL; a `.ts` module with a compiled `.js` beside it uses the `.js`. */
export function moduleUrl(spec: string | URL): string {
  let url: string;
  if (spec instanceof URL) url = spec.href;
  else if (/^[a-z]+:/i.test(spec) && !/^[a-z]:[\\/]/i.test(spec)) url = spec;
  else url = pathToFileURL(isAbsolute(spec) ? spec : resolve(spec)).href;
  if (url.startsWith('file:') && url.endsWith('.ts')) {
    const js = url.slice(0, -3) + '.js';
    if (existsSync(fileURLToPath(js))) return js;
  }
  return url;
}

/** Imports a module on the main thread; TypeScript needs no build step (tsx compiles it on the fly). */
export async function importModule(url: string): Promise<Record<string, unknown>> {
  if (!url.endsWith('.ts') || process.execArgv.some((a) => a.includes('tsx')) || import.meta.url.endsWith('.ts'))
    return (await import(url)) as Record<string, unknown>;
  const { tsImport } = await import('tsx/esm/api');
  return (await tsImport(url, import.meta.url)) as Record<string, unknown>;
}

/** Every function exported by the activity modules, by name; two modules exporting one name is an error. */
export async function loadActivities(specs: ReadonlyArray<string | URL>): Promise<Map<string, string>> {
  const catalog = new Map<string, string>();
  for (const spec of specs) {
    const url = moduleUrl(spec);
    let exports: Record<string, unknown>;
    try {
      exports = await importModule(url);
    } catch (cause) {
      throw new InvalidArgumentError('activities', `cannot load ${url}: ${(cause as Error).message}`);
    }
    for (const [name, value] of Object.entries(exports)) {
      if (typeof value !== 'function') continue;
      const other = catalog.get(name);
      if (other && other !== url)
        throw new InvalidArgumentError('activities', `${name} is exported by both ${other} and ${url}`);
      catalog.set(name, url);
    }
  }
  return catalog;
}

export function isWorkflow(value: unknown): value is Workflow {
  const w = value as Partial<Workflow> | null;
  return (
    typeof w === 'object' &&
    w !== null &&
    typeof w.name === 'string' &&
    typeof w.fn === 'function' &&
    typeof w.version === 'string'
  );
}

/** Workflows given as definitions or as modules whose exports include definitions. */
export async function loadWorkflows(items: ReadonlyArray<Workflow | string | URL>): Promise<Map<string, Workflow>> {
  const workflows = new Map<string, Workflow>();
  const add = (w: Workflow): void => {
    const other = workflows.get(w.name);
    if (other && other !== w) throw new InvalidArgumentError('workflows', `two workflows are named ${w.name}`);
    workflows.set(w.name, w);
  };
  for (const item of items) {
    if (isWorkflow(item)) add(item);
    else if (typeof item === 'string' || item instanceof URL) {
      const url = moduleUrl(item);
      let exports: Record<string, unknown>;
      try {
        exports = await importModule(url);
      } catch (cause) {
        throw new InvalidArgumentError('workflows', `cannot load ${url}: ${(cause as Error).message}`);
      }
      for (const value of Object.values(exports)) if (isWorkflow(value)) add(value);
    } else throw new InvalidArgumentError('workflows', 'list workflow definitions (from workflow()) or module paths');
  }
  return workflows;
}
