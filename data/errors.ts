/**
 * Errors and skip accounting for malformed dataset input.
 *
 * @module
 */

/** A malformed record or file. The message starts with `file:line:` so that users can open the spot. */
export class DataFormatError extends Error {
  /** File path or URL the bad input came from. */
  readonly file: string;
  /** 1-based line (or row) number, or 0 when the problem concerns the whole file. */
  readonly line: number;
  /** The problem without the location prefix. */
  readonly reason: string;

  /** Builds the error; `line` 0 means "the whole file". */
  constructor(file: string, line: number, reason: string) {
    super(`${line > 0 ? `${file}:${line}` : file}: ${reason}`);
    this.name = "DataFormatError";
    this.file = file;
    this.line = line;
    this.reason = reason;
  }
}

/** How readers treat a malformed record. */
export interface BadRecordOptions {
  /** Skip malformed records (counted in `skips`) instead of throwing. Structural problems (missing column,
   * truncated gzip, missing MRQA header) always throw. */
  skipBad?: boolean;
  /** Where skips are counted; required to learn how many were skipped. */
  skips?: SkipTally;
}

/** Counts skipped records per file and keeps the first few messages, for the end-of-run report. */
export class SkipTally {
  /** Skipped records per file. */
  readonly byFile: Map<string, number> = new Map();
  /** The first `keep` error messages. */
  readonly examples: string[] = [];
  #keep: number;

  /** `keep`: how many messages to remember (default 5). */
  constructor(keep = 5) {
    this.#keep = keep;
  }

  /** Records one skipped record. */
  add(error: DataFormatError): void {
    this.byFile.set(error.file, (this.byFile.get(error.file) ?? 0) + 1);
    if (this.examples.length < this.#keep) this.examples.push(error.message);
  }

  /** Total skipped records. */
  get total(): number {
    let n = 0;
    for (const v of this.byFile.values()) n += v;
    return n;
  }

  /** A plain-object summary, e.g. for a manifest. */
  toJSON(): { total: number; byFile: Record<string, number>; examples: string[] } {
    return { total: this.total, byFile: Object.fromEntries(this.byFile), examples: [...this.examples] };
  }
}

/** Throws `error` unless skipping was requested, in which case it is counted. */
export function reject(error: DataFormatError, options: BadRecordOptions | undefined): void {
  if (!options?.skipBad) throw error;
  options.skips?.add(error);
}
