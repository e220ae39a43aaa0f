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

  /** Normalize a string. */
  normalize(s: string): string {
    const n = s.length;
    let out = "";
    let run = 0; // start of the not-yet-copied unchanged run
    let i = 0;
    const ascii = this.#ascii;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c < 0x80) {
        const next = i + 1 < n ? s.charCodeAt(i + 1) : 0;
        if (next < 0x80 && !(c === 13 && next === 10)) {
          const r = ascii[c];
          if (r !== null) {
            out += s.slice(run, i) + r;
            run = i + 1;
          }
          i++;
          continue;
        }
      }
      // A stretch where grapheme boundaries are not obvious: up to the next pair of ASCII characters (other than
      // CR LF), between which UAX #29 always breaks.
      let j = i + 1;
      while (j < n) {
        const a = s.charCodeAt(j - 1);
        const b = s.charCodeAt(j);
        if (a < 0x80 && b < 0x80 && !(a === 13 && b === 10)) break;
        j++;
      }
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
