/**
 * The T5 tokenizer: SentencePiece Unigram encoding with T5's special tokens on top. Pure (web-standard) code; the
 * file loader is in `load.ts`.
 */
import { PrecompiledNormalizer } from "./precompiled.ts";
import { parseSpieceModel, PieceType } from "./spiece_model.ts";
import { type NormStep, specFromSpm, specFromTokenizerJson, type TokenizerSpec } from "./spec.ts";
import { SpmNormalizer } from "./spm_normalizer.ts";
import type { BatchEncodeOptions, BatchEncoding, DecodeOptions, EncodeOptions, TextTokenizer } from "./types.ts";
import { IdSink } from "./id_sink.ts";
import { UnigramModel, unitsToString, Usage } from "./unigram.ts";
import { HASH_SEED, hashStep, WordCache } from "./word_cache.ts";

/** Options of {@linkcode Tokenizer.fromSpieceModel}. */
export interface FromSpieceModelOptions {
  /** Number of `<extra_id_N>` sentinels appended (default 100, as T5). */
  extraIds?: number;
  /** Name of the file, for error messages. */
  source?: string;
}

/** Options of {@linkcode Tokenizer.fromTokenizerJson}. */
export interface FromTokenizerJsonOptions {
  /** Parsed `tokenizer_config.json` (for `clean_up_tokenization_spaces`, `eos_token`, `pad_token`). */
  config?: Record<string, unknown>;
  /** Name of the file, for error messages. */
  source?: string;
}

/** Ids and piece strings of one encoded text. */
export interface EncodedPieces {
  /** Token ids. */
  ids: number[];
  /** One string per id: the piece for T5 encodings (`"<unk>"` for unknown runs), the normalized surface for raw. */
  pieces: string[];
}

/** Rust `char::is_whitespace` (Unicode White_Space), which `WhitespaceSplit` splits on. */
const WS = new Uint8Array(65536);
for (
  const c of [
    0x9,
    0xa,
    0xb,
    0xc,
    0xd,
    0x20,
    0x85,
    0xa0,
    0x1680,
    0x2000,
    0x2001,
    0x2002,
    0x2003,
    0x2004,
    0x2005,
    0x2006,
    0x2007,
    0x2008,
    0x2009,
    0x200a,
    0x2028,
    0x2029,
    0x202f,
    0x205f,
    0x3000,
  ]
) WS[c] = 1;

/** The T5 SentencePiece Unigram tokenizer (implements {@linkcode TextTokenizer}). */
export class Tokenizer implements TextTokenizer {
  /** Number of ids, sentinels included. */
  readonly vocabSize: number;
  /** Id of `<pad>` (-1 when the vocabulary has none). */
  readonly padId: number;
  /** Id of `</s>` (-1 when the vocabulary has none). */
  readonly eosId: number;
  /** Id of `<unk>`. */
  readonly unkId: number;
  /** Number of `<extra_id_N>` sentinels. */
  readonly sentinelCount: number;

  #spec: TokenizerSpec;
  #pieces: string[];
  #idOf = new Map<string, number>();
  #hfModel: UnigramModel;
  #spmModel: UnigramModel;
  #spmNorm: SpmNormalizer;
  /** The normalizer steps, with Precompiled instantiated. */
  #steps: ((s: string) => string)[] = [];
  /** Only step is Precompiled: allows the ASCII fast path. */
  #precompiledOnly: PrecompiledNormalizer | undefined;
  /** ASCII chars that normalization leaves as they are, or maps to whitespace when they are whitespace. */
  #asciiPass = new Uint8Array(128);
  #cache = new WordCache();
  #sink = new IdSink();
  #scratch = new Uint16Array(256);
  #addedFirst = new Uint8Array(65536);
  #addedByFirst = new Map<number, { content: string; id: number }[]>();
  #surface: string[] = [];
  #surfaceFirst: string[] = [];

  private constructor(spec: TokenizerSpec) {
    this.#spec = spec;
    this.#pieces = spec.pieces;
    spec.pieces.forEach((p, i) => this.#idOf.set(p, i));
    this.vocabSize = spec.pieces.length;
    this.padId = spec.padId;
    this.eosId = spec.eosId;
    this.unkId = spec.unkId;
    this.sentinelCount = spec.pieces.filter((p, i) => spec.hf.special.has(i) && /^<extra_id_\d+>$/.test(p)).length;

    // Hugging Face: every vocabulary entry is in the trie; min score over the whole vocabulary; float64.
    const n = spec.pieces.length;
    const hfUsage = new Uint8Array(n).fill(Usage.Normal);
    let hfMin = Infinity;
    for (const s of spec.scores) hfMin = Math.min(hfMin, s);
    this.#hfModel = new UnigramModel(spec.pieces, spec.scores, hfUsage, spec.unkId, hfMin, {
      float32: false,
      lookupFusedUnk: true,
    }, this.#idOf);
    // SentencePiece: normal, user-defined and (skipped) unused pieces; min over NORMAL pieces; float32.
    const spmUsage = new Uint8Array(n);
    let spmMin = Infinity;
    const userDefined: string[] = [];
    for (let i = 0; i < n; i++) {
      const t = spec.spmType[i];
      if (t === PieceType.NORMAL) {
        spmUsage[i] = Usage.Normal;
        spmMin = Math.min(spmMin, Math.fround(spec.scores[i]));
      } else if (t === PieceType.USER_DEFINED) {
        spmUsage[i] = Usage.UserDefined;
        userDefined.push(spec.pieces[i]);
      }
    }
    const f32Scores = spec.scores.map((s) => Math.fround(s));
    this.#spmModel = new UnigramModel(spec.pieces, f32Scores, spmUsage, spec.unkId, spmMin, { float32: true });
    this.#spmNorm = new SpmNormalizer({ ...spec.spm, userDefined });

    for (const step of spec.hf.normalizers) this.#steps.push(makeStep(step));
    const only = spec.hf.normalizers.length === 1 && spec.hf.normalizers[0].kind === "precompiled"
      ? spec.hf.normalizers[0]
      : undefined;
    if (only || spec.hf.normalizers.length === 0) {
      const pre = only ? new PrecompiledNormalizer(only.charsmap) : undefined;
      this.#precompiledOnly = pre;
      if (pre) this.#steps = [(s) => pre.normalize(s)];
      for (let c = 0; c < 128; c++) {
        const r = pre ? pre.ascii(c) : null;
        const ws = WS[c] === 1 && r !== null && r.length > 0 && [...r].every((x) => WS[x.charCodeAt(0)] === 1);
        this.#asciiPass[c] = r === null || ws ? 1 : 0;
      }
    }
    for (const a of spec.hf.added) {
      const c = a.content.charCodeAt(0);
      this.#addedFirst[c] = 1;
      const list = this.#addedByFirst.get(c) ?? [];
      list.push(a);
      list.sort((x, y) => y.content.length - x.content.length);
      this.#addedByFirst.set(c, list);
    }
    const d = spec.hf.decoder;
    for (const p of spec.pieces) {
      this.#surface.push(d ? p.replaceAll(d.replacement, " ") : p);
      this.#surfaceFirst.push(
        d && d.stripFirst ? p.replaceAll(d.replacement, "") : d ? p.replaceAll(d.replacement, " ") : p,
      );
    }
  }

  /** Build from the bytes of a `spiece.model` (converted as transformers' T5 tokenizer does). */
  static fromSpieceModel(bytes: Uint8Array, opts: FromSpieceModelOptions = {}): Tokenizer {
    const source = opts.source ?? "spiece.model";
    return new Tokenizer(specFromSpm(parseSpieceModel(bytes, source), opts.extraIds ?? 100, source));
  }

  /** Build from a `tokenizer.json` (its text or the parsed object). */
  static fromTokenizerJson(json: string | object, opts: FromTokenizerJsonOptions = {}): Tokenizer {
    const source = opts.source ?? "tokenizer.json";
    let j: unknown = json;
    if (typeof json === "string") {
      try {
        j = JSON.parse(json);
      } catch (e) {
        throw new Error(`${source}: not valid JSON (${(e as Error).message}).`);
      }
    }
    return new Tokenizer(specFromTokenizerJson(j, source, opts.config));
  }

  /** Id of a piece, or `undefined`. */
  pieceToId(piece: string): number | undefined {
    return this.#idOf.get(piece);
  }

  /** Piece of an id, or `undefined` when out of range. */
  idToPiece(id: number): string | undefined {
    return Number.isInteger(id) && id >= 0 && id < this.#pieces.length ? this.#pieces[id] : undefined;
  }

  /** Id of sentinel `<extra_id_n>`; throws when the tokenizer has no such sentinel. */
  sentinelId(n: number): number {
    const id = this.#idOf.get(`<extra_id_${n}>`);
    if (id === undefined) {
      throw new RangeError(`No sentinel <extra_id_${n}> (the tokenizer has ${this.sentinelCount}).`);
    }
    return id;
  }

  /** Encode one text (T5 behaviour: special tokens in the text, `</s>` appended; or SentencePiece with `raw`). */
  encode(text: string, opts: EncodeOptions = {}): number[] {
    const sink = this.#sink;
    sink.n = 0;
    if (opts.raw) this.#encodeRaw(text, sink);
    else this.#encodeT5Content(text, sink);
    return this.#finish(sink.toArray(), opts);
  }

  /** Encode one text and also return the piece string of every id (for display). */
  encodeWithPieces(text: string, opts: EncodeOptions = {}): EncodedPieces {
    if (!opts.raw) {
      const ids = this.encode(text, opts);
      return { ids, pieces: ids.map((id) => this.#pieces[id]) };
    }
    const spans: number[] = [];
    const sink = this.#sink;
    sink.n = 0;
    this.#encodeRaw(text, sink, spans);
    const ids = sink.toArray();
    const out = this.#spmNorm.out;
    const pieces: string[] = [];
    for (let k = 0; k < ids.length; k++) {
      pieces.push(unitsToString(out, spans[2 * k], spans[2 * k + 1]));
    }
    const finished = this.#finish(ids, opts);
    return { ids: finished, pieces: pieces.slice(0, finished.length) };
  }

  #finish(ids: number[], opts: EncodeOptions): number[] {
    const raw = opts.raw === true;
    const addSpecial = !raw && (opts.addEos ?? true);
    const prefix = addSpecial ? this.#spec.hf.prefixIds : [];
    const suffix = addSpecial ? this.#spec.hf.suffixIds : [];
    const max = opts.maxLength;
    if (max !== undefined) {
      if (!Number.isInteger(max) || max < prefix.length + suffix.length) {
        throw new RangeError(`maxLength ${max} must be an integer ≥ ${prefix.length + suffix.length}.`);
      }
      const room = max - prefix.length - suffix.length;
      if (ids.length > room) ids.length = room;
    }
    if (prefix.length === 0 && suffix.length === 0) return ids;
    if (prefix.length > 0) ids.unshift(...prefix);
    for (const s of suffix) ids.push(s);
    return ids;
  }

  /** Encode many texts with truncation (`maxLength`) and padding; returns ids and attention masks. */
  encodeBatch(texts: readonly string[], opts: BatchEncodeOptions = {}): BatchEncoding {
    const padding = opts.padding ?? "longest";
    const rows = texts.map((t) => this.encode(t, opts));
    let width = 0;
    if (padding === "max_length") {
      if (opts.maxLength === undefined) throw new Error(`encodeBatch: padding "max_length" needs maxLength.`);
      width = opts.maxLength;
    } else if (padding === "longest") {
      for (const r of rows) width = Math.max(width, r.length);
    }
    const pad = this.padId >= 0 ? this.padId : 0;
    const attentionMask: number[][] = [];
    for (const r of rows) {
      const mask = new Array<number>(padding === false ? r.length : width).fill(0);
      mask.fill(1, 0, r.length);
      if (padding !== false) { while (r.length < width) r.push(pad); }
      attentionMask.push(mask);
    }
    return { ids: rows, attentionMask };
  }

  /** Decode ids to text (Hugging Face T5 decoding; SentencePiece decoding with `raw`). */
  decode(ids: ArrayLike<number>, opts: DecodeOptions = {}): string {
    if (opts.raw) return this.#decodeRaw(ids);
    const skip = opts.skipSpecialTokens ?? true;
    const special = this.#spec.hf.special;
    const n = this.#pieces.length;
    const sep = this.#spec.hf.decoder ? "" : " ";
    let out = "";
    let first = true;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!(id >= 0 && id < n) || !Number.isInteger(id)) continue; // tokenizers drops ids it does not know
      if (skip && special.has(id)) continue;
      if (first) {
        out = this.#surfaceFirst[id];
        first = false;
      } else {
        out += sep + this.#surface[id];
      }
    }
    return opts.cleanUpTokenizationSpaces ?? this.#spec.cleanUp ? cleanUpTokenization(out) : out;
  }

  #decodeRaw(ids: ArrayLike<number>): string {
    const s = this.#spec;
    const stripBos = s.spm.addDummyPrefix || s.spm.removeExtraWhitespaces;
    let text = "";
    let bosWsSeen = false;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      const type = Number.isInteger(id) && id >= 0 && id < s.pieces.length ? s.spmType[id] : 0;
      if (type === 0) {
        throw new RangeError(
          `decode(raw): id ${id} is not a SentencePiece id` +
            (id >= 0 && id < s.pieces.length ? ` (it is ${s.pieces[id]}); decode without raw` : ""),
        );
      }
      const isBosWs = !(bosWsSeen || text.length > 0);
      bosWsSeen = false;
      if (type === PieceType.CONTROL) continue;
      if (type === PieceType.UNKNOWN) {
        text += s.spm.unkSurface;
        continue;
      }
      let piece = s.pieces[id];
      if (isBosWs && stripBos && piece.startsWith("\u2581")) {
        piece = piece.slice(1);
        bosWsSeen = !s.spm.removeExtraWhitespaces;
      }
      text += piece.replaceAll("\u2581", " ");
    }
    return text;
  }

  // ---- SentencePiece (raw) encoding -------------------------------------------------------------------------

  #encodeRaw(text: string, ids: IdSink, spans?: number[]): void {
    const norm = this.#spmNorm;
    norm.normalize(wellFormed(text));
    this.#spmModel.encode(norm.out, norm.length, ids, spans);
  }

  // ---- Hugging Face (T5) encoding ---------------------------------------------------------------------------

  #encodeT5Content(text: string, ids: IdSink): void {
    text = wellFormed(text);
    const first = this.#addedFirst;
    let seg = 0;
    if (this.#addedByFirst.size > 0) {
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (first[c] === 0) continue;
        for (const a of this.#addedByFirst.get(c)!) {
          if (text.startsWith(a.content, i)) {
            if (i > seg) this.#encodeSegment(text.slice(seg, i), ids);
            ids.reserve(1);
            ids.a[ids.n++] = a.id;
            i += a.content.length - 1;
            seg = i + 1;
            break;
          }
        }
      }
    }
    if (seg === 0) this.#encodeSegment(text, ids);
    else if (seg < text.length) this.#encodeSegment(text.slice(seg), ids);
  }

  #encodeSegment(s: string, ids: IdSink): void {
    const n = s.length;
    if (n === 0) return;
    const hf = this.#spec.hf;
    let norm = s;
    let fast = this.#precompiledOnly !== undefined || this.#steps.length === 0;
    if (fast) {
      const pass = this.#asciiPass;
      for (let i = 0; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80 || pass[c] === 0) {
          fast = false;
          break;
        }
      }
    }
    if (!fast) { for (const f of this.#steps) norm = f(norm); }
    const m = norm.length;
    if (!hf.whitespaceSplit) {
      let h = HASH_SEED;
      for (let i = 0; i < m; i++) h = hashStep(h, norm.charCodeAt(i));
      if (m > 0) this.#encodeWord(norm, 0, m, h, ids);
      return;
    }
    let start = -1;
    let h = HASH_SEED;
    for (let i = 0; i < m; i++) {
      const c = norm.charCodeAt(i);
      if (WS[c] === 1) {
        if (start >= 0) {
          this.#encodeWord(norm, start, i, h, ids);
          start = -1;
        }
      } else {
        if (start < 0) {
          start = i;
          h = HASH_SEED;
        }
        h = hashStep(h, c);
      }
    }
    if (start >= 0) this.#encodeWord(norm, start, m, h, ids);
  }

  /** One pre-token `s[start, end)` (hash `h`): Metaspace (replace spaces, prepend, split), then Unigram, cached. */
  #encodeWord(s: string, start: number, end: number, h: number, res: IdSink): void {
    if (this.#cache.get(s, start, end, h, res)) return;
    const w = start === 0 && end === s.length ? s : s.slice(start, end);
    const from = res.n;
    const ms = this.#spec.hf.metaspace;
    if (this.#scratch.length < w.length + 1) this.#scratch = new Uint16Array(2 * w.length + 2);
    const buf = this.#scratch;
    let len = 0;
    if (ms) {
      const rep = ms.replacement.charCodeAt(0);
      const firstIsRep = w.charCodeAt(0) === 0x20 || w.charCodeAt(0) === rep;
      if (ms.prependAlways && !firstIsRep) buf[len++] = rep;
      for (let i = 0; i < w.length; i++) {
        const c = w.charCodeAt(i);
        buf[len++] = c === 0x20 ? rep : c;
      }
      if (ms.split) {
        let st = 0;
        for (let k = 1; k < len; k++) {
          if (buf[k] === rep) {
            this.#hfModel.encode(buf.subarray(st, k), k - st, res);
            st = k;
          }
        }
        this.#hfModel.encode(buf.subarray(st, len), len - st, res);
      } else {
        this.#hfModel.encode(buf, len, res);
      }
    } else {
      for (let i = 0; i < w.length; i++) buf[len++] = w.charCodeAt(i);
      this.#hfModel.encode(buf, len, res);
    }
    this.#cache.set(w, h, res.a, from, res.n);
  }
}

function makeStep(step: NormStep): (s: string) => string {
  switch (step.kind) {
    case "precompiled": {
      const p = new PrecompiledNormalizer(step.charsmap);
      return (s) => p.normalize(s);
    }
    case "unicode":
      return (s) => s.normalize(step.form);
    case "lowercase":
      return (s) => s.toLowerCase();
    case "strip":
      return (s) => stripWhitespace(s, step.left, step.right);
    case "replace": {
      const { pattern, content } = step;
      // A function replacer, so that `$` in the content is literal (as in tokenizers).
      return (s) =>
        typeof pattern === "string" ? s.replaceAll(pattern, () => content) : s.replace(pattern, () => content);
    }
  }
}

/** `Strip` with Rust's notion of whitespace (Unicode White_Space, which differs from JS `trim` on U+FEFF). */
function stripWhitespace(s: string, left: boolean, right: boolean): string {
  let a = 0;
  let b = s.length;
  if (left) { while (a < b && WS[s.charCodeAt(a)] === 1) a++; }
  if (right) { while (b > a && WS[s.charCodeAt(b - 1)] === 1) b--; }
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

function wellFormed(s: string): string {
  return s.isWellFormed() ? s : s.toWellFormed();
}

/** transformers' `clean_up_tokenization` (the `clean_up_tokenization_spaces` step of decoding). */
export function cleanUpTokenization(s: string): string {
  return s.replaceAll(" .", ".").replaceAll(" ?", "?").replaceAll(" !", "!").replaceAll(" ,", ",")
    .replaceAll(" ' ", "'").replaceAll(" n't", "n't").replaceAll(" 'm", "'m").replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve").replaceAll(" 're", "'re");
}
