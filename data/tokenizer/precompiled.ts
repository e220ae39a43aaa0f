/**
 * Hugging Face `Precompiled` normalizer: applies a SentencePiece charsmap per extended grapheme cluster. A grapheme
 * shorter than 6 UTF-8 bytes with any charsmap key as a prefix is replaced whole by the replacement of the
 * **shortest** such key; otherwise each code point is replaced on its own. This deliberately reproduces
 * `tokenizers` (which differs from SentencePiece's longest match on rare combining sequences).
 */
import { type Charsmap, utf8Into } from "./charsmap.ts";

const CACHE_LIMIT = 100_000;

/** Hugging Face `Precompiled` normalization with a grapheme-aware fast path for ASCII. */
export class PrecompiledNormalizer {
  #cm: Charsmap;
  /** Replacement of each ASCII character when it is a grapheme on its own (`null` = unchanged). */
  #ascii: (string | null)[] = [];
  #cache = new Map<string, string | null>();
  #segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });
  #buf = new Uint8Array(64);

  /** Wrap a parsed charsmap. */
  constructor(charsmap: Charsmap) {
    this.#cm = charsmap;
    for (let c = 0; c < 128; c++) {
      const b = new Uint8Array([c]);
      const v = charsmap.shortest(b, 0, 1);
      this.#ascii.push(v >= 0 ? charsmap.replacement(v) : null);
    }
  }

  /** Replacement of ASCII code `c` standing alone, or `null` when the charsmap leaves it unchanged. */
  ascii(c: number): string | null {
    return this.#ascii[c];
  }

  /**
   * 1 when `c` (a BMP code unit) always has a grapheme break on both sides next to another such character, 2 when
   * not (combining marks, ZWJ, Prepend, Hangul jamo, regional indicators, CR, surrogates). Probed lazily with
   * `Intl.Segmenter` itself so that it follows the same Unicode data.
   */
  #simple = new Uint8Array(65536);

  #isSimple(c: number): boolean {
    let st = this.#simple[c];
    if (st === 0) {
      st = 1;
      if (
        c === 13 || (c >= 0xd800 && c < 0xe000) || (c >= 0x1100 && c < 0x1200) || (c >= 0xa960 && c < 0xa980) ||
        (c >= 0xac00 && c < 0xd800)
      ) {
        st = 2;
      } else if (c >= 0x80) {
        const ch = String.fromCharCode(c);
        for (const probe of ["x" + ch, ch + "x"]) {
          let count = 0;
          for (const _ of this.#segmenter.segment(probe)) count++;
          if (count !== 2) st = 2;
        }
      }
      this.#simple[c] = st;
    }
    return st === 1;
  }

  /** Replacement of a simple BMP character standing alone (`null` = unchanged). */
  #single(c: number): string | null {
    if (c < 0x80) return this.#ascii[c];
    const k = this.#bmp[c];
    if (k > 0) return this.#bmpStrings[k - 1];
    if (k < 0) return null;
    const r = this.#grapheme(String.fromCharCode(c));
    if (r === null) {
      this.#bmp[c] = -1;
    } else {
      this.#bmpStrings.push(r);
      this.#bmp[c] = this.#bmpStrings.length;
    }
    return r;
  }

  /** Per BMP code unit: 0 not looked up yet, -1 unchanged, k > 0 replacement `#bmpStrings[k - 1]`. */
  #bmp = new Int32Array(65536);
  #bmpStrings: string[] = [];

  /** Normalize a string. */
  normalize(s: string): string {
    const n = s.length;
    let out = "";
    let run = 0; // start of the not-yet-copied unchanged run
    let i = 0;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (this.#isSimple(c) && (i + 1 === n || this.#isSimple(s.charCodeAt(i + 1)))) {
        const r = this.#single(c);
        if (r !== null) {
          out += s.slice(run, i) + r;
          run = i + 1;
        }
        i++;
        continue;
      }
      // A stretch where grapheme boundaries are not obvious: up to the next pair of simple characters, between which
      // UAX #29 always breaks.
      let j = i + 1;
      while (j < n && !(this.#isSimple(s.charCodeAt(j - 1)) && this.#isSimple(s.charCodeAt(j)))) j++;
      const chunk = s.slice(i, j);
      for (const { segment, index } of this.#segmenter.segment(chunk)) {
        const r = this.#grapheme(segment);
        if (r !== null) {
          out += s.slice(run, i + index) + r;
          run = i + index + segment.length;
        }
      }
      i = j;
    }
    return run === 0 ? s : out + s.slice(run);
  }

  #grapheme(g: string): string | null {
    if (g.length === 1 && g.charCodeAt(0) < 0x80) return this.#ascii[g.charCodeAt(0)];
    let r = this.#cache.get(g);
    if (r !== undefined) return r;
    if (this.#buf.length < g.length * 3) this.#buf = new Uint8Array(g.length * 3);
    const buf = this.#buf;
    const cm = this.#cm;
    const nb = utf8Into(g, 0, g.length, buf);
    r = null;
    if (nb < 6) {
      const v = cm.shortest(buf, 0, nb);
      if (v >= 0) r = cm.replacement(v);
    }
    if (r === null) {
      let out = "";
      let changed = false;
      let pos = 0;
      for (let k = 0; k < g.length; k++) {
        const c = g.charCodeAt(k);
        const len = c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c < 0xdc00 ? 4 : 3;
        const width = len === 4 ? 2 : 1;
        const v = cm.shortest(buf, pos, pos + len);
        if (v >= 0) {
          out += cm.replacement(v);
          changed = true;
        } else {
          out += g.slice(k, k + width);
        }
        pos += len;
        k += width - 1;
      }
      if (changed) r = out;
    }
    if (this.#cache.size >= CACHE_LIMIT) this.#cache.clear();
    this.#cache.set(g, r);
    return r;
  }
}
