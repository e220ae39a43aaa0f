/**
 * The minimal tokenizer surface the data pipeline needs. The project's T5 tokenizer (`data/tokenizer`) satisfies it;
 * unit tests of mixing and padding may use a tiny word-level fake.
 *
 * @module
 */

/** Encodes text to T5 ids with `</s>` appended (as `T5TokenizerFast(text).input_ids`). */
export interface TextEncoderLike {
  /** Ids of `text`, ending with the end-of-sequence id. */
  encode(text: string): number[];
}
