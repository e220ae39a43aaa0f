/**
 * Progress reporting: a one-line bar redrawn in place on a terminal, plain log lines otherwise.
 * @module
 */

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

/** Writes progress to stdout: a bar on a TTY, lines otherwise. */
export class Progress {
  #tty: boolean;
  #encoder = new TextEncoder();
  #open = false;

  /** `tty` defaults to whether stdout is a terminal. */
  constructor(tty: boolean = Deno.stdout.isTerminal()) {
    this.#tty = tty;
  }

  /** Reports a sample. */
  update(p: ProgressSample): void {
    const line = formatProgress(p);
    if (this.#tty) {
      const width = 24;
      const filled = Math.round((p.step / Math.max(1, p.total)) * width);
      const bar = `[${"#".repeat(filled)}${".".repeat(width - filled)}]`;
      Deno.stdout.writeSync(this.#encoder.encode(`\r\x1b[2K${bar} ${line}`));
      this.#open = true;
    } else {
      console.log(line);
    }
  }

  /** Prints a message on its own line (ending the bar line first). */
  log(message: string): void {
    if (this.#open) {
      Deno.stdout.writeSync(this.#encoder.encode("\n"));
      this.#open = false;
    }
    console.log(message);
  }
}
