/**
 * CPU reference of dropout: the exact keep mask of the GPU hash, and the masked, scaled values in float64.
 * @module
 */
import { dropoutBits, dropoutKeys, dropoutThreshold } from "@hyperdecoders/kernels";
import type { RefTensor } from "./ref_tensor.ts";

/** Keep mask (1 = kept) of `n` elements for drop probability `p` and `seed`, bit-exact with the GPU kernel. */
export function refDropoutMask(n: number, p: number, seed: number): Uint8Array {
  const keys = dropoutKeys(seed);
  const thr = dropoutThreshold(p);
  const mask = new Uint8Array(n);
  for (let i = 0; i < n; i++) mask[i] = (dropoutBits(i, keys) >>> 8) >= thr ? 1 : 0;
  return mask;
}

/** `x · mask / (1 − p)`; also the gradient when applied to the output gradient. */
export function refDropout(x: RefTensor, p: number, seed: number): RefTensor {
  if (p === 0) return { shape: [...x.shape], data: Float64Array.from(x.data) };
  const mask = refDropoutMask(x.data.length, p, seed);
  const scale = p === 1 ? 0 : 1 / (1 - p);
  return { shape: [...x.shape], data: x.data.map((v, i) => (mask[i] ? v * scale : 0)) };
}
