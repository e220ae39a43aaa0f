/**
 * The project's one seeded pseudo-random generator, mulberry32 (Tommy Ettinger's 32-bit generator: a Weyl sequence
 * through a multiply-xorshift mix; period 2³², not cryptographic). A subpath export of kernels (plain TypeScript, no
 * GPU code) that every package may import, the data pipeline included, so that each draws from the same
 * implementation: weight initialisation (models), test data (core), ROUGE bootstrap and the analysis (eval), synthetic
 * data (data).
 *
 * @example
 * ```ts
 * import { mulberry32 } from "@hyperdecoders/kernels/random";
 *
 * const next = mulberry32(42);
 * console.log(next(), next()); // the same two numbers in [0, 1) on every run
 * ```
 * @module
 */

/**
 * A generator of uniform floats in [0, 1) whose sequence is fixed by `seed` (taken as an unsigned 32-bit integer:
 * callers that want distinct streams for nearby seeds mix the seed first).
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
