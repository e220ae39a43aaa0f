/**
 * Line splitting of byte streams with strict UTF-8 decoding and line numbers in every error.
 *
 * @module
 */
import { type BadRecordOptions, DataFormatError, reject } from "./errors.ts";
import { concatBytes } from "./gzip.ts";

/** One decoded line. */
export interface Line {
  /** The text without the line terminator (`\n` or `\r\n`) and, on line 1, without a UTF-8 BOM. */
  text: string;
  /** 1-based line number. */
  line: number;
}

/**
 * Splits a byte stream into lines. Each line is decoded as strict UTF-8: a line with invalid bytes is an error
 * naming `file` and the line (or is skipped and counted when `options.skipBad`). A read error of the underlying
 * stream (for example a truncated gzip member) always throws, naming the line where reading stopped.
 * Empty lines are yielded; callers decide what they mean.
 */
export async function* readLines(
  stream: ReadableStream<Uint8Array>,
  file: string,
  options?: BadRecordOptions,
): AsyncGenerator<Line> {
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  const reader = stream.getReader();
  let pending: Uint8Array[] = [];
  let lineNo = 0;
  let finished = false;
  const decode = (bytes: Uint8Array): Line | undefined => {
    lineNo++;
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === 0x0d) end--;
    let start = 0;
    if (lineNo === 1 && end >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
    try {
      return { text: decoder.decode(bytes.subarray(start, end)), line: lineNo };
    } catch {
      reject(
        new DataFormatError(file, lineNo, "invalid UTF-8; re-encode the file as UTF-8 (or pass --skip-bad)"),
        options,
      );
      return undefined;
    }
  };
  try {
    while (true) {
      let chunk: Uint8Array;
      try {
        const r = await reader.read();
        if (r.done) {
          finished = true;
          break;
        }
        chunk = r.value;
      } catch (e) {
        finished = true;
        const what = e instanceof Error ? e.message : String(e);
        throw new DataFormatError(
          file,
          lineNo + 1,
          `cannot read past this line (${what}); the file is truncated or corrupt (an interrupted download?): ` +
            `fetch it again`,
        );
      }
      let pos = 0;
      while (pos < chunk.length) {
        const nl = chunk.indexOf(0x0a, pos);
        if (nl < 0) {
          pending.push(chunk.subarray(pos));
          break;
        }
        const piece = chunk.subarray(pos, nl);
        const bytes = pending.length === 0 ? piece : concatBytes([...pending, piece]);
        pending = [];
        pos = nl + 1;
        const line = decode(bytes);
        if (line) yield line;
      }
    }
    if (pending.length > 0) {
      const bytes = concatBytes(pending);
      pending = [];
      if (bytes.length > 0) {
        const line = decode(bytes);
        if (line) yield line;
      }
    }
  } finally {
    // Stopped early (or a decode error was thrown): cancel so that the underlying file or request is closed.
    if (!finished) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}
