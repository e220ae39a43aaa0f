/**
 * Masked mean pooling over the sequence axis, with backward.
 * @module
 */
import { maskedMeanPoolGradKernel, maskedMeanPoolKernel, poolGrid } from "@hyperdecoders/kernels";
import { record } from "../autograd.ts";
import { launch } from "../launch.ts";
import { disposedMessage, empty, type Tensor } from "../tensor.ts";
import { requireF32 } from "./elementwise.ts";

/**
 * Mean of `x` [B, S, D] over the positions that `mask` [B, S] (f32 or i32; 1 = keep, 0 = drop) keeps, giving [B, D]:
 * `Σ_s m·x / max(Σ_s m, 1)`. The denominator is clamped to 1 so that a fully masked row pools to zeros (with a zero
 * gradient) instead of NaN; masks are expected to hold 0/1 (fractional weights summing below 1 are not renormalised).
 * Gradients flow to `x` only.
 */
export function maskedMeanPool(x: Tensor, mask: Tensor): Tensor {
  requireF32("maskedMeanPool", x);
  if (mask.disposed) throw new Error(`maskedMeanPool: mask: ${disposedMessage(mask)}`);
  if (mask.dtype === "u32") {
    throw new Error(`maskedMeanPool: mask must be f32 or i32, got ${mask.describe()}`);
  }
  if (x.rank !== 3 || mask.rank !== 2 || mask.shape[0] !== x.shape[0] || mask.shape[1] !== x.shape[1]) {
    throw new Error(
      `maskedMeanPool: expected x [B, S, D] and mask [B, S], got x ${x.describe()} and mask ${mask.describe()}`,
    );
  }
  const [B, S, D] = x.shape;
  const elem = mask.dtype as "f32" | "i32";
  const out = empty([B, D], "f32", "maskedMeanPool");
  const denom = empty([B], "f32", "maskedMeanPool (denominators)");
  launch(maskedMeanPoolKernel(elem), [x, mask, out, denom], [B, S, D], poolGrid(B * D));
  record("maskedMeanPool", out, [x, mask], (g, [sm, sd]) => {
    const dx = empty(x.shape, "f32", "maskedMeanPool backward");
    launch(maskedMeanPoolGradKernel(elem), [sm, sd, g, dx], [B, S, D], poolGrid(x.size));
    return [dx, null];
  }, [mask, denom]);
  denom.dispose();
  return out;
}
