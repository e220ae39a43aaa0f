/**
 * Global-norm gradient clipping on the GPU, as torch.nn.utils.clip_grad_norm_, with no readback.
 * @module
 */
import {
  CLIP_FACTOR_KERNEL,
  CLIP_SCALE_KERNEL,
  clipScaleGrid,
  partialGroups,
  SQRT_SUM_KERNEL,
  SUM_SQUARES_MAX_GROUP,
  SUM_SQUARES_PARTIAL_KERNEL,
  sumSquaresMultiKernel,
} from "@hyperdecoders/kernels";
import { getEngine } from "../engine.ts";
import { launch } from "../launch.ts";
import { full, zeros } from "../ops/create.ts";
import { empty, type Tensor } from "../tensor.ts";

/**
 * Scales the gradients of `params` in place so that their global L2 norm is at most `maxNorm`: each is multiplied by
 * min(1, maxNorm / (norm + 1e-6)). Parameters without a gradient are skipped. Returns the norm before clipping as a
 * one-element tensor (read it only when logging: reading waits for the GPU).
 */
export function clipGradNorm(params: Tensor[], maxNorm: number): Tensor {
  const grads = checkedGrads("clipGradNorm", params, maxNorm);
  if (grads.length === 0) return zeros([1]);
  const partials = sumSquaresPartials(grads, "clipGradNorm");
  const norm = empty([1], "f32", "clipGradNorm");
  launch(SQRT_SUM_KERNEL, [partials, norm], [partials.size], [1, 1, 1]);
  partials.dispose();
  for (const g of grads) launch(CLIP_SCALE_KERNEL, [norm, g], [g.size, maxNorm], clipScaleGrid(g.size));
  return norm;
}

/** Result of {@link clipGradFactor}: the global norm and the factor that clips it, one-element tensors on the GPU. */
export interface ClipFactor {
  /** Global L2 norm of the gradients, before clipping. */
  norm: Tensor;
  /** min(1, maxNorm / (norm + 1e-6)): what {@link clipGradNorm} would multiply every gradient by. */
  factor: Tensor;
}

/**
 * {@link clipGradNorm} without the in-place scaling: computes the global norm and the clipping factor and leaves the
 * gradients unchanged, for an optimiser to apply the factor as it reads them (`AdamW.step(lr, { gradScale: factor })`),
 * which saves one dispatch per gradient. With no gradients the norm is 0 and the factor 1.
 */
export function clipGradFactor(params: Tensor[], maxNorm: number): ClipFactor {
  const grads = checkedGrads("clipGradFactor", params, maxNorm);
  if (grads.length === 0) return { norm: zeros([1]), factor: full([1], 1) };
  const partials = sumSquaresPartials(grads, "clipGradFactor");
  const norm = empty([1], "f32", "clipGradFactor");
  const factor = empty([1], "f32", "clipGradFactor");
  launch(CLIP_FACTOR_KERNEL, [partials, norm, factor], [partials.size, maxNorm], [1, 1, 1]);
  partials.dispose();
  return { norm, factor };
}

function checkedGrads(op: string, params: Tensor[], maxNorm: number): Tensor[] {
  if (!(maxNorm > 0) || !Number.isFinite(maxNorm)) {
    throw new Error(`${op}: maxNorm must be a finite number > 0, got ${maxNorm}`);
  }
  const grads: Tensor[] = [];
  for (const p of params) {
    const g = p.grad;
    if (!g) continue;
    if (g.dtype !== "f32") throw new Error(`${op}: expected f32 gradients, got ${g.describe()} for ${p.describe()}`);
    grads.push(g);
  }
  return grads;
}

/** Gradients one partial-sum-of-squares dispatch reads on this device (storage-buffer limit less one; at most 16). */
export function sumSquaresTensorsPerDispatch(): number {
  return Math.max(1, Math.min(SUM_SQUARES_MAX_GROUP, getEngine().gpu.limits.maxStorageBuffersPerShaderStage - 1));
}

/**
 * One partial sum of squares per workgroup of every gradient, in one tensor: up to 16 gradients per dispatch (as many
 * as the device's storage-buffer limit allows), the same partials as one dispatch per gradient.
 */
function sumSquaresPartials(grads: Tensor[], label: string): Tensor {
  const groups = grads.map((g) => partialGroups(g.size));
  const partials = empty([groups.reduce((a, b) => a + b, 0)], "f32", label);
  const per = sumSquaresTensorsPerDispatch();
  const offsets: number[] = [];
  let offset = 0;
  for (const g of groups) {
    offsets.push(offset);
    offset += g;
  }
  for (let start = 0; start < grads.length; start += per) {
    const chunk = grads.slice(start, start + per);
    if (chunk.length === 1) {
      launch(SUM_SQUARES_PARTIAL_KERNEL, [chunk[0], partials], [chunk[0].size, offsets[start]], [groups[start], 1, 1]);
      continue;
    }
    const params: number[] = [];
    let most = 1;
    chunk.forEach((g, j) => {
      params.push(g.size, offsets[start + j], groups[start + j]);
      most = Math.max(most, groups[start + j]);
    });
    launch(sumSquaresMultiKernel(chunk.length), [...chunk, partials], params, [most, chunk.length, 1]);
  }
  return partials;
}
