/**
 * Float64 references of the fused attention softmax, with its gradient.
 * @module
 */
import type { RefTensor } from "./ref_tensor.ts";

/** `torch.finfo(torch.float32).min`. */
export const FINFO_F32_MIN: number = -3.4028234663852886e38;

/** `softmax_j(scores + (bias + masked·finfo.min))` over the last axis of `[B, H, Lq, Lk]` scores. */
export function refAttentionSoftmax(
  scores: RefTensor,
  bias: RefTensor | null,
  keyMask: RefTensor | null,
  causal: boolean,
): RefTensor {
  const [B, H, Lq, Lk] = scores.shape;
  const out = new Float64Array(scores.data.length);
  const s = new Float64Array(Lk);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < Lq; i++) {
        const row = ((b * H + h) * Lq + i) * Lk;
        const biasRow = bias ? (((bias.shape[0] === 1 ? 0 : b) * H + h) * Lq + i) * Lk : 0;
        let max = -Infinity;
        for (let j = 0; j < Lk; j++) {
          let pb = bias ? bias.data[biasRow + j] : 0;
          const masked = (keyMask !== null && keyMask.data[b * Lk + j] === 0) || (causal && j > i + Lk - Lq);
          if (masked) pb += FINFO_F32_MIN;
          s[j] = scores.data[row + j] + pb;
          max = Math.max(max, s[j]);
        }
        let sum = 0;
        for (let j = 0; j < Lk; j++) sum += Math.exp(s[j] - max);
        for (let j = 0; j < Lk; j++) out[row + j] = Math.exp(s[j] - max) / sum;
      }
    }
  }
  return { shape: [...scores.shape], data: out };
}

/** Analytic softmax gradient per row, `P ⊙ (g − Σ P g)`, given the probabilities `P`. */
export function refSoftmaxRowsGrad(probs: RefTensor, g: RefTensor): RefTensor {
  const Lk = probs.shape[probs.shape.length - 1];
  const out = new Float64Array(probs.data.length);
  for (let row = 0; row < probs.data.length / Lk; row++) {
    let dot = 0;
    for (let j = 0; j < Lk; j++) dot += probs.data[row * Lk + j] * g.data[row * Lk + j];
    for (let j = 0; j < Lk; j++) out[row * Lk + j] = probs.data[row * Lk + j] * (g.data[row * Lk + j] - dot);
  }
  return { shape: [...probs.shape], data: out };
}
