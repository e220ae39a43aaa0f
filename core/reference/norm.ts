/**
 * Float64 reference of T5LayerNorm (RMSNorm) and its gradients.
 * @module
 */
import type { RefTensor } from "./ref_tensor.ts";

/** `y = w · x / sqrt(mean(x²) + eps)` over the last axis. */
export function refRmsNorm(x: RefTensor, w: RefTensor, eps = 1e-6): RefTensor {
  const d = w.data.length;
  const n = x.data.length / d;
  const y = new Float64Array(x.data.length);
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += x.data[r * d + j] ** 2;
    const inv = 1 / Math.sqrt(s / d + eps);
    for (let j = 0; j < d; j++) y[r * d + j] = w.data[j] * x.data[r * d + j] * inv;
  }
  return { shape: [...x.shape], data: y };
}

/** Gradients of {@link refRmsNorm} with respect to `x` and `w`, given the output gradient `g`. */
export function refRmsNormGrad(x: RefTensor, w: RefTensor, g: RefTensor, eps = 1e-6): [RefTensor, RefTensor] {
  const d = w.data.length;
  const n = x.data.length / d;
  const dx = new Float64Array(x.data.length);
  const dw = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    let s = 0;
    let dot = 0;
    for (let j = 0; j < d; j++) {
      const i = r * d + j;
      s += x.data[i] ** 2;
      dot += g.data[i] * w.data[j] * x.data[i];
    }
    const inv = 1 / Math.sqrt(s / d + eps);
    for (let j = 0; j < d; j++) {
      const i = r * d + j;
      dx[i] = inv * g.data[i] * w.data[j] - x.data[i] * inv ** 3 * dot / d;
      dw[j] += g.data[i] * x.data[i] * inv;
    }
  }
  return [{ shape: [...x.shape], data: dx }, { shape: [...w.shape], data: dw }];
}
