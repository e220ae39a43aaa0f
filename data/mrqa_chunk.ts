/**
 * MRQA chunking (the paper's 512-token chunks with a 128-token overlap, as the reference code's
 * `mrqa_preprocess.chunk_sample` cuts them): the context is cut in token space into
 * windows of at most 512 tokens (prefix `question: … context: ` + context tokens + `</s>`) that overlap by 128
 * tokens; each window's target is the first answer with a detected span inside the window, or "".
 *
 * @module
 */
import { DataFormatError } from "./errors.ts";
import type { Example } from "./example.ts";
import type { MrqaQuestion } from "./mrqa.ts";
import type { TextEncoderLike } from "./encoder.ts";

/** Chunking options. */
export interface MrqaChunkOptions {
  /** Window length in tokens, prefix and `</s>` included (default 512). */
  maxLength?: number;
  /** Overlap between consecutive windows in context tokens (default 128). */
  stride?: number;
  /** End-of-sequence id (default 1). */
  eosId?: number;
  /** Drop windows without an answer (reference `filter_nulls`, default false). */
  filterNulls?: boolean;
}

/** Token ids with character offsets `[start, end)` into the encoded text. */
export interface TokensWithOffsets {
  /** Token ids without `</s>`. */
  ids: number[];
  /** Character range of each token. */
  offsets: [number, number][];
}

/**
 * Tokenises `text` with character offsets, without the final `</s>`. T5's pre-tokeniser splits on whitespace and
 * encodes each word on its own, so the text is split into words and each word is encoded separately: the ids equal
 * those of encoding the whole text, and every token of a word gets the word's character range (HF gives sub-word
 * ranges; this only matters for an answer that ends inside a word cut by a window edge). `cache` memoises words.
 */
export function encodeWithOffsets(
  tokenizer: TextEncoderLike,
  text: string,
  eosId = 1,
  cache?: Map<string, number[]>,
): TokensWithOffsets {
  const ids: number[] = [];
  const offsets: [number, number][] = [];
  for (const m of text.matchAll(/\S+/gu)) {
    const word = m[0];
    let wordIds = cache?.get(word);
    if (wordIds === undefined) {
      wordIds = withoutEos(tokenizer.encode(word), eosId);
      if (cache) {
        if (cache.size > 200_000) cache.clear();
        cache.set(word, wordIds);
      }
    }
    const start = m.index!;
    const end = start + word.length;
    for (const id of wordIds) {
      ids.push(id);
      offsets.push([start, end]);
    }
  }
  return { ids, offsets };
}

function withoutEos(ids: number[], eosId: number): number[] {
  return ids.length > 0 && ids[ids.length - 1] === eosId ? ids.slice(0, -1) : ids;
}

/**
 * Cuts one question into chunk examples. Each example has `task` = subset, `id` = qid (shared by the question's
 * chunks), `sourceIds` = exact model input, `source` = the same text (prefix + the window's character range), `target`
 * = the chunk answer or "", and `meta` = `{answers, chunk, chunks}` for answer aggregation. An empty context yields
 * no chunk (as in the reference code). `file`/`line` locate a question too long to leave room for the overlap.
 */
export function chunkMrqaQuestion(
  q: MrqaQuestion,
  tokenizer: TextEncoderLike,
  options: MrqaChunkOptions = {},
  where: { file: string; line: number } = { file: "<mrqa>", line: 0 },
  cache?: Map<string, number[]>,
): Example[] {
  const maxLength = options.maxLength ?? 512;
  const stride = options.stride ?? 128;
  const eos = options.eosId ?? 1;
  const prefixText = `question: ${q.question} context: `;
  const prefix = withoutEos(tokenizer.encode(prefixText), eos);
  const room = maxLength - prefix.length - 1;
  if (room <= stride) {
    throw new DataFormatError(
      where.file,
      where.line,
      `question ${q.qid} is ${prefix.length} tokens long: no room for a ${stride}-token overlap in ` +
        `${maxLength}-token windows; shorten it or raise the window length`,
    );
  }
  const ctx = encodeWithOffsets(tokenizer, q.context, eos, cache);
  const windows: { start: number; end: number }[] = [];
  let start = 0;
  while (start < ctx.ids.length) {
    const end = Math.min(start + room, ctx.ids.length);
    windows.push({ start, end });
    if (end === ctx.ids.length) break;
    start += room - stride;
  }
  const out: Example[] = [];
  windows.forEach(({ start, end }, k) => {
    const first = ctx.offsets[start][0];
    const last = ctx.offsets[end - 1][1];
    let target = "";
    search: for (let i = 0; i < q.detectedAnswers.length; i++) {
      for (const [s, e] of q.detectedAnswers[i].charSpans) {
        // MRQA spans are inclusive and token ends exclusive; the comparison is the reference code's.
        if (s >= first && e <= last) {
          target = q.answers[i] ?? "";
          break search;
        }
      }
    }
    if (options.filterNulls && target === "") return;
    out.push({
      task: q.subset,
      id: q.qid,
      source: prefixText + q.context.slice(first, last),
      target,
      sourceIds: [...prefix, ...ctx.ids.slice(start, end), eos],
      meta: { answers: q.answers, chunk: k, chunks: windows.length },
    });
  });
  return out;
}
