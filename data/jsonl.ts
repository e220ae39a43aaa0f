/**
 * JSON Lines readers (plain or gzip'd; gzip is detected from the bytes): generic records, and user tasks given as
 * `{task, input, target}` lines.
 *
 * @module
 */
import { type BadRecordOptions, DataFormatError, reject } from "./errors.ts";
import { gunzipIfNeeded } from "./gzip.ts";
import { readLines } from "./lines.ts";
import type { RawRecord } from "./tasks.ts";

/** One JSON object with its line number. */
export interface JsonlRecord {
  /** The parsed object. */
  value: RawRecord;
  /** 1-based line in the (decompressed) file. */
  line: number;
}

/**
 * Reads JSON Lines from a byte stream (gzip detected from the magic bytes). Invalid JSON, a line that is not an
 * object and bad UTF-8 throw with file and line, or are skipped and counted with `options.skipBad`. Blank lines are
 * ignored; a file with no record at all (empty or blank lines only) throws naming it. A truncated gzip always throws.
 */
export async function* readJsonl(
  stream: ReadableStream<Uint8Array>,
  file: string,
  options?: BadRecordOptions,
): AsyncGenerator<JsonlRecord> {
  let lines = 0;
  for await (const { text, line } of readLines(await gunzipIfNeeded(stream), file, options)) {
    if (text.trim() === "") continue;
    lines++;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      reject(
        new DataFormatError(file, line, `invalid JSON: ${(e as Error).message} (pass --skip-bad to skip)`),
        options,
      );
      continue;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      reject(new DataFormatError(file, line, "expected a JSON object on this line (pass --skip-bad to skip)"), options);
      continue;
    }
    yield { value: value as RawRecord, line };
  }
  if (lines === 0) {
    throw new DataFormatError(file, 0, "holds no records (the file is empty or has only blank lines); check the path");
  }
}

/**
 * Reads user tasks: JSONL lines `{"task": "...", "input": "...", "target": "..."}` (an optional string `id` is
 * kept). A missing or non-string field is an error naming file, line and field (or a counted skip).
 */
export async function* readUserTasks(
  stream: ReadableStream<Uint8Array>,
  file: string,
  options?: BadRecordOptions,
): AsyncGenerator<JsonlRecord> {
  for await (const rec of readJsonl(stream, file, options)) {
    const bad = ["task", "input", "target"].find((k) => typeof rec.value[k] !== "string");
    if (bad !== undefined) {
      reject(
        new DataFormatError(
          file,
          rec.line,
          `field "${bad}" missing or not a string; user task lines are {"task": ..., "input": ..., "target": ...}`,
        ),
        options,
      );
      continue;
    }
    if ((rec.value.task as string).trim() === "") {
      reject(new DataFormatError(file, rec.line, `field "task" is empty`), options);
      continue;
    }
    if (rec.value.id !== undefined && typeof rec.value.id !== "string") {
      reject(new DataFormatError(file, rec.line, `field "id" must be a string when given`), options);
      continue;
    }
    yield rec;
  }
}
