/**
 * Counter-based pseudo-randomness: every draw is a pure function of integer keys (seed, stream, counter), so a
 * position in any random process can be restored from a few integers without storing generator state.
 *
 * @module
 */

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function absorb(h: number, k: number): number {
  const lo = k >>> 0;
  const hi = Math.floor(k / 4294967296) >>> 0;
  h = fmix32(h ^ Math.imul(lo, 0xcc9e2d51) ^ Math.imul(hi + 0x632be5ab, 0x1b873593));
  return (Math.imul(h, 5) + 0xe6546b64) >>> 0;
}

/** Hashes integer keys to a uniformly distributed unsigned 32-bit integer (MurmurHash3-style mixing). Keys may be
 * any non-negative safe integers. */
export function hash32(...keys: number[]): number {
  let h = 0x9e3779b9;
  for (const k of keys) h = absorb(h, k);
  return fmix32(h);
}

/** A stream of random numbers addressed by a counter: `float(i)` is a pure function of the keys and `i`, and
 * equals `random01(...keys, i)`. Faster than {@link random01} for many draws of one stream. */
export class KeyedRandom {
  #prefix: number;

  /** The stream identified by `keys`. */
  constructor(...keys: number[]) {
    let h = 0x9e3779b9;
    for (const k of keys) h = absorb(h, k);
    this.#prefix = h;
  }

  /** Uniform number in [0, 1) at counter `i`. */
  float(i: number): number {
    const h = absorb(this.#prefix, i);
    const a = fmix32(absorb(h, 0x51ed27));
    const b = fmix32(absorb(h, 0x2545f4)) >>> 11;
    return (a * 2097152 + b) / 9007199254740992;
  }

  /** Uniform integer in [0, n) at counter `i`. */
  int(n: number, i: number): number {
    return Math.floor(this.float(i) * n);
  }
}

/** FNV-1a hash of a string, for turning names (task names) into integer keys. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A uniform number in [0, 1) determined by the keys (53 bits from two hashes). */
export function random01(...keys: number[]): number {
  const last = keys[keys.length - 1];
  return new KeyedRandom(...keys.slice(0, -1)).float(last ?? 0);
}

/** A uniform integer in [0, n) determined by the keys. */
export function randomInt(n: number, ...keys: number[]): number {
  return Math.floor(random01(...keys) * n);
}

/** A seeded permutation of 0..n-1 (Fisher–Yates driven by {@link randomInt}). */
export function permutation(n: number, ...keys: number[]): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  const rng = new KeyedRandom(...keys);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1, i);
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return out;
}

/** A sequential seeded generator of uniform floats in [0, 1) (the project's mulberry32), for synthetic test and
 * benchmark data where a resumable position is not needed. */
export { mulberry32 } from "@hyperdecoders/kernels/random";
