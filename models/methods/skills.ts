/**
 * Polytropon-style modular skills (Ponti et al. 2022; `McGill-NLP/polytropon` `SkilledLoRALinear`): an inventory of S
 * LoRA skills per site and learned task–skill logits Z [T, S]. An example of task t mixes the skills with weights
 * `w = normalise(σ(Z_t))` at evaluation and `w = normalise(σ(Z_t + logistic noise))` in training (a RelaxedBernoulli
 * sample at temperature 1), then applies `(x·A_t)·B_t / r` with `A_t = w·A` viewed [d_in, r] and `B_t = w·B` viewed
 * [r, d_out].
 * @module
 */
import {
  add,
  addScalar,
  div,
  embedding,
  matmul,
  reshape,
  scale,
  sigmoid,
  sum,
  type Tensor,
  tensor,
} from "@hyperdecoders/core";
import { InitRandom } from "./init.ts";

/** One skilled site's parameters. */
export interface SkillParams {
  /** `skill_logits` [T, S]. */
  logits: Tensor;
  /** `skills_weight_A` [S, r·d_in]. */
  a: Tensor;
  /** `skills_weight_B` [S, d_out·r]. */
  b: Tensor;
}

/** Per-example LoRA factors of one site. */
export interface SkillWeights {
  /** A_t [B, d_in, r]. */
  a: Tensor;
  /** B_t [B, r, d_out]. */
  b: Tensor;
}

/** Logistic noise `log u − log(1 − u)` for a RelaxedBernoulli sample, seeded, [rows, S]. */
export function logisticNoise(rows: number, skills: number, seed: number): Tensor {
  const rng = new InitRandom(seed);
  const out = new Float32Array(rows * skills);
  for (let i = 0; i < out.length; i++) {
    const u = Math.min(Math.max(rng.next(), 1e-7), 1 - 1e-7);
    out[i] = Math.log(u) - Math.log(1 - u);
  }
  return tensor(out, [rows, skills]);
}

/**
 * Each example's normalised skill weights [B, S] from its task id (`ids` [B] i32); `noise` [B, S] (training) or null
 * (evaluation). Normalised as polytropon does: `w / (Σ w + 1e-12)`.
 */
export function skillMixture(logits: Tensor, ids: Tensor, noise: Tensor | null): Tensor {
  const picked = embedding(logits, ids); // [B, S]
  const w = sigmoid(noise ? add(picked, noise) : picked);
  return div(w, addScalar(sum(w, { axis: 1, keepDims: true }), 1e-12));
}

/** Per-example LoRA factors of one site, for inputs of width `dIn` and outputs of width `dOut`, rank `r`. */
export function skillWeights(p: SkillParams, mixture: Tensor, dIn: number, dOut: number, r: number): SkillWeights {
  const B = mixture.shape[0];
  return {
    a: reshape(matmul(mixture, p.a), [B, dIn, r]),
    b: reshape(matmul(mixture, p.b), [B, r, dOut]),
  };
}

/** The skilled LoRA branch `(x·A_t)·B_t / r` for `x` [B, T, d_in] → [B, T, d_out]. */
export function skilledLora(x: Tensor, w: SkillWeights): Tensor {
  const r = w.a.shape[2];
  return scale(matmul(matmul(x, w.a), w.b), 1 / r);
}
