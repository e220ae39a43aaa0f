/**
 * @module
 * @hyperdecoders/data
 */

export {};
export {
  cleanUpTokenization,
  loadTokenizer,
  parseSpieceModel,
  PieceType,
  Tokenizer,
} from "./tokenizer/mod.ts";
export type {
  BatchEncodeOptions,
  BatchEncoding,
  DecodeOptions,
  EncodedPieces,
  EncodeOptions,
  FromSpieceModelOptions,
  FromTokenizerJsonOptions,
  LoadTokenizerOptions,
  SpmModel,
  SpmNormalizerSpec,
  SpmPiece,
  SpmTrainerSpec,
  TextTokenizer,
} from "./tokenizer/mod.ts";
