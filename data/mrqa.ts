/**
 * MRQA 2019 readers (the shared task's released files): the original gzip'd JSON Lines (a header line, then one context per
 * line with its `qas`) and Hugging Face `mrqa` parquet rows (one question per row, struct-of-lists answers). Both
 * produce one {@link MrqaQuestion} per question.
 *
 * @module
 */
import { type BadRecordOptions, DataFormatError, reject } from "./errors.ts";
import { readJsonl } from "./jsonl.ts";

/** One MRQA question with its context and answers. Character spans are inclusive at both ends, as in MRQA. */
export interface MrqaQuestion {
  /** Dataset name, e.g. "SQuAD" (header `dataset`, or the HF `subset` column). */
  subset: string;
  /** Unique question id. */
  qid: string;
  /** Question text. */
  question: string;
  /** Context text (with its `[TLE]`/`[DOC]`/`[PAR]` markers). */
  context: string;
  /** Accepted answers (the evaluation ground truth). */
  answers: string[];
  /** Answers found in the context, index-aligned with `answers` (as the reference chunker assumes). */
  detectedAnswers: { text: string; charSpans: [number, number][] }[];
}

/** One question with the line (or parquet row) it came from. */
export interface MrqaRecord {
  /** The question. */
  value: MrqaQuestion;
  /** 1-based line (JSONL) or row (parquet). */
  line: number;
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === "string");
}

function spansOf(v: unknown): [number, number][] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: [number, number][] = [];
  for (const s of v) {
    if (!Array.isArray(s) || s.length !== 2 || !Number.isInteger(s[0]) || !Number.isInteger(s[1])) return undefined;
    out.push([s[0], s[1]]);
  }
  return out;
}

function parseQa(qa: unknown, subset: string, context: string, at: string): MrqaQuestion | string {
  if (typeof qa !== "object" || qa === null) return `${at} is not an object`;
  const o = qa as Record<string, unknown>;
  for (const k of ["qid", "question"]) if (typeof o[k] !== "string") return `${at}.${k} missing or not a string`;
  if (!isStringArray(o.answers)) return `${at}.answers missing or not a list of strings`;
  if (!Array.isArray(o.detected_answers)) return `${at}.detected_answers missing or not a list`;
  const detected: MrqaQuestion["detectedAnswers"] = [];
  for (let i = 0; i < o.detected_answers.length; i++) {
    const d = o.detected_answers[i] as Record<string, unknown>;
    const spans = spansOf(d?.char_spans);
    if (typeof d?.text !== "string" || spans === undefined) {
      return `${at}.detected_answers[${i}] needs "text" and "char_spans": [[start, end], ...]`;
    }
    detected.push({ text: d.text, charSpans: spans });
  }
  return {
    subset,
    qid: o.qid as string,
    question: o.question as string,
    context,
    answers: o.answers,
    detectedAnswers: detected,
  };
}

/**
 * Reads an MRQA 2019 `.jsonl.gz` (or plain `.jsonl`) file. Line 1 must be the header
 * `{"header": {"dataset": ..., "split": ...}}` (otherwise it throws). A malformed context line (invalid JSON, missing
 * `context`/`qas`, a malformed question) throws naming file, line and field, or is skipped (all its questions) and
 * counted with `options.skipBad`.
 */
export async function* readMrqaJsonl(
  stream: ReadableStream<Uint8Array>,
  file: string,
  options?: BadRecordOptions,
): AsyncGenerator<MrqaRecord> {
  let subset: string | undefined;
  for await (const { value, line } of readJsonl(stream, file, options)) {
    if (subset === undefined) {
      const h = value.header as Record<string, unknown> | undefined;
      if (line !== 1 || typeof h !== "object" || h === null || typeof h.dataset !== "string") {
        throw new DataFormatError(
          file,
          line,
          `expected the MRQA header line {"header": {"dataset": ..., "split": ...}} first; is this an MRQA 2019 file?`,
        );
      }
      subset = h.dataset;
      continue;
    }
    if (typeof value.context !== "string" || !Array.isArray(value.qas)) {
      reject(new DataFormatError(file, line, `context line needs "context" (string) and "qas" (list)`), options);
      continue;
    }
    const questions: MrqaQuestion[] = [];
    let problem: string | undefined;
    for (let i = 0; i < value.qas.length && problem === undefined; i++) {
      const q = parseQa(value.qas[i], subset, value.context, `qas[${i}]`);
      if (typeof q === "string") problem = q;
      else questions.push(q);
    }
    if (problem !== undefined) {
      reject(new DataFormatError(file, line, `${problem} (pass --skip-bad to skip the context)`), options);
      continue;
    }
    for (const q of questions) yield { value: q, line };
  }
}

function toNumber(v: unknown): number {
  return typeof v === "bigint" ? Number(v) : v as number;
}

/**
 * Converts one Hugging Face `mrqa` parquet row (`subset, context, qid, question, answers[], detected_answers{text[],
 * char_spans[{start[], end[]}]}`) to an {@link MrqaQuestion}; `file`/`row` locate errors.
 */
export function mrqaFromHfRow(row: Record<string, unknown>, file: string, line: number): MrqaQuestion {
  for (const k of ["subset", "context", "qid", "question"]) {
    if (typeof row[k] !== "string") throw new DataFormatError(file, line, `column "${k}" missing or not a string`);
  }
  if (!isStringArray(row.answers)) throw new DataFormatError(file, line, `column "answers" is not a list of strings`);
  const da = row.detected_answers as Record<string, unknown> | undefined;
  const texts = da?.text;
  const spans = da?.char_spans;
  if (!isStringArray(texts) || !Array.isArray(spans) || spans.length !== texts.length) {
    throw new DataFormatError(
      file,
      line,
      `column "detected_answers" must be {text: [...], char_spans: [{start: [...], end: [...]}, ...]}`,
    );
  }
  const detected = texts.map((text, i) => {
    const s = spans[i] as { start?: unknown[]; end?: unknown[] } | undefined;
    if (!Array.isArray(s?.start) || !Array.isArray(s?.end) || s.start.length !== s.end.length) {
      throw new DataFormatError(file, line, `detected_answers.char_spans[${i}] needs start[] and end[] of equal size`);
    }
    const ends = s.end;
    return { text, charSpans: s.start.map((st, j): [number, number] => [toNumber(st), toNumber(ends[j])]) };
  });
  return {
    subset: row.subset as string,
    qid: row.qid as string,
    question: row.question as string,
    context: row.context as string,
    answers: row.answers,
    detectedAnswers: detected,
  };
}
