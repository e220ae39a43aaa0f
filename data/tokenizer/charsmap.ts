/**
 * SentencePiece precompiled character map (`precompiled_charsmap`): a Darts-clone double-array trie over UTF-8 keys
 * plus a blob of NUL-terminated replacement strings. Layout: `u32 LE trie_size` | `trie_size / 4` u32 LE units |
 * replacements.
 */

const decoder = new TextDecoder("utf-8");

/** Lookup structure for one precompiled charsmap. */
export class Charsmap {
  #units: Uint32Array;
  #normalized: Uint8Array;
  #replacements = new Map<number, string>();

  /** Parse the raw charsmap bytes; `source` names the file and field in errors. */
  constructor(bytes: Uint8Array, source: string) {
    if (bytes.length < 4) {
      throw new Error(`${source}: precompiled_charsmap has ${bytes.length} bytes, fewer than its 4-byte header.`);
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const trieSize = view.getUint32(0, true);
    if (trieSize % 4 !== 0 || trieSize + 4 > bytes.length || trieSize === 0) {
      throw new Error(
        `${source}: precompiled_charsmap declares a trie of ${trieSize} bytes but holds ${bytes.length - 4}; ` +
          "the charsmap is corrupt.",
      );
    }
    const n = trieSize / 4;
    this.#units = new Uint32Array(n);
    for (let i = 0; i < n; i++) this.#units[i] = view.getUint32(4 + 4 * i, true);
    this.#normalized = bytes.slice(4 + trieSize);
  }

  /** True when `key[start, end)` is a path in the trie (a prefix of some key, or a key). */
  hasPath(key: Uint8Array, start: number, end: number): boolean {
    const units = this.#units;
    const n = units.length;
    let pos = offset(units[0]);
    for (let i = start; i < end; i++) {
      const c = key[i];
      if (c === 0) return false;
      pos ^= c;
      if (pos >= n) return false;
      const u = units[pos];
      if ((u & 0x800000ff) >>> 0 !== c) return false;
      pos ^= offset(u);
    }
    return true;
  }

  /** Value of the shortest key that is a prefix of `key[start, end)`, or -1 (Hugging Face `Precompiled`). */
  shortest(key: Uint8Array, start: number, end: number): number {
    const units = this.#units;
    const n = units.length;
    let pos = offset(units[0]);
    for (let i = start; i < end; i++) {
      const c = key[i];
      if (c === 0) return -1;
      pos ^= c;
      if (pos >= n) return -1;
      const u = units[pos];
      if ((u & 0x800000ff) >>> 0 !== c) return -1;
      pos ^= offset(u);
      if ((u >>> 8) & 1) return pos < n ? units[pos] & 0x7fffffff : -1;
    }
    return -1;
  }

  /**
   * Longest key that is a prefix of `key[start, end)` (SentencePiece `NormalizePrefix`). Returns its length in
   * bytes (0 when none) and stores its value in `out[0]`.
   */
  longest(key: Uint8Array, start: number, end: number, out: Int32Array): number {
    const units = this.#units;
    const n = units.length;
    let pos = offset(units[0]);
    let best = 0;
    for (let i = start; i < end; i++) {
      const c = key[i];
      if (c === 0) break;
      pos ^= c;
      if (pos >= n) break;
      const u = units[pos];
      if ((u & 0x800000ff) >>> 0 !== c) break;
      pos ^= offset(u);
      if ((u >>> 8) & 1) {
        if (pos >= n) break;
        out[0] = units[pos] & 0x7fffffff;
        best = i + 1 - start;
      }
    }
    return best;
  }

  /** The replacement string stored at `value` (NUL-terminated in the blob). */
  replacement(value: number): string {
    let s = this.#replacements.get(value);
    if (s === undefined) {
      const blob = this.#normalized;
      if (value > blob.length) throw new Error(`precompiled_charsmap: replacement offset ${value} is out of range.`);
      let e = value;
      while (e < blob.length && blob[e] !== 0) e++;
      s = decoder.decode(blob.subarray(value, e));
      this.#replacements.set(value, s);
    }
    return s;
  }
}

function offset(u: number): number {
  return (u >>> 10) << ((u & 0x200) >>> 6);
}

/** Write the UTF-8 bytes of `s[start, end)` (well-formed UTF-16) into `out` at 0; returns the byte count. */
export function utf8Into(s: string, start: number, end: number, out: Uint8Array): number {
  let j = 0;
  for (let i = start; i < end; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      out[j++] = c;
    } else if (c < 0x800) {
      out[j++] = 0xc0 | (c >> 6);
      out[j++] = 0x80 | (c & 63);
    } else if (c >= 0xd800 && c < 0xdc00 && i + 1 < end) {
      c = 0x10000 + ((c - 0xd800) << 10) + (s.charCodeAt(++i) - 0xdc00);
      out[j++] = 0xf0 | (c >> 18);
      out[j++] = 0x80 | ((c >> 12) & 63);
      out[j++] = 0x80 | ((c >> 6) & 63);
      out[j++] = 0x80 | (c & 63);
    } else {
      out[j++] = 0xe0 | (c >> 12);
      out[j++] = 0x80 | ((c >> 6) & 63);
      out[j++] = 0x80 | (c & 63);
    }
  }
  return j;
}
