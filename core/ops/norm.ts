/**
 * T5LayerNorm (RMSNorm): fused forward and backward.
 * @module
 */
import {
  planReduce,
  reduceGrid,
  reduceKernel,
  RMSNORM_GRAD_W_KERNEL,
  RMSNORM_GRAD_W_TILE,
  RMSNORM_GRAD_X_ACC_KERNEL,
  RMSNORM_GRAD_X_KERNEL,
  RMSNORM_KERNEL,
  rowGrid,
} from "@hyperdecoders/kernels";
import { type PartialGrad, record } from "../autograd.ts";
import { launch } from "../launch.ts";
import { empty, type Tensor } from "../tensor.ts";
import { requireF32 } from "./elementwise.ts";

/**
 * T5LayerNorm over the last axis: `y = weight · x / sqrt(mean(x²) + eps)` (no mean subtraction, no bias), for
 * `x` [..., D] and `weight` [D]; computed in f32 as Hugging Face does for an all-f32 model.
 */
export function rmsNorm(x: Tensor, weight: Tensor, eps = 1e-6): Tensor {
  requireF32("rmsNorm", x, weight);
  const D = x.shape[x.rank - 1];
  if (x.rank === 0 || weight.rank !== 1 || weight.shape[0] !== D) {
    throw new Error(`rmsNorm: weight ${weight.describe()} must be [D] for input ${x.describe()} [..., D]`);
  }
  if (!(eps >= 0)) throw new Error(`rmsNorm: eps must be a number ≥ 0, got ${eps}`);
  const rows = D === 0 ? 0 : x.size / D;
  const out = empty(x.shape, "f32", "rmsNorm");
  const rstd = empty([rows], "f32", "rmsNorm (1/rms per row)");
  launch(RMSNORM_KERNEL, [x, weight, out, rstd], [rows, D, eps], rowGrid(rows));
  recordRmsNorm(out, x, weight, rstd, rows, D);
  rstd.dispose();
  return out;
}

/**
 * Records `out = rmsNorm(x, weight)` computed with per-row `rstd` (by {@link rmsNorm} or a kernel that fuses it):
 * x's gradient is added in place into its other gradients (x is also the residual stream).
 */
export function recordRmsNorm(out: Tensor, x: Tensor, weight: Tensor, rstd: Tensor, rows: number, D: number): void {
  record("rmsNorm", out, [x, weight], (g, [sx, sw, sr]) => {
    let dx: PartialGrad | null = null;
    if (x.requiresGrad) {
      // x is also the residual stream: its gradient is added in place into the one passed through the residual add
      const held = [sx, sw, sr, g].map((t) => t.view(t.shape));
      const into = (target: Tensor, kernel: typeof RMSNORM_GRAD_X_KERNEL) =>
        launch(kernel, [...held, target], [rows, D], rowGrid(rows));
      dx = {
        materialize: () => {
          const t = empty(x.shape, "f32", "rmsNorm backward (x)");
          into(t, RMSNORM_GRAD_X_KERNEL);
          return t;
        },
        addInto: (target) => into(target, RMSNORM_GRAD_X_ACC_KERNEL),
        dispose: () => held.forEach((t) => t.dispose()),
      };
    }
    return [dx, weight.requiresGrad ? weightGrad(sx, sr, g, rows, D) : null];
  }, [x, weight, rstd]);
}

/** Σ over rows of g·x·rstd: per-segment partials of 32 columns × 8 row lanes, then a column sum when segmented. */
function weightGrad(x: Tensor, rstd: Tensor, g: Tensor, rows: number, D: number): Tensor {
  const tiles = Math.ceil(D / RMSNORM_GRAD_W_TILE);
  const lanes = 256 / RMSNORM_GRAD_W_TILE;
  // Enough segments to occupy the GPU (≈ 256 workgroups), each thread still summing ≥ 16 rows.
  let nseg = rows > lanes * 32 && tiles < 256 ? Math.min(Math.ceil(rows / (lanes * 16)), Math.ceil(256 / tiles)) : 1;
  const seg = Math.max(1, Math.ceil(rows / nseg));
  nseg = Math.max(1, Math.ceil(rows / seg));
  const dw = empty([D], "f32", "rmsNorm backward (weight)");
  if (nseg === 1) {
    launch(RMSNORM_GRAD_W_KERNEL, [x, rstd, g, dw], [rows, D, seg, 1, tiles], rowGrid(tiles));
    return dw;
  }
  const partial = empty([nseg, D], "f32", "rmsNorm backward (weight partials)");
  launch(RMSNORM_GRAD_W_KERNEL, [x, rstd, g, partial], [rows, D, seg, nseg, tiles], rowGrid(nseg * tiles));
  const plan = planReduce(1, nseg, D, false);
  launch(
    reduceKernel("sum", plan.tileX),
    [partial, dw],
    [1, nseg, D, plan.seg, plan.nseg, plan.tiles, 1],
    reduceGrid(1, plan),
  );
  partial.dispose();
  return dw;
}
