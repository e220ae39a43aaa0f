/**
 * Download progress on stderr: bytes, rate and time left, drawn with `@std/cli`'s ProgressBar (its formatter gets the
 * values and times from which rate and time left follow). Only on a terminal; elsewhere one line per file.
 * @module
 */
import { ProgressBar, type ProgressBarFormatter } from "@std/cli/unstable-progress-bar";

/** Receives the bytes of one download. */
export interface DownloadProgress {
  /** Adds bytes received. */
  add(bytes: number): void;
  /** Ends the bar (or prints the closing line). */
  end(): Promise<void>;
}

function mib(n: number): string {
  return (n / 2 ** 20).toFixed(1);
}

function clock(seconds: number): string {
  if (!Number.isFinite(seconds)) return "--:--";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor(s / 60) % 60).padStart(2, "0");
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** One line of the bar: name, bar, MiB done / total, rate, time left. Exported for tests. */
export function formatProgress(name: string, f: ProgressBarFormatter, startValue: number): string {
  const seconds = f.time / 1000;
  const rate = seconds > 0 ? (f.value - startValue) / seconds : 0;
  const left = rate > 0 ? (f.max - f.value) / rate : Infinity;
  return `${name} ${f.progressBar} ${mib(f.value)}/${mib(f.max)} MiB ${mib(rate)} MiB/s ${clock(left)} left`;
}

/**
 * Progress of one download of `total` bytes, of which `already` were on disk (a resumed download).
 * `interactive` false prints a line at the end only (logs, CI, tests).
 */
export function downloadProgress(
  name: string,
  total: number,
  already: number,
  interactive: boolean,
  log: (message: string) => void,
): DownloadProgress {
  const started = performance.now();
  let value = already;
  if (!interactive) {
    return {
      add(bytes) {
        value += bytes;
      },
      end() {
        const s = (performance.now() - started) / 1000;
        log(
          `downloaded ${name}: ${mib(value - already)} MiB in ${s.toFixed(1)} s${
            already ? ` (resumed at ${mib(already)} MiB)` : ""
          }`,
        );
        return Promise.resolve();
      },
    };
  }
  const short = name.length > 40 ? `…${name.slice(-39)}` : name;
  const bar = new ProgressBar(Deno.stderr.writable, {
    max: Math.max(total, 1),
    value: already,
    barLength: 24,
    fmt: (f) => formatProgress(short, f, already),
  });
  return {
    add: (bytes) => bar.add(bytes),
    end: () => bar.end(),
  };
}
