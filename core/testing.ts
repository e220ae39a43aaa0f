/**
 * Test utilities shared by every package (`@hyperdecoders/core/testing`): seeded random data, closeness checks with
 * useful messages, central finite differences, the op harness (GPU forward and backward vs a float64 reference and
 * finite differences) and the float64 reference tensors it takes.
 * @module
 */
export { checkOp, type OpCase } from "./_op_check.ts";
export { ref, refSumTo, type RefTensor } from "./reference/ref_tensor.ts";
export { FINFO_F32_MIN, refAttentionSoftmax, refSoftmaxRowsGrad } from "./reference/attention.ts";
export { withSeparateGradientAdds } from "./grad_sum.ts";

import { mulberry32 } from "@hyperdecoders/kernels/random";

/** A seeded PRNG returning floats in [0, 1): the project's mulberry32 (`@hyperdecoders/kernels/random`). */
export function seededRandom(seed: number): () => number {
  return mulberry32(seed);
}

/** `n` standard-normal floats from a seed (Box–Muller). */
export function randomNormal(n: number, seed: number, std = 1): Float64Array {
  const rand = seededRandom(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = Math.max(rand(), 1e-12);
    const v = rand();
    const r = Math.sqrt(-2 * Math.log(u)) * std;
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

/** `n` uniform floats in [lo, hi) from a seed. */
export function randomUniform(n: number, seed: number, lo = -1, hi = 1): Float64Array {
  const rand = seededRandom(seed);
  return Float64Array.from({ length: n }, () => lo + (hi - lo) * rand());
}

/** Max |a−b| / max(max|b|, floor): a relative error scaled by the reference's magnitude. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>, floor = 1e-6): number {
  if (actual.length !== expected.length) {
    throw new Error(`length mismatch: ${actual.length} vs ${expected.length}`);
  }
  let maxDiff = 0;
  let maxRef = floor;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= maxDiff)) maxDiff = Number.isNaN(d) ? Infinity : d;
    maxRef = Math.max(maxRef, Math.abs(expected[i]));
  }
  return maxDiff / maxRef;
}

/** Throws with the worst index when the relative error exceeds `tol`. */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  what = "values",
): void {
  const err = relativeError(actual, expected);
  if (err <= tol) return;
  let worst = 0;
  for (let i = 1; i < expected.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= Math.abs(actual[worst] - expected[worst]))) worst = i;
  }
  throw new Error(
    `${what}: relative error ${err.toExponential(3)} > ${tol} (worst at ${worst}: ${actual[worst]} vs ${
      expected[worst]
    })`,
  );
}

/**
 * Central finite-difference gradient of a scalar function of `x` (float64): ∂f/∂x_i ≈ (f(x+h e_i) − f(x−h e_i)) / 2h.
 */
export function finiteDifference(f: (x: Float64Array) => number, x: Float64Array, h = 1e-6): Float64Array {
  const grad = new Float64Array(x.length);
  const probe = Float64Array.from(x);
  for (let i = 0; i < x.length; i++) {
    probe[i] = x[i] + h;
    const up = f(probe);
    probe[i] = x[i] - h;
    const down = f(probe);
    probe[i] = x[i];
    grad[i] = (up - down) / (2 * h);
  }
  return grad;
}

/**
 * A [B, Lk] attention keep-mask (1 kept, 0 padding) with a random-length padded tail per batch entry: at least one
 * kept key per row, except row `allPadRow`, which is all padding.
 */
export function paddingMask(B: number, Lk: number, seed: number, allPadRow = -1): Float64Array {
  const rand = seededRandom(seed);
  const m = new Float64Array(B * Lk);
  for (let b = 0; b < B; b++) {
    const len = b === allPadRow ? 0 : 1 + Math.floor(rand() * Lk);
    for (let j = 0; j < len; j++) m[b * Lk + j] = 1;
  }
  return m;
}

/** Σ_i out_i · w_i: turns a tensor-valued function into a scalar for gradient checks with upstream gradient `w`. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
// Referenced by the API above; re-exported so that its documentation is complete (`deno doc --lint`).
export type { DType, GradNode, PooledBuffer, Tensor } from "./mod.ts";
