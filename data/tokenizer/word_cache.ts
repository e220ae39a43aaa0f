import type { IdSink } from "./id_sink.ts";

/**
 * Cache of pre-token → ids, looked up by a hash of the characters of a slice of a larger string, so a hit costs no
 * substring allocation. Open addressing; cleared wholesale when full (results never depend on it).
 */

/** FNV-1a step over one UTF-16 code unit; start from {@linkcode HASH_SEED}. */
export function hashStep(h: number, c: number): number {
  return Math.imul(h ^ c, 0x01000193);
}

/** Initial hash value. */
export const HASH_SEED = 0x811c9dc5 | 0;

/** Pre-token cache keyed by `(string slice, hash)`. */
export class WordCache {
  #mask: number;
  #limit: number;
  #count = 0;
  #hash: Int32Array;
  /** Word length per slot; -1 = empty. */
  #wlen: Int32Array;
  #woff: Int32Array;
  #chars: Uint16Array = new Uint16Array(1 << 16);
  #charsLen = 0;
  #off: Int32Array;
  #len: Int32Array;
  #pool = new Int32Array(1 << 16);
  #poolLen = 0;

  /** A cache of at most 0.75 · 2^`bits` entries. */
  constructor(bits = 18) {
    const cap = 1 << bits;
    this.#mask = cap - 1;
    this.#limit = (cap * 3) >> 2;
    this.#hash = new Int32Array(cap);
    this.#wlen = new Int32Array(cap).fill(-1);
    this.#woff = new Int32Array(cap);
    this.#off = new Int32Array(cap);
    this.#len = new Int32Array(cap);
  }

  /** If `s[start, end)` (whose hash is `h`) is cached, append its ids to `out` and return true. */
  get(s: string, start: number, end: number, h: number, out: IdSink): boolean {
    const mask = this.#mask;
    const n = end - start;
    const wlen = this.#wlen;
    for (let i = h & mask;; i = (i + 1) & mask) {
      const len = wlen[i];
      if (len === -1) return false;
      if (this.#hash[i] !== h || len !== n) continue;
      const chars = this.#chars;
      const off = this.#woff[i] - start;
      let k = start;
      while (k < end && chars[off + k] === s.charCodeAt(k)) k++;
      if (k !== end) continue;
      const pool = this.#pool;
      const m = this.#len[i];
      out.reserve(m);
      const a = out.a;
      let o = out.n;
      for (let p = this.#off[i], e = p + m; p < e; p++) a[o++] = pool[p];
      out.n = o;
      return true;
    }
  }

  /** Store the ids `ids[from, to)` of `word` (hash `h`, not already present). */
  set(word: string, h: number, ids: Int32Array, from: number, to: number): void {
    const count = to - from;
    if (this.#count >= this.#limit) this.clear();
    this.#chars = grow16(this.#chars, this.#charsLen + word.length);
    if (this.#poolLen + count > this.#pool.length) {
      let cap = this.#pool.length * 2;
      while (cap < this.#poolLen + count) cap *= 2;
      const p = new Int32Array(cap);
      p.set(this.#pool.subarray(0, this.#poolLen));
      this.#pool = p;
    }
    const mask = this.#mask;
    let i = h & mask;
    while (this.#wlen[i] !== -1) i = (i + 1) & mask;
    this.#wlen[i] = word.length;
    this.#woff[i] = this.#charsLen;
    for (let k = 0; k < word.length; k++) this.#chars[this.#charsLen++] = word.charCodeAt(k);
    this.#hash[i] = h;
    this.#off[i] = this.#poolLen;
    this.#len[i] = count;
    for (let k = from; k < to; k++) this.#pool[this.#poolLen++] = ids[k];
    this.#count++;
  }

  /** Drop every entry. */
  clear(): void {
    this.#wlen.fill(-1);
    this.#charsLen = 0;
    this.#count = 0;
    this.#poolLen = 0;
  }
}

function grow16(a: Uint16Array, need: number): Uint16Array {
  if (need <= a.length) return a;
  let cap = a.length * 2;
  while (cap < need) cap *= 2;
  const b = new Uint16Array(cap);
  b.set(a);
  return b;
}
