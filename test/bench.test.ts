/**
 * `weft bench` at a tiny size, through the harness's in-process API: every workload runs
 * (W8's phases in their child processes, as always), and the result document, the
 * comparison and the HTML report are checked for shape and consistency. No test asserts a
 * time: the figures only have to be there, finite and positive where they are rates.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOG, WORKLOAD_NAMES } from '../bench/catalog.js';
import { InconsistentRunError, measure, type WorkloadResult } from '../bench/harness.js';
import { BenchOptionError } from '../bench/options.js';
import { createProgress } from '../bench/progress.js';
import { compareDocuments, verdictOf } from '../bench/report/compare.js';
import { readDocument, SCHEMA, type BenchDocument } from '../bench/report/json.js';
import { resolve, runBench, type BenchIO } from '../bench/run.js';
import type { RunContext } from '../bench/workload.js';
import { WORKLOADS } from '../bench/workloads/index.js';
import { registerBenchCommand } from '../src/cli/commands/bench.js';
import { startDaemon, type RunningDaemon } from '../src/daemon/daemon.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-bench-test-'));
const file = (name: string): string => path.join(dir, name);

/** Collects what the bench prints. */
function quietIO(): BenchIO & { text: () => string } {
  let text = '';
  return { out: (t) => void (text += t), err: (t) => void (text += t), progress: 'none', text: () => text };
}

/** The smallest sizes: every count at its floor, one run, no warm-up, a 2-second soak. */
const TINY = { runs: 1, scale: 0.0001, modes: ['process' as const], threads: 2, durationSec: 2, warmUp: false };

/** Figures that are differences, trends or verdicts, and may be zero or negative at a tiny size. */
const SIGNED = new Set([
  'rssPerExecutionBytes',
  'heapPerExecutionBytes',
  'heapSlopeMiBPerMin',
  'rssSlopeMiBPerMin',
  'flatMemory',
  'minOpsPerSec',
]);

let doc: BenchDocument;
let io: ReturnType<typeof quietIO>;

beforeAll(async () => {
  io = quietIO();
  doc = await runBench(
    { ...TINY, workloads: ['all', 'soak'], json: file('first.json'), report: file('report.html') },
    io,
  );
}, 120_000);

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function result(workload: string): WorkloadResult {
  const r = doc.results.find((x) => x.workload === workload);
  if (!r) throw new Error(`no result for ${workload}: ${io.text()}`);
  return r;
}

function value(workload: string, key: string): number {
  const f = result(workload).figures.find((x) => x.key === key);
  if (!f) throw new Error(`${workload} has no figure ${key}`);
  return f.value;
}

describe('every workload at a tiny size', () => {
  it('writes a result document with the machine, version, commit and options', () => {
    expect(readDocument(file('first.json'))).toEqual(JSON.parse(JSON.stringify(doc)));
    expect(doc.schema).toBe(SCHEMA);
    expect(Number.isNaN(Date.parse(doc.timestamp))).toBe(false);
    expect(doc.weft.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(doc.weft.commit).toMatch(/^([0-9a-f]{40}(-dirty)?|unknown)$/);
    expect(doc.machine).toMatchObject({ node: process.version, platform: process.platform });
    expect(doc.machine.cores).toBeGreaterThan(0);
    expect(doc.machine.memoryBytes).toBeGreaterThan(0);
    expect(doc.options).toMatchObject({ runs: 1, scale: 0.0001, modes: ['process'], threads: 2, target: 'embedded' });
  });

  it('runs every workload', () => {
    const done = new Set(doc.results.map((r) => r.workload));
    for (const name of WORKLOAD_NAMES) {
      const skipped = doc.skipped.find((s) => s.workload === name);
      expect(done.has(name), `${name}: ${skipped?.reason ?? 'missing'}\n${io.text()}`).toBe(true);
    }
    expect(doc.skipped).toEqual([]);
    expect(doc.failed).toEqual([]);
  });

  it('reports finite figures, positive unless they are a difference, and one run each', () => {
    for (const r of doc.results) {
      expect(r.runs).toBe(1);
      expect(r.mode).toBe('process');
      expect(r.figures.some((f) => f.key === 'peakRssBytes')).toBe(true);
      for (const f of r.figures) {
        expect(Number.isFinite(f.value), `${r.workload} ${f.key}`).toBe(true);
        expect(f.runs).toHaveLength(1);
        // Latencies from a history have millisecond resolution: a fast one can be 0.
        if (/^latencyP/.test(f.key)) expect(f.value, `${r.workload} ${f.key}`).toBeGreaterThanOrEqual(0);
        else if (!SIGNED.has(f.key)) expect(f.value, `${r.workload} ${f.key}`).toBeGreaterThan(0);
        if (f.ratio !== undefined) {
          expect(f.ratio, `${r.workload} ${f.key} ratio`).toBeGreaterThan(0);
          expect(f.ratioOf).toBeTruthy();
        }
      }
    }
  });

  it('finishes everything it submits', () => {
    for (const r of doc.results.filter((x) => x.workload !== 'limits')) {
      expect(r.counts, r.workload).toBeDefined();
      expect(r.counts!.submitted, r.workload).toBeGreaterThan(0);
      expect(r.counts!.completed, r.workload).toBe(r.counts!.submitted);
    }
  });

  it('gives ratios to the limits measured in the same run', () => {
    const ratio = (w: string, key: string): number | undefined => result(w).figures.find((f) => f.key === key)?.ratio;
    expect(ratio('w1-one-step', 'workflowsPerSec')).toBeCloseTo(
      value('w1-one-step', 'workflowsPerSec') / value('limits', 'noopTasksPerSec'),
      6,
    );
    expect(ratio('w6-settings', 'writesPerSec')).toBeCloseTo(
      value('w6-settings', 'writesPerSec') / value('limits', 'rawBatchPutsPerSec'),
      6,
    );
    expect(ratio('w4-cpu', 'speedUp')).toBeCloseTo(value('w4-cpu', 'speedUp') / value('w4-cpu', 'rawSpeedUp'), 6);
  });

  it('keeps latency percentiles in order and a histogram of every sample', () => {
    for (const r of doc.results.filter((x) => x.latency)) {
      const [p50, p95, p99] = [50, 95, 99].map((p) => value(r.workload, `latencyP${p}Ms`));
      expect(p50).toBeLessThanOrEqual(p95!);
      expect(p95).toBeLessThanOrEqual(p99!);
      const h = r.latency!.histogram;
      expect(h.bounds).toHaveLength(h.counts.length + 1);
      expect(h.counts.reduce((a, b) => a + b, 0)).toBe(r.latency!.samples);
    }
  });

  it('scales W4 over 1..threads and W5 over its contenders', () => {
    const w4 = result('w4-cpu').series!.find((s) => s.name === 'weft')!;
    expect(w4.points.map(([x]) => x)).toEqual([1, 2]);
    const w5 = result('w5-locks').series!.find((s) => s.chart === 'w5-contenders')!;
    expect(w5.points.map(([x]) => x)).toEqual([2, 10, 100]);
  });

  it('measures W8 in child processes and projects to 100,000', () => {
    expect(value('w8-resume', 'projectedRssBytes')).toBeGreaterThan(value('w8-resume', 'waitingRssBytes') - 1);
    expect(value('w8-resume', 'resumeSeconds')).toBeGreaterThanOrEqual(value('w8-resume', 'openSeconds'));
    expect(result('w8-resume').counts).toEqual({ submitted: 200, completed: 200 });
  });

  it('samples the soak over time', () => {
    const soak = result('soak');
    expect(soak.series!.find((s) => s.chart === 'soak-throughput')!.points.length).toBeGreaterThan(1);
    expect([0, 1]).toContain(value('soak', 'flatMemory'));
  });

  it('prints a summary table with every workload it ran', () => {
    for (const r of doc.results) expect(io.text()).toContain(r.workload);
    expect(io.text()).toContain('latency p50 / p95 / p99');
  });

  it('writes a self-contained HTML report', () => {
    const html = fs.readFileSync(file('report.html'), 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
    expect(html).not.toMatch(/url\(\s*["']?(https?:)?\/\//i);
    expect(html).toContain('W4: CPU-bound activities vs threads');
    expect(html).toContain('W5: lock hand-offs vs contenders');
  });
});

describe('--compare', () => {
  it('prints current ÷ earlier for every figure both results have', async () => {
    const out = quietIO();
    const second = await runBench({ ...TINY, workloads: ['w1-one-step'], compare: file('first.json') }, out);
    const { rows } = compareDocuments(second, doc);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.workload).toMatch(/^(limits|w1-one-step)$/);
      expect(row.ratio).toBeCloseTo(row.current / row.earlier, 9);
      expect(['regression', 'improvement', 'same']).toContain(row.verdict);
    }
    expect(out.text()).toContain('current ÷ earlier');
  }, 60_000);

  it('calls more than 10% worse a regression, in each figure’s direction', () => {
    expect(verdictOf(0.85, 'higher')).toBe('regression');
    expect(verdictOf(0.95, 'higher')).toBe('same');
    expect(verdictOf(1.2, 'higher')).toBe('improvement');
    expect(verdictOf(1.15, 'lower')).toBe('regression');
    expect(verdictOf(0.8, 'lower')).toBe('improvement');
    expect(verdictOf(3, 'none')).toBe('same');
  });
});

describe('--url', () => {
  let daemon: RunningDaemon;
  let dataDir: string;

  beforeAll(async () => {
    process.env.LOG_LEVEL = 'silent';
    dataDir = fs.mkdtempSync(path.join(dir, 'daemon-'));
    daemon = await startDaemon({ config: 'bench/weft.config.ts', dataDir, port: 0, threads: 2 });
  }, 60_000);

  afterAll(async () => {
    await daemon?.close();
  });

  it('runs w1, w2, w3 and w6 through the HTTP API and skips the in-process ones', async () => {
    const token = fs.readFileSync(path.join(dataDir, 'token'), 'utf8').trim();
    const out = quietIO();
    const remote = await runBench(
      {
        ...TINY,
        workloads: ['w1-one-step', 'w2-sequential', 'w3-fanout', 'w4-cpu', 'w6-settings'],
        daemon: { url: daemon.url, token },
      },
      out,
    );
    expect(remote.options).toMatchObject({ target: 'daemon', url: daemon.url, modes: ['daemon'] });
    expect(JSON.stringify(remote)).not.toContain(token);
    expect(remote.results.map((r) => r.workload)).toEqual([
      'limits',
      'w1-one-step',
      'w2-sequential',
      'w3-fanout',
      'w6-settings',
    ]);
    expect(remote.skipped).toEqual([
      { workload: 'w4-cpu', reason: expect.stringContaining('in-process only') as string },
    ]);
    expect(remote.failed).toEqual([]);
    for (const r of remote.results) {
      expect(r.target).toBe('daemon');
      expect(r.figures.find((f) => f.key === 'peakRssBytes')).toMatchObject({
        label: expect.stringContaining('daemon') as string,
      });
      expect(r.figures.find((f) => f.key === 'peakRssBytes')!.value).toBeGreaterThan(0);
      if (r.counts) expect(r.counts.completed).toBe(r.counts.submitted);
    }
    const w1 = remote.results.find((r) => r.workload === 'w1-one-step')!;
    expect(w1.figures.find((f) => f.key === 'workflowsPerSec')!.ratioOf).toContain('GET /health');
  }, 60_000);
});

describe('the harness', () => {
  it('fails a run that lost work', async () => {
    const lossy = {
      name: 'lossy',
      sizes: () => ({}),
      figures: () => [{ key: 'opsPerSec', label: 'ops', unit: 'ops/s', better: 'higher' as const }],
      run: (_ctx: RunContext) => Promise.resolve({ values: { opsPerSec: 1 }, counts: { submitted: 3, completed: 2 } }),
    };
    await expect(
      measure({
        workload: lossy,
        sizes: {},
        mode: 'process',
        target: 'embedded',
        options: resolve(TINY),
        limits: {},
        progress: createProgress('none', 1, () => undefined),
        exec: (ctx) => lossy.run(ctx),
      }),
    ).rejects.toBeInstanceOf(InconsistentRunError);
  });
});

describe('options and help', () => {
  it('names the option that is wrong', () => {
    const wrong = (raw: Parameters<typeof resolve>[0]): string | undefined => {
      try {
        resolve(raw);
      } catch (err) {
        return err instanceof BenchOptionError ? err.option : 'not a BenchOptionError';
      }
    };
    expect(wrong({ runs: 0 })).toBe('runs');
    expect(wrong({ scale: -1 })).toBe('scale');
    expect(wrong({ modes: ['disk' as never] })).toBe('modes');
    expect(wrong({ workloads: ['w9'] })).toBe('workloads');
    expect(wrong({ durationSec: 0 })).toBe('duration');
    expect(resolve({ workloads: ['registry', 'w1-one-step'] }).workloads).toEqual([
      'w1-one-step',
      'w5-locks',
      'w6-settings',
    ]);
    expect(resolve({}).workloads).not.toContain('soak');
  });

  it('lists every workload in --help, in the order they run', () => {
    expect(WORKLOADS.map((w) => w.name)).toEqual(WORKLOAD_NAMES);
    const program = new Command('weft').exitOverride();
    let help = '';
    program.configureOutput({ writeOut: (t) => void (help += t) });
    registerBenchCommand(program);
    expect(() => program.parse(['bench', '--help'], { from: 'user' })).toThrow();
    for (const w of CATALOG) expect(help).toContain(`${w.name}  `);
    for (const flag of [
      '--runs',
      '--scale',
      '--modes',
      '--json',
      '--compare',
      '--report',
      '--url',
      '--duration',
      '--threads',
    ])
      expect(help).toContain(flag);
  });
});
