/**
 * SentencePiece `Normalizer::Normalize`: longest-match charsmap rewriting over the UTF-8 byte stream, user-defined
 * symbols kept whole, leading/trailing/repeated spaces removed, a dummy-prefix space added and spaces escaped as `▁`.
 * The result is written as UTF-16 code units, ready for the Unigram search.
 */
import type { Charsmap } from "./charsmap.ts";

/** Options of {@linkcode SpmNormalizer} (from `NormalizerSpec`). */
export interface SpmNormalizerOptions {
  /** Compiled rules; `undefined` for identity. */
  charsmap?: Charsmap;
  /** Prepend one space (`▁`). */
  addDummyPrefix: boolean;
  /** Drop leading, trailing and repeated spaces. */
  removeExtraWhitespaces: boolean;
  /** Write spaces as `▁`. */
  escapeWhitespaces: boolean;
  /** User-defined symbols, matched before the charsmap and never rewritten. */
  userDefined?: readonly string[];
}

const SPACE = 0x20;
const META = 0x2581;
const encoder = new TextEncoder();
const udDecoder = new TextDecoder();

/** Stateful (buffer-reusing) SentencePiece normalizer. */
export class SpmNormalizer {
  #o: SpmNormalizerOptions;
  #in = new Uint8Array(1024);
  /** Output code units; valid up to {@linkcode SpmNormalizer.length}. */
  out: Uint16Array = new Uint16Array(1024);
  /** Number of code units written by the last {@linkcode SpmNormalizer.normalize}. */
  length = 0;
  #val = new Int32Array(1);
  /** Per ASCII byte: replacement code units when the byte stands alone (`undefined` = unchanged). */
  #asciiRepl: (Uint16Array | undefined)[] = [];
  /** Per ASCII byte: no charsmap key continues it with another ASCII byte, so the one-byte answer is final. */
  #asciiFinal = new Uint8Array(128);
  #ud: Uint8Array[];
  #replCache = new Map<number, Uint16Array>();

  /** Build from normalizer options. */
  constructor(opts: SpmNormalizerOptions) {
    this.#o = opts;
    this.#ud = (opts.userDefined ?? []).map((s) => encoder.encode(s));
    const cm = opts.charsmap;
    const b = new Uint8Array(2);
    for (let c = 0; c < 128; c++) {
      b[0] = c;
      let repl: Uint16Array | undefined;
      let final = this.#ud.length === 0;
      if (cm) {
        const len = cm.longest(b, 0, 1, this.#val);
        if (len === 1) repl = this.#units(this.#val[0]);
        for (let d = 1; d < 128 && final; d++) {
          b[1] = d;
          if (cm.hasPath(b, 0, 2)) final = false;
        }
      }
      this.#asciiRepl.push(repl);
      this.#asciiFinal[c] = final ? 1 : 0;
    }
  }

  #units(value: number): Uint16Array {
    let u = this.#replCache.get(value);
    if (!u) {
      const s = this.#o.charsmap!.replacement(value);
      u = new Uint16Array(s.length);
      for (let i = 0; i < s.length; i++) u[i] = s.charCodeAt(i);
      this.#replCache.set(value, u);
    }
    return u;
  }

  #ensure(extra: number): void {
    if (this.length + extra > this.out.length) {
      let cap = this.out.length * 2;
      while (cap < this.length + extra) cap *= 2;
      const o = new Uint16Array(cap);
      o.set(this.out.subarray(0, this.length));
      this.out = o;
    }
  }

  /**
   * Normalize `text` into {@linkcode SpmNormalizer.out}[0, {@linkcode SpmNormalizer.length}). Lone surrogates must
   * already be replaced (the caller passes well-formed text).
   */
  normalize(text: string): void {
    this.length = 0;
    if (this.#in.length < text.length * 3) this.#in = new Uint8Array(text.length * 3 + 16);
    const inb = this.#in;
    const end = encoder.encodeInto(text, inb).written;
    const o = this.#o;
    // Each step yields the normalized text of one prefix as code units in `sp[spStart, spEnd)` and its byte length.
    let sp: Uint16Array = ONE;
    let spStart = 0;
    let spEnd = 0;
    let consumed = 0;
    const single = new Uint16Array(2);
    const step = (p: number): void => {
      const c = inb[p];
      if (c < 0x80 && (p + 1 >= end || inb[p + 1] < 0x80) && this.#asciiFinal[c]) {
        const r = this.#asciiRepl[c];
        consumed = 1;
        if (r) {
          sp = r;
          spStart = 0;
          spEnd = r.length;
        } else {
          single[0] = c;
          sp = single;
          spStart = 0;
          spEnd = 1;
        }
        return;
      }
      if (this.#ud.length > 0) {
        let best: Uint8Array | undefined;
        for (const u of this.#ud) {
          if (u.length > end - p || (best && u.length <= best.length)) continue;
          let k = 0;
          while (k < u.length && inb[p + k] === u[k]) k++;
          if (k === u.length) best = u;
        }
        if (best) {
          const str = udDecoder.decode(best);
          sp = new Uint16Array(str.length);
          for (let k = 0; k < str.length; k++) sp[k] = str.charCodeAt(k);
          spStart = 0;
          spEnd = str.length;
          consumed = best.length;
          return;
        }
      }
      if (o.charsmap) {
        const len = o.charsmap.longest(inb, p, end, this.#val);
        if (len > 0) {
          const r = this.#units(this.#val[0]);
          sp = r;
          spStart = 0;
          spEnd = r.length;
          consumed = len;
          return;
        }
      }
      // Unchanged character (input is valid UTF-8 from TextEncoder).
      let cp: number;
      if (c < 0x80) {
        cp = c;
        consumed = 1;
      } else if (c < 0xe0) {
        cp = ((c & 0x1f) << 6) | (inb[p + 1] & 0x3f);
        consumed = 2;
      } else if (c < 0xf0) {
        cp = ((c & 0x0f) << 12) | ((inb[p + 1] & 0x3f) << 6) | (inb[p + 2] & 0x3f);
        consumed = 3;
      } else {
        cp = ((c & 0x07) << 18) | ((inb[p + 1] & 0x3f) << 12) | ((inb[p + 2] & 0x3f) << 6) | (inb[p + 3] & 0x3f);
        consumed = 4;
      }
      sp = single;
      spStart = 0;
      if (cp >= 0x10000) {
        single[0] = 0xd800 + ((cp - 0x10000) >> 10);
        single[1] = 0xdc00 + ((cp - 0x10000) & 0x3ff);
        spEnd = 2;
      } else {
        single[0] = cp;
        spEnd = 1;
      }
    };

    let p = 0;
    if (o.removeExtraWhitespaces) {
      while (p < end) {
        step(p);
        if (!(spEnd - spStart === 1 && sp[spStart] === SPACE)) break;
        p += consumed;
      }
    }
    if (p >= end) return;
    const space = o.escapeWhitespaces ? META : SPACE;
    if (o.addDummyPrefix) {
      this.#ensure(1);
      this.out[this.length++] = space;
    }
    let prevSpace = o.removeExtraWhitespaces;
    while (p < end) {
      step(p);
      let a = spStart;
      if (prevSpace) { while (a < spEnd && sp[a] === SPACE) a++; }
      if (a < spEnd) {
        this.#ensure(spEnd - a);
        const out = this.out;
        let len = this.length;
        for (let k = a; k < spEnd; k++) {
          const u = sp[k];
          out[len++] = u === SPACE && o.escapeWhitespaces ? META : u;
        }
        this.length = len;
        prevSpace = sp[spEnd - 1] === SPACE;
      }
      p += consumed;
      if (!o.removeExtraWhitespaces) prevSpace = false;
    }
    if (o.removeExtraWhitespaces) {
      while (this.length > 0 && this.out[this.length - 1] === space) this.length--;
    }
  }
}

const ONE = new Uint16Array(1);
