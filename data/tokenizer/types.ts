/** Options of {@linkcode TextTokenizer.encode}. */
export interface EncodeOptions {
  /**
   * SentencePiece ids only: no `</s>` appended and no special-token matching in the text
   * (`<extra_id_0>` or `</s>` written in the text are tokenized as ordinary characters), exactly as
   * `sentencepiece.SentencePieceProcessor.encode` does. Default `false` (T5 behaviour).
   */
  raw?: boolean;
  /** Append `</s>` (T5 behaviour only). Default `true`. */
  addEos?: boolean;
  /**
   * Keep at most this many ids. Content ids are cut from the end; `</s>`, when appended, is kept as the last id
   * (as Hugging Face truncation does). Default: no limit.
   */
  maxLength?: number;
}

/** Options of {@linkcode TextTokenizer.encodeBatch}. */
export interface BatchEncodeOptions extends EncodeOptions {
  /**
   * `"longest"` pads every row to the longest row; `"max_length"` pads to `maxLength` (required then);
   * `false` leaves rows ragged. Default `"longest"`. Padding is on the right with the pad id and mask 0.
   */
  padding?: "longest" | "max_length" | false;
}

/** Result of {@linkcode TextTokenizer.encodeBatch}. */
export interface BatchEncoding {
  /** Token ids, one row per input text. */
  ids: number[][];
  /** 1 for real tokens, 0 for padding; same shape as `ids`. */
  attentionMask: number[][];
}

/** Options of {@linkcode TextTokenizer.decode}. */
export interface DecodeOptions {
  /**
   * Drop special tokens (`<pad>`, `</s>`, `<unk>`, `<extra_id_N>`, as the Hugging Face T5 tokenizer counts them).
   * Default `true`. With `false` they are written out literally (`"</s>"`).
   */
  skipSpecialTokens?: boolean;
  /**
   * SentencePiece decoding (`SentencePieceProcessor.decode`): control pieces vanish, `<unk>` becomes the unknown
   * surface (`" ⁇ "` by default). Ignores `skipSpecialTokens`. Default `false`.
   */
  raw?: boolean;
  /**
   * Apply transformers' `clean_up_tokenization_spaces` (" ." → ".", " n't" → "n't", …). Default: the value read from
   * `tokenizer_config.json` when the tokenizer was loaded from a folder, else `false` (transformers v5 default).
   */
  cleanUpTokenizationSpaces?: boolean;
}

/** What the data pipeline needs from a tokenizer (implemented by `Tokenizer`). */
export interface TextTokenizer {
  /** Number of ids, sentinels included (2100 for a 2000-piece model with 100 extra ids). */
  readonly vocabSize: number;
  /** Id of `<pad>` (also the decoder start id of T5). */
  readonly padId: number;
  /** Id of `</s>`. */
  readonly eosId: number;
  /** Id of `<unk>`. */
  readonly unkId: number;
  /** Encode one text to ids (T5 behaviour unless `opts.raw`). */
  encode(text: string, opts?: EncodeOptions): number[];
  /** Encode many texts, truncated and padded, with attention masks. */
  encodeBatch(texts: readonly string[], opts?: BatchEncodeOptions): BatchEncoding;
  /** Decode ids to text. */
  decode(ids: ArrayLike<number>, opts?: DecodeOptions): string;
  /** Id of a piece (`"▁the"`, `"</s>"`, `"<extra_id_0>"`), or `undefined` when it is not in the vocabulary. */
  pieceToId(piece: string): number | undefined;
  /** Piece of an id, or `undefined` when the id is out of range. */
  idToPiece(id: number): string | undefined;
}
