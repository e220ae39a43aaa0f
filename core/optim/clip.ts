/**
 * Global-norm gradient clipping on the GPU, as torch.nn.utils.clip_grad_norm_, with no readback.
 * @module
 */
import {
  CLIP_SCALE_KERNEL,
  clipScaleGrid,
  partialGroups,
  SQRT_SUM_KERNEL,
  SUM_SQUARES_PARTIAL_KERNEL,
} from "@hyperdecoders/kernels";
import { launch } from "../launch.ts";
import { zeros } from "../ops/create.ts";
import { empty, type Tensor } from "../tensor.ts";

/**
 * Scales the gradients of `params` in place so that their global L2 norm is at most `maxNorm`: each is multiplied by
 * min(1, maxNorm / (norm + 1e-6)). Parameters without a gradient are skipped. Returns the norm before clipping as a
 * one-element tensor (read it only when logging: reading waits for the GPU).
 */
export function clipGradNorm(params: Tensor[], maxNorm: number): Tensor {
  if (!(maxNorm > 0) || !Number.isFinite(maxNorm)) {
    throw new Error(`clipGradNorm: maxNorm must be a finite number > 0, got ${maxNorm}`);
  }
  const grads: Tensor[] = [];
  for (const p of params) {
    const g = p.grad;
    if (!g) continue;
    if (g.dtype !== "f32") {
      throw new Error(`clipGradNorm: expected f32 gradients, got ${g.describe()} for ${p.describe()}`);
    }
    grads.push(g);
  }
  if (grads.length === 0) return zeros([1]);
  const groups = grads.map((g) => partialGroups(g.size));
  const partials = empty([groups.reduce((a, b) => a + b, 0)], "f32", "clipGradNorm");
  const norm = empty([1], "f32", "clipGradNorm");
  let offset = 0;
  grads.forEach((g, k) => {
    launch(SUM_SQUARES_PARTIAL_KERNEL, [g, partials], [g.size, offset], [groups[k], 1, 1]);
    offset += groups[k];
  });
  launch(SQRT_SUM_KERNEL, [partials, norm], [offset], [1, 1, 1]);
  partials.dispose();
  for (const g of grads) launch(CLIP_SCALE_KERNEL, [norm, g], [g.size, maxNorm], clipScaleGrid(g.size));
  return norm;
}
