/**
 * Float64 references of the optimiser kernels: one AdamW step (torch.optim.AdamW and transformers.AdamW, written as
 * those libraries write them) and global-norm gradient clipping (torch.nn.utils.clip_grad_norm_).
 * @module
 */

/** Hyperparameters of {@link refAdamWStep}. */
export interface RefAdamWOptions {
  /** Learning rate of this step. */
  lr: number;
  /** β1, β2. */
  betas: [number, number];
  /** ε. */
  eps: number;
  /** Decoupled weight decay. */
  weightDecay: number;
  /** Whose update rule: torch.optim.AdamW or transformers.AdamW (correct_bias=True). */
  variant: "torch" | "transformers";
}

/**
 * One AdamW step at 1-based step `t`, updating `param`, `m` and `v` in place (float64).
 *
 * torch: `p *= 1 − lr·wd; m, v updated; p −= lr/bc1 · m / (√v/√bc2 + eps)`.
 * transformers: `m, v updated; p −= lr·√bc2/bc1 · m / (√v + eps); p −= lr·wd·p`.
 */
export function refAdamWStep(
  param: Float64Array,
  grad: ArrayLike<number>,
  m: Float64Array,
  v: Float64Array,
  t: number,
  o: RefAdamWOptions,
): void {
  const [b1, b2] = o.betas;
  const bc1 = 1 - b1 ** t;
  const bc2 = 1 - b2 ** t;
  for (let i = 0; i < param.length; i++) {
    const g = grad[i];
    if (o.variant === "torch") param[i] *= 1 - o.lr * o.weightDecay;
    m[i] = b1 * m[i] + (1 - b1) * g;
    v[i] = b2 * v[i] + (1 - b2) * g * g;
    if (o.variant === "torch") {
      param[i] -= (o.lr / bc1) * m[i] / (Math.sqrt(v[i]) / Math.sqrt(bc2) + o.eps);
    } else {
      param[i] -= (o.lr * Math.sqrt(bc2) / bc1) * m[i] / (Math.sqrt(v[i]) + o.eps);
      if (o.weightDecay > 0) param[i] -= o.lr * o.weightDecay * param[i];
    }
  }
}

/**
 * torch.nn.utils.clip_grad_norm_ in float64: the global L2 norm of all gradients, and the gradients scaled by
 * min(1, maxNorm / (norm + 1e-6)).
 */
export function refClipGradNorm(
  grads: ArrayLike<number>[],
  maxNorm: number,
): { norm: number; clipped: Float64Array[] } {
  let sum = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) sum += g[i] * g[i];
  const norm = Math.sqrt(sum);
  const coef = Math.min(1, maxNorm / (norm + 1e-6));
  return { norm, clipped: grads.map((g) => Float64Array.from(g, (x) => x * coef)) };
}

/** Number of NaN and ±Inf values. */
export function refNonFiniteCount(values: ArrayLike<number>[]): number {
  let count = 0;
  for (const xs of values) for (let i = 0; i < xs.length; i++) if (!Number.isFinite(xs[i])) count++;
  return count;
}
