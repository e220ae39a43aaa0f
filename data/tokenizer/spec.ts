/**
 * One description of a T5 tokenizer built from either source: `spiece.model` (converted the way transformers'
 * `T5Converter` does) or `tokenizer.json` (read as Hugging Face `tokenizers` does, and mapped back to SentencePiece
 * options for raw encoding).
 */
import { Charsmap } from "./charsmap.ts";
import { PieceType, type SpmModel } from "./spiece_model.ts";

/** A normalizer step of the Hugging Face pipeline. */
export type NormStep =
  | { kind: "precompiled"; charsmap: Charsmap }
  | { kind: "unicode"; form: "NFC" | "NFD" | "NFKC" | "NFKD" }
  | { kind: "lowercase" }
  | { kind: "strip"; left: boolean; right: boolean }
  | { kind: "replace"; pattern: string | RegExp; content: string };

/** Everything the tokenizer needs, whatever file it came from. */
export interface TokenizerSpec {
  /** File name for error messages. */
  source: string;
  /** Piece (token) strings by id, sentinels and added tokens included. */
  pieces: string[];
  /** Scores by id. */
  scores: number[];
  /** SentencePiece piece type by id (`PieceType`), 0 for ids that are not SentencePiece pieces (sentinels). */
  spmType: Uint8Array;
  /** Id of `<unk>`. */
  unkId: number;
  /** Id of `</s>` (-1 when absent). */
  eosId: number;
  /** Id of `<pad>` (-1 when absent). */
  padId: number;
  /** SentencePiece normalizer options. */
  spm: {
    charsmap?: Charsmap;
    addDummyPrefix: boolean;
    removeExtraWhitespaces: boolean;
    escapeWhitespaces: boolean;
    unkSurface: string;
  };
  /** Hugging Face pipeline. */
  hf: {
    normalizers: NormStep[];
    whitespaceSplit: boolean;
    metaspace?: { replacement: string; prependAlways: boolean; split: boolean };
    /** Ids the post-processor puts before and after the content (`TemplateProcessing` single). */
    prefixIds: number[];
    suffixIds: number[];
    /** Metaspace decoder (`undefined`: tokens joined with spaces, as `tokenizers` does without a decoder). */
    decoder?: { replacement: string; stripFirst: boolean };
    /** Added tokens matched in the raw text, with their ids. */
    added: { content: string; id: number }[];
    /** Ids dropped by `skip_special_tokens`. */
    special: Set<number>;
  };
  /** Default of `clean_up_tokenization_spaces`. */
  cleanUp: boolean;
}

const SENTINEL = /^<extra_id_(\d+)>$/;

/**
 * Build the spec of a SentencePiece model with `extraIds` sentinels appended as T5 does (`<extra_id_{extraIds-1}>`
 * first, so `<extra_id_0>` gets the highest id).
 */
export function specFromSpm(model: SpmModel, extraIds: number, source: string): TokenizerSpec {
  const t = model.trainer;
  if (t.modelType !== 1) {
    const names: Record<number, string> = { 2: "BPE", 3: "WORD", 4: "CHAR" };
    throw new Error(
      `${source}: model_type is ${names[t.modelType] ?? t.modelType}; only Unigram SentencePiece models are supported.`,
    );
  }
  if (t.byteFallback) throw new Error(`${source}: byte_fallback models are not supported (T5 does not use them).`);
  if (t.treatWhitespaceAsSuffix) throw new Error(`${source}: treat_whitespace_as_suffix is not supported.`);
  if (model.denormalizer && model.denormalizer.precompiledCharsmap.length > 0) {
    throw new Error(`${source}: a denormalizer_spec with rules is not supported.`);
  }
  if (!Number.isInteger(extraIds) || extraIds < 0) throw new Error(`extraIds must be a non-negative integer.`);
  const pieces = model.pieces.map((p) => p.piece);
  const scores = model.pieces.map((p) => p.score);
  const spmType = new Uint8Array(pieces.length + extraIds);
  let unkId = -1;
  const seen = new Map<string, number>();
  model.pieces.forEach((p, i) => {
    spmType[i] = p.type;
    if (p.type === PieceType.UNKNOWN) {
      if (unkId >= 0) {
        throw new Error(`${source}: pieces ${unkId} and ${i} are both of type UNKNOWN; <unk> must be unique.`);
      }
      unkId = i;
    }
    if (p.type === PieceType.BYTE) throw new Error(`${source}: piece ${i} is a BYTE piece but byte_fallback is off.`);
    if (seen.has(p.piece)) {
      throw new Error(`${source}: piece "${p.piece}" is defined twice (ids ${seen.get(p.piece)}, ${i}).`);
    }
    seen.set(p.piece, i);
  });
  if (unkId < 0) {
    throw new Error(`${source}: the vocabulary has no <unk> piece (type UNKNOWN); SentencePiece requires one.`);
  }
  for (let k = 0; k < extraIds; k++) {
    pieces.push(`<extra_id_${extraIds - 1 - k}>`);
    scores.push(0);
  }
  const idOf = (id: number, piece: string): number => {
    if (id >= 0 && id < model.pieces.length) return id;
    return seen.get(piece) ?? -1;
  };
  const eosId = idOf(t.eosId, "</s>");
  const padId = idOf(t.padId, "<pad>");
  const added: { content: string; id: number }[] = [];
  const special = new Set<number>();
  model.pieces.forEach((p, i) => {
    if (p.type === PieceType.CONTROL || p.type === PieceType.UNKNOWN) {
      added.push({ content: p.piece, id: i });
      special.add(i);
    }
  });
  for (let k = 0; k < extraIds; k++) {
    added.push({ content: pieces[model.pieces.length + k], id: model.pieces.length + k });
    special.add(model.pieces.length + k);
  }
  const n = model.normalizer;
  const charsmap = n.precompiledCharsmap.length > 0
    ? new Charsmap(n.precompiledCharsmap, `${source} (normalizer_spec.precompiled_charsmap)`)
    : undefined;
  return {
    source,
    pieces,
    scores,
    spmType,
    unkId,
    eosId,
    padId,
    spm: {
      charsmap,
      addDummyPrefix: n.addDummyPrefix,
      removeExtraWhitespaces: n.removeExtraWhitespaces,
      escapeWhitespaces: n.escapeWhitespaces,
      unkSurface: t.unkSurface,
    },
    hf: {
      normalizers: charsmap ? [{ kind: "precompiled", charsmap }] : [],
      whitespaceSplit: true,
      metaspace: { replacement: "\u2581", prependAlways: n.addDummyPrefix, split: true },
      prefixIds: [],
      suffixIds: eosId >= 0 ? [eosId] : [],
      decoder: { replacement: "\u2581", stripFirst: n.addDummyPrefix },
      added,
      special,
    },
    cleanUp: false,
  };
}

// deno-lint-ignore no-explicit-any
type Json = any;

function fail(source: string, field: string, msg: string): never {
  throw new Error(`${source}: ${field}: ${msg}`);
}

function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function parseNormalizer(j: Json, source: string, field: string, out: NormStep[]): void {
  if (j === null || j === undefined) return;
  if (typeof j !== "object") fail(source, field, "expected an object");
  switch (j.type) {
    case "Sequence":
      if (!Array.isArray(j.normalizers)) fail(source, `${field}.normalizers`, "expected an array");
      j.normalizers.forEach((x: Json, i: number) => parseNormalizer(x, source, `${field}.normalizers[${i}]`, out));
      return;
    case "Precompiled": {
      const b64 = j.precompiled_charsmap;
      if (b64 === null || b64 === undefined || b64 === "") return;
      if (typeof b64 !== "string") fail(source, `${field}.precompiled_charsmap`, "expected a base64 string");
      let bytes: Uint8Array;
      try {
        bytes = base64ToBytes(b64);
      } catch {
        fail(source, `${field}.precompiled_charsmap`, "is not valid base64");
      }
      out.push({ kind: "precompiled", charsmap: new Charsmap(bytes, `${source} ${field}.precompiled_charsmap`) });
      return;
    }
    case "NFC":
    case "NFD":
    case "NFKC":
    case "NFKD":
      out.push({ kind: "unicode", form: j.type });
      return;
    case "Lowercase":
      out.push({ kind: "lowercase" });
      return;
    case "Strip":
      out.push({ kind: "strip", left: j.strip_left ?? j.left ?? true, right: j.strip_right ?? j.right ?? true });
      return;
    case "Replace": {
      const p = j.pattern;
      let pattern: string | RegExp;
      if (p && typeof p.String === "string") pattern = p.String;
      else if (p && typeof p.Regex === "string") pattern = new RegExp(p.Regex, "gu");
      else fail(source, `${field}.pattern`, "expected {String: ...} or {Regex: ...}");
      if (typeof j.content !== "string") fail(source, `${field}.content`, "expected a string");
      out.push({ kind: "replace", pattern, content: j.content });
      return;
    }
    default:
      fail(
        source,
        `${field}.type`,
        `normalizer "${j.type}" is not supported (supported: Precompiled, NFC, NFD, NFKC, ` +
          "NFKD, Lowercase, Strip, Replace, Sequence)",
      );
  }
}

function parsePreTokenizer(j: Json, source: string, field: string, hf: TokenizerSpec["hf"]): void {
  if (j === null || j === undefined) return;
  switch (j.type) {
    case "Sequence":
      if (!Array.isArray(j.pretokenizers)) fail(source, `${field}.pretokenizers`, "expected an array");
      j.pretokenizers.forEach((x: Json, i: number) => parsePreTokenizer(x, source, `${field}.pretokenizers[${i}]`, hf));
      return;
    case "WhitespaceSplit":
      if (hf.metaspace) fail(source, field, "WhitespaceSplit after Metaspace is not supported");
      hf.whitespaceSplit = true;
      return;
    case "Metaspace": {
      const replacement = j.replacement ?? "\u2581";
      if (typeof replacement !== "string" || replacement.length !== 1) {
        fail(source, `${field}.replacement`, "expected one UTF-16 character");
      }
      const scheme = j.prepend_scheme ?? (j.add_prefix_space === false ? "never" : "always");
      if (scheme !== "always" && scheme !== "never") {
        fail(source, `${field}.prepend_scheme`, `"${scheme}" is not supported (use "always" or "never")`);
      }
      hf.metaspace = { replacement, prependAlways: scheme === "always", split: j.split ?? true };
      return;
    }
    default:
      fail(
        source,
        `${field}.type`,
        `pre-tokenizer "${j.type}" is not supported (supported: WhitespaceSplit, ` +
          "Metaspace, Sequence)",
      );
  }
}

/**
 * Build the spec from a parsed `tokenizer.json` (and optionally its `tokenizer_config.json`). Throws a clear Error
 * for a model that is not Unigram, a vocabulary without `<unk>`, and pipeline parts this tokenizer does not implement.
 */
export function specFromTokenizerJson(j: Json, source: string, config?: Json): TokenizerSpec {
  if (j === null || typeof j !== "object" || Array.isArray(j)) fail(source, "root", "expected a JSON object");
  const m = j.model;
  if (!m || typeof m !== "object") fail(source, "model", "missing");
  if (m.type !== "Unigram") {
    fail(source, "model.type", `is ${JSON.stringify(m.type)}; only "Unigram" (SentencePiece/T5) models are supported`);
  }
  if (!Array.isArray(m.vocab) || m.vocab.length === 0) fail(source, "model.vocab", "expected a non-empty array");
  if (m.byte_fallback) fail(source, "model.byte_fallback", "byte fallback is not supported (T5 does not use it)");
  const pieces: string[] = [];
  const scores: number[] = [];
  m.vocab.forEach((e: Json, i: number) => {
    if (!Array.isArray(e) || typeof e[0] !== "string" || typeof e[1] !== "number") {
      fail(source, `model.vocab[${i}]`, "expected [piece, score]");
    }
    pieces.push(e[0]);
    scores.push(e[1]);
  });
  const unkId = m.unk_id;
  if (unkId === null || unkId === undefined) {
    fail(source, "model.unk_id", "is missing: the vocabulary has no <unk>, which a T5/SentencePiece tokenizer needs");
  }
  if (!Number.isInteger(unkId) || unkId < 0 || unkId >= pieces.length) {
    fail(source, "model.unk_id", `${unkId} is not an id of the vocabulary (0..${pieces.length - 1})`);
  }
  const idOf = new Map<string, number>();
  pieces.forEach((p, i) => idOf.set(p, i));

  const added: { content: string; id: number }[] = [];
  const special = new Set<number>();
  const addedList = j.added_tokens ?? [];
  if (!Array.isArray(addedList)) fail(source, "added_tokens", "expected an array");
  addedList.forEach((a: Json, i: number) => {
    const f = `added_tokens[${i}]`;
    if (!a || typeof a.content !== "string" || !Number.isInteger(a.id)) fail(source, f, "expected {id, content}");
    if (a.lstrip || a.rstrip || a.single_word) {
      fail(source, f, `lstrip/rstrip/single_word on "${a.content}" are not supported`);
    }
    if (a.id < 0 || a.id >= pieces.length) fail(source, `${f}.id`, `${a.id} is outside the vocabulary`);
    if (pieces[a.id] !== a.content) {
      fail(source, f, `"${a.content}" has id ${a.id}, but the vocabulary has "${pieces[a.id]}" there`);
    }
    added.push({ content: a.content, id: a.id });
    if (a.special) special.add(a.id);
  });

  // SentencePiece view: sentinels are not SentencePiece pieces; other special added tokens are control symbols.
  const spmType = new Uint8Array(pieces.length);
  for (let i = 0; i < pieces.length; i++) {
    if (i === unkId) spmType[i] = PieceType.UNKNOWN;
    else if (special.has(i)) spmType[i] = SENTINEL.test(pieces[i]) ? 0 : PieceType.CONTROL;
    else spmType[i] = PieceType.NORMAL;
  }

  const hf: TokenizerSpec["hf"] = {
    normalizers: [],
    whitespaceSplit: false,
    prefixIds: [],
    suffixIds: [],
    added,
    special,
  };
  parseNormalizer(j.normalizer, source, "normalizer", hf.normalizers);
  parsePreTokenizer(j.pre_tokenizer, source, "pre_tokenizer", hf);

  const pp = j.post_processor;
  if (pp) {
    if (pp.type !== "TemplateProcessing") {
      fail(source, "post_processor.type", `"${pp.type}" is not supported (supported: TemplateProcessing)`);
    }
    if (!Array.isArray(pp.single)) fail(source, "post_processor.single", "expected an array");
    let seenA = false;
    for (const [i, item] of pp.single.entries()) {
      if (item.Sequence) {
        if (item.Sequence.id !== "A") fail(source, `post_processor.single[${i}]`, "only sequence A is supported");
        seenA = true;
      } else if (item.SpecialToken) {
        const st = pp.special_tokens?.[item.SpecialToken.id];
        if (!st || !Array.isArray(st.ids)) {
          fail(source, `post_processor.special_tokens`, `no ids for "${item.SpecialToken.id}"`);
        }
        (seenA ? hf.suffixIds : hf.prefixIds).push(...st.ids);
      } else {
        fail(source, `post_processor.single[${i}]`, "expected Sequence or SpecialToken");
      }
    }
  }

  const d = j.decoder;
  if (d) {
    if (d.type !== "Metaspace") fail(source, "decoder.type", `"${d.type}" is not supported (supported: Metaspace)`);
    const scheme = d.prepend_scheme ?? (d.add_prefix_space === false ? "never" : "always");
    hf.decoder = { replacement: d.replacement ?? "\u2581", stripFirst: scheme !== "never" };
  }

  const charsmap = hf.normalizers.find((s) => s.kind === "precompiled")?.charsmap;
  const eosName = typeof config?.eos_token === "string" ? config.eos_token : "</s>";
  const padName = typeof config?.pad_token === "string" ? config.pad_token : "<pad>";
  return {
    source,
    pieces,
    scores,
    spmType,
    unkId,
    eosId: idOf.get(eosName) ?? -1,
    padId: idOf.get(padName) ?? -1,
    spm: {
      charsmap,
      addDummyPrefix: hf.metaspace?.prependAlways ?? true,
      removeExtraWhitespaces: true,
      escapeWhitespaces: true,
      unkSurface: " \u2047 ",
    },
    hf,
    cleanUp: config?.clean_up_tokenization_spaces === true,
  };
}
