/**
 * Float64 reference of masked mean pooling and its gradient.
 * @module
 */
import type { RefTensor } from "./ref_tensor.ts";

/** `out[b, d] = Σ_s m[b, s] · x[b, s, d] / max(Σ_s m[b, s], 1)` for `x` [B, S, D] and `mask` [B, S]. */
export function refMaskedMeanPool(x: RefTensor, mask: RefTensor): RefTensor {
  const [B, S, D] = x.shape;
  const out = new Float64Array(B * D);
  for (let b = 0; b < B; b++) {
    let n = 0;
    for (let s = 0; s < S; s++) n += mask.data[b * S + s];
    const den = Math.max(n, 1);
    for (let s = 0; s < S; s++) {
      const m = mask.data[b * S + s];
      for (let d = 0; d < D; d++) out[b * D + d] += m * x.data[(b * S + s) * D + d] / den;
    }
  }
  return { shape: [B, D], data: out };
}

/** Gradient of {@link refMaskedMeanPool} with respect to `x`, given the output gradient `g` [B, D]. */
export function refMaskedMeanPoolGrad(x: RefTensor, mask: RefTensor, g: RefTensor): RefTensor {
  const [B, S, D] = x.shape;
  const dx = new Float64Array(x.data.length);
  for (let b = 0; b < B; b++) {
    let n = 0;
    for (let s = 0; s < S; s++) n += mask.data[b * S + s];
    const den = Math.max(n, 1);
    for (let s = 0; s < S; s++) {
      for (let d = 0; d < D; d++) dx[(b * S + s) * D + d] = mask.data[b * S + s] * g.data[b * D + d] / den;
    }
  }
  return { shape: [...x.shape], data: dx };
}
