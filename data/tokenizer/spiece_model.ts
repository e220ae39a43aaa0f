/**
 * Reader for SentencePiece `spiece.model` files (`sentencepiece_model.proto` `ModelProto`).
 */
import { ProtoReader, WIRE_FIXED32, WIRE_LEN, WIRE_VARINT } from "./protobuf.ts";

/** `ModelProto.SentencePiece.Type`. */
export const PieceType = {
  NORMAL: 1,
  UNKNOWN: 2,
  CONTROL: 3,
  USER_DEFINED: 4,
  UNUSED: 5,
  BYTE: 6,
} as const;

/** One vocabulary entry of a SentencePiece model. */
export interface SpmPiece {
  /** The piece text (`"▁the"`). */
  piece: string;
  /** Log-probability score (float32 in the file). */
  score: number;
  /** A {@linkcode PieceType} value. */
  type: number;
}

/** The parts of `TrainerSpec` that change encoding or decoding. */
export interface SpmTrainerSpec {
  /** 1 = UNIGRAM, 2 = BPE, 3 = WORD, 4 = CHAR. */
  modelType: number;
  /** Declared vocabulary size. */
  vocabSize: number;
  /** Pieces are split at whitespace (training option; informative). */
  splitByWhitespace: boolean;
  /** `▁` marks word ends instead of word starts. */
  treatWhitespaceAsSuffix: boolean;
  /** Unknown characters become `<0xXX>` byte pieces. */
  byteFallback: boolean;
  /** Id of `<unk>` declared by the trainer. */
  unkId: number;
  /** Id of `<s>` (-1 when absent). */
  bosId: number;
  /** Id of `</s>` (-1 when absent). */
  eosId: number;
  /** Id of `<pad>` (-1 when absent). */
  padId: number;
  /** Text that decoding writes for `<unk>` (default `" ⁇ "`). */
  unkSurface: string;
}

/** `NormalizerSpec`. */
export interface SpmNormalizerSpec {
  /** Rule name (`"nmt_nfkc"`, `"identity"`, …). */
  name: string;
  /** Compiled normalization rules (Darts-clone trie + replacement strings); empty for identity. */
  precompiledCharsmap: Uint8Array;
  /** Prepend a space to the text (so the first word gets `▁`). */
  addDummyPrefix: boolean;
  /** Drop leading, trailing and repeated spaces. */
  removeExtraWhitespaces: boolean;
  /** Replace spaces by `▁`. */
  escapeWhitespaces: boolean;
}

/** A parsed `spiece.model`. */
export interface SpmModel {
  /** Pieces in id order. */
  pieces: SpmPiece[];
  /** Trainer options. */
  trainer: SpmTrainerSpec;
  /** Normalizer options. */
  normalizer: SpmNormalizerSpec;
  /** Denormalizer (rarely present; `undefined` when absent). */
  denormalizer?: SpmNormalizerSpec;
}

function readPiece(r: ProtoReader): SpmPiece {
  let piece: string | undefined;
  let score = 0;
  let type: number = PieceType.NORMAL;
  while (!r.done) {
    const [field, wire] = r.key();
    if (field === 1) {
      r.expectWire(wire, WIRE_LEN, "SentencePiece.piece");
      piece = r.string();
    } else if (field === 2) {
      r.expectWire(wire, WIRE_FIXED32, "SentencePiece.score");
      score = r.float32();
    } else if (field === 3) {
      r.expectWire(wire, WIRE_VARINT, "SentencePiece.type");
      type = r.varint();
    } else {
      r.skip(wire);
    }
  }
  if (piece === undefined) piece = "";
  return { piece, score, type };
}

function readTrainer(r: ProtoReader): SpmTrainerSpec {
  const t: SpmTrainerSpec = {
    modelType: 1,
    vocabSize: 8000,
    splitByWhitespace: true,
    treatWhitespaceAsSuffix: false,
    byteFallback: false,
    unkId: 0,
    bosId: 1,
    eosId: 2,
    padId: -1,
    unkSurface: " \u2047 ",
  };
  while (!r.done) {
    const [field, wire] = r.key();
    switch (field) {
      case 3:
        r.expectWire(wire, WIRE_VARINT, "TrainerSpec.model_type");
        t.modelType = r.varint();
        break;
      case 4:
        r.expectWire(wire, WIRE_VARINT, "TrainerSpec.vocab_size");
        t.vocabSize = r.int32();
        break;
      case 22:
        r.expectWire(wire, WIRE_VARINT, "TrainerSpec.split_by_whitespace");
        t.splitByWhitespace = r.bool();
        break;
      case 24:
        r.expectWire(wire, WIRE_VARINT, "TrainerSpec.treat_whitespace_as_suffix");
        t.treatWhitespaceAsSuffix = r.bool();
        break;
      case 35:
        r.expectWire(wire, WIRE_VARINT, "TrainerSpec.byte_fallback");
        t.byteFallback = r.bool();
        break;
      case 40:
        r.expectWire(wire, WIRE_VARINT, "TrainerSpec.unk_id");
        t.unkId = r.int32();
        break;
      case 41:
        r.expectWire(wire, WIRE_VARINT, "TrainerSpec.bos_id");
        t.bosId = r.int32();
        break;
      case 42:
        r.expectWire(wire, WIRE_VARINT, "TrainerSpec.eos_id");
        t.eosId = r.int32();
        break;
      case 43:
        r.expectWire(wire, WIRE_VARINT, "TrainerSpec.pad_id");
        t.padId = r.int32();
        break;
      case 44:
        r.expectWire(wire, WIRE_LEN, "TrainerSpec.unk_surface");
        t.unkSurface = r.string();
        break;
      default:
        r.skip(wire);
    }
  }
  return t;
}

function readNormalizer(r: ProtoReader): SpmNormalizerSpec {
  const n: SpmNormalizerSpec = {
    name: "",
    precompiledCharsmap: new Uint8Array(0),
    addDummyPrefix: true,
    removeExtraWhitespaces: true,
    escapeWhitespaces: true,
  };
  while (!r.done) {
    const [field, wire] = r.key();
    switch (field) {
      case 1:
        r.expectWire(wire, WIRE_LEN, "NormalizerSpec.name");
        n.name = r.string();
        break;
      case 2:
        r.expectWire(wire, WIRE_LEN, "NormalizerSpec.precompiled_charsmap");
        n.precompiledCharsmap = r.bytes().slice();
        break;
      case 3:
        r.expectWire(wire, WIRE_VARINT, "NormalizerSpec.add_dummy_prefix");
        n.addDummyPrefix = r.bool();
        break;
      case 4:
        r.expectWire(wire, WIRE_VARINT, "NormalizerSpec.remove_extra_whitespaces");
        n.removeExtraWhitespaces = r.bool();
        break;
      case 5:
        r.expectWire(wire, WIRE_VARINT, "NormalizerSpec.escape_whitespaces");
        n.escapeWhitespaces = r.bool();
        break;
      default:
        r.skip(wire);
    }
  }
  return n;
}

/**
 * Parse the bytes of a `spiece.model` file. Throws an Error naming `source` for truncated or malformed protobuf,
 * for files that lack the trainer or normalizer spec, and for empty pieces.
 */
export function parseSpieceModel(bytes: Uint8Array, source = "spiece.model"): SpmModel {
  const r = new ProtoReader(bytes, source);
  const pieces: SpmPiece[] = [];
  let trainer: SpmTrainerSpec | undefined;
  let normalizer: SpmNormalizerSpec | undefined;
  let denormalizer: SpmNormalizerSpec | undefined;
  while (!r.done) {
    const [field, wire] = r.key();
    if (field === 1) {
      r.expectWire(wire, WIRE_LEN, "ModelProto.pieces");
      pieces.push(readPiece(r.message(`${source} (piece ${pieces.length})`)));
    } else if (field === 2) {
      r.expectWire(wire, WIRE_LEN, "ModelProto.trainer_spec");
      trainer = readTrainer(r.message(`${source} (trainer_spec)`));
    } else if (field === 3) {
      r.expectWire(wire, WIRE_LEN, "ModelProto.normalizer_spec");
      normalizer = readNormalizer(r.message(`${source} (normalizer_spec)`));
    } else if (field === 5) {
      r.expectWire(wire, WIRE_LEN, "ModelProto.denormalizer_spec");
      denormalizer = readNormalizer(r.message(`${source} (denormalizer_spec)`));
    } else {
      r.skip(wire);
    }
  }
  if (pieces.length === 0) {
    throw new Error(`${source}: no pieces found; this is not a SentencePiece model (or it is empty/truncated).`);
  }
  if (!trainer || !normalizer) {
    throw new Error(
      `${source}: ${!trainer ? "trainer_spec" : "normalizer_spec"} is missing after ${pieces.length} pieces; ` +
        "the file is truncated or not a SentencePiece model. Re-download or re-export it.",
    );
  }
  for (let i = 0; i < pieces.length; i++) {
    if (pieces[i].piece === "") throw new Error(`${source}: piece ${i} is empty (pieces must not be empty).`);
  }
  return { pieces, trainer, normalizer, denormalizer };
}
