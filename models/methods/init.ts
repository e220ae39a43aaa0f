/**
 * Seeded initialisers for method parameters, matching the PyTorch distributions the reference code draws from
 * (the values differ from PyTorch's, which no JavaScript generator reproduces; the distributions are the same).
 * @module
 */
import { mulberry32 } from "@hyperdecoders/kernels/random";

/** A seeded generator of uniform floats in [0, 1): the project's mulberry32 (`@hyperdecoders/kernels/random`). */
export class InitRandom {
  readonly #next: () => number;

  /** Starts the stream at `seed` (any integer; mixed so that nearby seeds start far apart). */
  constructor(seed: number) {
    this.#next = mulberry32(Math.imul(seed | 0, 2654435761) ^ 0x5bd1e995);
  }

  /** Next uniform float in [0, 1). */
  next(): number {
    return this.#next();
  }

  /** `n` samples of U(−bound, bound). */
  uniform(n: number, bound: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = (2 * this.next() - 1) * bound;
    return out;
  }

  /** `n` samples of N(0, std²) (Box–Muller). */
  normal(n: number, std = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i += 2) {
      const u = Math.max(this.next(), 1e-12);
      const r = Math.sqrt(-2 * Math.log(u)) * std;
      const a = 2 * Math.PI * this.next();
      out[i] = r * Math.cos(a);
      if (i + 1 < n) out[i + 1] = r * Math.sin(a);
    }
    return out;
  }
}

/** PyTorch's fan-in and fan-out of a weight shape (dim 1 × receptive field, dim 0 × receptive field). */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) throw new Error(`fans: a weight needs at least 2 dimensions, got [${shape}]`);
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[1] * receptive, fanOut: shape[0] * receptive };
}

/** `torch.nn.init.xavier_uniform_(w, gain)`: U(±gain·√(6/(fan_in+fan_out))). */
export function xavierUniform(rng: InitRandom, shape: readonly number[], gain: number): Float32Array {
  const { fanIn, fanOut } = fans(shape);
  return rng.uniform(shape.reduce((a, b) => a * b, 1), gain * Math.sqrt(6 / (fanIn + fanOut)));
}

/** `nn.Linear`'s default init of a weight [out, in] or its bias: U(±1/√in). */
export function linearDefault(rng: InitRandom, n: number, fanIn: number): Float32Array {
  return rng.uniform(n, 1 / Math.sqrt(fanIn));
}
