/**
 * Progress reporting: a one-line bar redrawn in place on a terminal, plain log lines otherwise.
 * @module
 */
import { ProgressBar } from "@std/cli/unstable-progress-bar";

/** One progress sample. */
export interface ProgressSample {
  /** Optimiser step. */
  step: number;
  /** Total steps. */
  total: number;
  /** Mean training loss since the last report (null when not read this step). */
  loss: number | null;
  /** Learning rate. */
  lr: number;
  /** Source + target tokens per second since the last report. */
  tokensPerSecond: number;
  /** Seconds elapsed. */
  elapsed: number;
}

function fmtTime(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, "0")}m` : `${m}m${String(s % 60).padStart(2, "0")}s`;
}

/** Formats a sample as a log line. */
export function formatProgress(p: ProgressSample): string {
  const eta = p.step > 0 ? (p.elapsed / p.step) * (p.total - p.step) : Infinity;
  const loss = p.loss === null ? "" : ` loss ${p.loss.toFixed(4)}`;
  return `step ${p.step}/${p.total}${loss} lr ${p.lr.toExponential(2)} ${Math.round(p.tokensPerSecond)} tok/s ` +
    `elapsed ${fmtTime(p.elapsed)} eta ${fmtTime(eta)}`;
}

/**
 * Writes progress to stdout: on a terminal `@std/cli`'s `ProgressBar` (redrawn once a second) followed by this
 * module's sample line — loss, learning rate, tokens per second and ETA, which the bar itself cannot show; plain log
 * lines otherwise. {@link Progress.close} stops the bar (its redraw timer keeps the process alive until then).
 */
export class Progress {
  #tty: boolean;
  #writable: WritableStream<Uint8Array> | null;
  #bar: ProgressBar | null = null;
  #last: ProgressSample | null = null;
  #value = 0;

  /**
   * `tty` defaults to whether stdout is a terminal; `writable` (default stdout) is where the bar and the log lines go
   * on a terminal.
   */
  constructor(tty: boolean = Deno.stdout.isTerminal(), writable: WritableStream<Uint8Array> | null = null) {
    this.#tty = tty;
    this.#writable = writable;
  }

  /** Reports a sample. */
  update(p: ProgressSample): void {
    if (!this.#tty) {
      console.log(formatProgress(p));
      return;
    }
    this.#last = p;
    this.#bar ??= new ProgressBar(this.#writable ?? Deno.stdout.writable, {
      max: Math.max(1, p.total),
      barLength: 24,
      emptyChar: ".",
      fmt: (f) => `${f.progressBar} ${this.#last ? formatProgress(this.#last) : ""}`,
    });
    this.#bar.add(p.step - this.#value);
    this.#value = p.step;
  }

  /** Prints a message on its own line (clearing the bar's line first; the bar redraws below it). */
  log(message: string): void {
    if (this.#bar && !this.#writable) Deno.stdout.writeSync(new TextEncoder().encode("\r\x1b[K"));
    console.log(message);
  }

  /** Draws the bar a last time and ends its line; a later {@link Progress.update} starts a new bar. */
  async close(): Promise<void> {
    const bar = this.#bar;
    this.#bar = null;
    this.#value = 0;
    await bar?.end();
  }
}
