/**
 * T5 SentencePiece Unigram tokenizer (work in progress; the API below is final).
 *
 * @module
 */
export type { BatchEncodeOptions, BatchEncoding, DecodeOptions, EncodeOptions, TextTokenizer } from "./types.ts";
export { loadTokenizer } from "./load.ts";
export type { LoadTokenizerOptions } from "./load.ts";
