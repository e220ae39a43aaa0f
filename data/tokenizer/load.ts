/**
 * File adapter: loads a tokenizer from disk (the only part of the tokenizer that uses `Deno.*`).
 */
import type { TextTokenizer } from "./types.ts";

/** Options of {@linkcode loadTokenizer}. */
export interface LoadTokenizerOptions {
  /** Number of `<extra_id_N>` sentinels when loading a bare `spiece.model` (default 100, as T5). */
  extraIds?: number;
}

/**
 * Load a T5 tokenizer from `spiece.model`, `tokenizer.json`, or a folder holding either
 * (`tokenizer.json` preferred; `tokenizer_config.json` beside it is read for `clean_up_tokenization_spaces`).
 */
export function loadTokenizer(pathOrDir: string | URL, opts: LoadTokenizerOptions = {}): Promise<TextTokenizer> {
  void pathOrDir, opts;
  // Work in progress: the implementation lands in the next commits; the signature is final.
  return Promise.reject(new Error("loadTokenizer: not implemented yet (work in progress)"));
}
