/**
 * Float64 reference of the gated feed-forward activation `dropout(act(a) · b)` and its two input gradients.
 * @module
 */
import { UNARY } from "@hyperdecoders/kernels";
import { refDropoutMask } from "./dropout.ts";
import type { RefTensor } from "./ref_tensor.ts";

/** Dropout of the reference: drop probability and seed, or null for none. */
export type RefGatedDropout = { p: number; seed: number } | null;

/** Per element: the mask times the scale (1 without dropout). */
function maskScale(n: number, drop: RefGatedDropout): Float64Array {
  if (!drop || drop.p === 0) return new Float64Array(n).fill(1);
  const mask = refDropoutMask(n, drop.p, drop.seed);
  const scale = drop.p === 1 ? 0 : 1 / (1 - drop.p);
  return Float64Array.from(mask, (m) => m * scale);
}

/** `mask · scale · act(a) · b`. */
export function refGatedActivation(op: string, a: RefTensor, b: RefTensor, drop: RefGatedDropout): RefTensor {
  const f = UNARY[op].cpu;
  const m = maskScale(a.data.length, drop);
  return { shape: [...a.shape], data: a.data.map((x, i) => m[i] * f(x) * b.data[i]) };
}

/** The gradients with respect to `a` (`g · mask · scale · b · act'(a)`) and `b` (`g · mask · scale · act(a)`). */
export function refGatedActivationGrad(
  op: string,
  a: RefTensor,
  b: RefTensor,
  g: RefTensor,
  drop: RefGatedDropout,
): [RefTensor, RefTensor] {
  const { cpu: f, cpuGrad: df } = UNARY[op];
  const m = maskScale(a.data.length, drop);
  return [
    { shape: [...a.shape], data: a.data.map((x, i) => g.data[i] * m[i] * b.data[i] * df(x)) },
    { shape: [...b.shape], data: a.data.map((x, i) => g.data[i] * m[i] * f(x)) },
  ];
}
