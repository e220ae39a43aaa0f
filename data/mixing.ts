/**
 * Task mixing: proportional to task size (the paper and released code), or temperature
 * sampling `p_i ∝ n_i^(1/T)` as an option. Draw d's task is a pure function of (seed, d).
 *
 * @module
 */
import { KeyedRandom } from "./rng.ts";

/** Mixing rates `p_i ∝ n_i^(1/T)`; T = 1 is proportional sampling, large T approaches uniform. */
export function mixtureWeights(counts: readonly number[], temperature = 1): number[] {
  if (!(temperature > 0)) throw new Error(`temperature must be > 0, got ${temperature}`);
  if (counts.length === 0) throw new Error("a mixture needs at least one task");
  const raw = counts.map((n) => {
    if (!(n > 0)) throw new Error(`every task in a mixture needs examples (got a count of ${n})`);
    return Math.pow(n, 1 / temperature);
  });
  const sum = raw.reduce((a, b) => a + b, 0);
  return raw.map((r) => r / sum);
}

/** Picks the task of each draw from fixed weights; `task(d)` depends only on the seed and d. */
export class MixtureSampler {
  readonly #cumulative: Float64Array;
  readonly #rng: KeyedRandom;

  /** Weights need not be normalised. */
  constructor(weights: readonly number[], seed: number) {
    const c = new Float64Array(weights.length);
    let s = 0;
    weights.forEach((w, i) => c[i] = s += w);
    for (let i = 0; i < c.length; i++) c[i] /= s;
    this.#cumulative = c;
    this.#rng = new KeyedRandom(seed, 0x3a1c);
  }

  /** Task index of draw `d`. */
  task(d: number): number {
    const u = this.#rng.float(d);
    const c = this.#cumulative;
    let lo = 0;
    let hi = c.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (u < c[mid]) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
