/**
 * The T5 tokenizer: SentencePiece Unigram in TypeScript, exact against the `sentencepiece` library (raw mode) and
 * against the Hugging Face T5 tokenizer (default mode).
 *
 * - **Sources:** `spiece.model` (its protobuf is read directly: pieces, scores, types, trainer and normalizer specs
 *   with the precompiled charsmap) or `tokenizer.json` (Unigram model, `Precompiled`/NFKC normalizers,
 *   `WhitespaceSplit` + `Metaspace`, `TemplateProcessing`, added tokens). Either alone is enough; a `spiece.model` is
 *   converted as transformers' `T5Converter` does (100 sentinels `<extra_id_0..99>`, ids counting down from the top).
 * - **T5 encoding** (`encode(text)`): special tokens written in the text (`</s>`, `<pad>`, `<unk>`, `<extra_id_N>`)
 *   become their ids; the rest is normalized with the charsmap per grapheme (Hugging Face's `Precompiled`), split on
 *   whitespace, prefixed with `▁`, segmented by Unigram Viterbi (float64, strictly-greater ties keep the earlier
 *   candidate, unknown runs fused into one `<unk>`); `</s>` is appended.
 * - **Raw encoding** (`encode(text, {raw: true})`): exactly `SentencePieceProcessor.encode`: longest-match charsmap
 *   over the byte stream, whitespace removal and dummy prefix, float32 Viterbi over the whole text; no `</s>`.
 * - **Decoding:** `decode(ids)` skips special tokens (as `skip_special_tokens=True`); `{skipSpecialTokens: false}`
 *   writes them; `{raw: true}` decodes as SentencePiece (`<unk>` → `" ⁇ "`, control pieces vanish).
 *
 * The parsing and encoding code is web-standard (`Tokenizer.fromSpieceModel(bytes)`,
 * `Tokenizer.fromTokenizerJson(json)`); only {@linkcode loadTokenizer} reads files.
 *
 * @example
 * ```ts
 * import { loadTokenizer } from "@hyperdecoders/data";
 *
 * const tok = await loadTokenizer("../shared/fixtures/spm-2k"); // a folder, spiece.model or tokenizer.json
 * const ids = tok.encode("summarize: Hello <extra_id_0>."); // sentinel id tok.sentinelId(0), ends with tok.eosId
 * tok.decode(ids); // "summarize: Hello ." (special tokens skipped)
 * tok.decode(ids, { skipSpecialTokens: false }); // "summarize: Hello<extra_id_0> .</s>"
 * tok.encode("Hello", { raw: true }); // SentencePiece ids, no </s>
 * const batch = tok.encodeBatch(["a b", "c"], { maxLength: 8 }); // padded to the longest row
 * batch.ids; // [[8, 143, 1], [124, 1, 0]] with the spm-2k fixture
 * batch.attentionMask; // [[1, 1, 1], [1, 1, 0]]
 * ```
 *
 * @module
 */
export type { BatchEncodeOptions, BatchEncoding, DecodeOptions, EncodeOptions, TextTokenizer } from "./types.ts";
export { loadTokenizer } from "./load.ts";
export type { LoadTokenizerOptions } from "./load.ts";
export { cleanUpTokenization, Tokenizer } from "./tokenizer.ts";
export type { EncodedPieces, FromSpieceModelOptions, FromTokenizerJsonOptions } from "./tokenizer.ts";
export { parseSpieceModel, PieceType } from "./spiece_model.ts";
export type { SpmModel, SpmNormalizerSpec, SpmPiece, SpmTrainerSpec } from "./spiece_model.ts";
