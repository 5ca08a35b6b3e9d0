/**
 * Where the bench says how far it is: a progress bar on a terminal (cli-progress, on
 * stderr), plain lines otherwise, or nothing.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  /** A run of a workload starts. */
  begin(label: string): void;
  /** Within a run: e.g. 'threads 2', 'soak 30/60 s'. */
  detail(text: string): void;
  /** The run ended. */
  done(): void;
  /** A line that must stay visible (a skipped workload, a warning). */
  say(text: string): void;
  stop(): void;
}

export type ProgressKind = 'bar' | 'lines' | 'none';

export function createProgress(kind: ProgressKind, total: number, write: (text: string) => void): Progress {
  if (kind === 'bar') return barProgress(total);
  if (kind === 'lines') return lineProgress(total, write);
  return { begin() {}, detail() {}, done() {}, say: (text) => write(text + '\n'), stop() {} };
}

function barProgress(total: number): Progress {
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: '{bar} {value}/{total} runs | {task} {detail}',
      hideCursor: true,
      clearOnComplete: true,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { task: '', detail: '' });
  return {
    begin: (task) => bar.update({ task, detail: '' }),
    detail: (detail) => bar.update({ detail }),
    done: () => bar.increment(),
    say: (text) => {
      // Above the bar: clear its line, print, and let it redraw.
      process.stderr.write(`\r\x1b[K${text}\n`);
      bar.render();
    },
    stop: () => bar.stop(),
  };
}

/** One line per run, and a detail line at most every 5 s (a log file stays short). */
function lineProgress(total: number, write: (text: string) => void): Progress {
  let n = 0;
  let label = '';
  let lastDetail = 0;
  return {
    begin: (text) => {
      label = text;
      lastDetail = Date.now();
      write(`[${n + 1}/${total}] ${text}\n`);
    },
    detail: (text) => {
      if (Date.now() - lastDetail < 5000) return;
      lastDetail = Date.now();
      write(`[${n + 1}/${total}] ${label}: ${text}\n`);
    },
    done: () => void n++,
    say: (text) => write(text + '\n'),
    stop() {},
  };
}
