/**
 * Float64 references of the fused attention softmax and the T5 relative-position bias, with their gradients.
 * @module
 */
import { t5RelativeBucket } from "../t5_buckets.ts";
import type { RefTensor } from "./ref_tensor.ts";

/** `torch.finfo(torch.float32).min`. */
export const FINFO_F32_MIN = -3.4028234663852886e38;

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

/** Options of {@link refRelativePositionBias}. */
export interface RefRelativeBiasOptions {
  /** Bidirectional (encoder) buckets. */
  bidirectional: boolean;
  /** Number of buckets. */
  numBuckets: number;
  /** Saturation distance. */
  maxDistance: number;
  /** Absolute position of the first query. */
  queryOffset: number;
}

function bucketOf(i: number, j: number, o: RefRelativeBiasOptions): number {
  return t5RelativeBucket(j - (o.queryOffset + i), o.bidirectional, o.numBuckets, o.maxDistance);
}

/** `[1, H, Lq, Lk]` bias with entry `(h, i, j) = table[bucket(j − (offset + i)), h]`. */
export function refRelativePositionBias(
  table: RefTensor,
  Lq: number,
  Lk: number,
  o: RefRelativeBiasOptions,
): RefTensor {
  const H = table.shape[1];
  const out = new Float64Array(H * Lq * Lk);
  for (let h = 0; h < H; h++) {
    for (let i = 0; i < Lq; i++) {
      for (let j = 0; j < Lk; j++) out[(h * Lq + i) * Lk + j] = table.data[bucketOf(i, j, o) * H + h];
    }
  }
  return { shape: [1, H, Lq, Lk], data: out };
}

/** Table gradient of {@link refRelativePositionBias}: `g[0, h, i, j]` summed into `table[bucket(i, j), h]`. */
export function refRelativePositionBiasGrad(
  tableShape: number[],
  Lq: number,
  Lk: number,
  o: RefRelativeBiasOptions,
  g: RefTensor,
): RefTensor {
  const H = tableShape[1];
  const out = new Float64Array(tableShape[0] * H);
  for (let h = 0; h < H; h++) {
    for (let i = 0; i < Lq; i++) {
      for (let j = 0; j < Lk; j++) out[bucketOf(i, j, o) * H + h] += g.data[(h * Lq + i) * Lk + j];
    }
  }
  return { shape: [...tableShape], data: out };
}
