/**
 * Uniform, normal and permutation draws from the project's seeded generator (mulberry32, `@hyperdecoders/kernels/random`), so
 * that every analysis result (t-SNE init, train/test splits, subsamples) is reproducible from its seed.
 * @module
 */
import { mulberry32 } from "@hyperdecoders/kernels/random";

/** Seeded pseudo-random numbers (mulberry32; not cryptographic). */
export class SeededRandom {
  readonly #next: () => number;
  #spare: number | null = null;

  /** A generator whose sequence is fixed by `seed` (any integer; mixed so that nearby seeds start far apart). */
  constructor(seed: number) {
    this.#next = mulberry32(Math.imul(seed | 0, 0x9e3779b1) ^ 0x6d2b79f5);
  }

  /** A uniform draw in [0, 1). */
  uniform(): number {
    return this.#next();
  }

  /** A standard normal draw (Box–Muller). */
  normal(): number {
    if (this.#spare !== null) {
      const s = this.#spare;
      this.#spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.#spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** A uniformly random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
