/**
 * A transformer sub-layer's residual connection fused with the RMSNorm that the next sub-layer reads: one dispatch
 * instead of a residual add (with the branch's dropout, and optionally a second branch such as an adapter's output)
 * and a norm. Recorded as the two ops it replaces, so gradients are theirs.
 * @module
 */
import { residualNormKernel, rowGrid } from "@hyperdecoders/kernels";
import { record } from "../autograd.ts";
import { launch } from "../launch.ts";
import { empty, type Tensor } from "../tensor.ts";
import { dropoutParams, maskedGrad } from "./dropout.ts";
import { requireF32, sameShape } from "./elementwise.ts";
import { recordRmsNorm } from "./norm.ts";

/** Options of {@link residualRmsNorm}. */
export interface ResidualRmsNormOptions {
  /** Dropout on the branch (the site's probability and seed, as `dropoutAdd` takes them); none when absent. */
  dropout?: { p: number; seed: number } | null;
  /** A second branch added after the first (e.g. an adapter's output); none when absent. */
  extra?: Tensor | null;
  /** The norm's epsilon (default 1e-6). */
  eps?: number;
}

/**
 * `sum = residual + dropout(branch) (+ extra)` and `normed = rmsNorm(sum, weight)`: the same values as `dropoutAdd`
 * (or `add`), `add` and `rmsNorm` in that order, in one dispatch. All of `residual`, `branch` and `extra` are
 * [..., D] of one shape; `weight` is [D].
 */
export function residualRmsNorm(
  residual: Tensor,
  branch: Tensor,
  weight: Tensor,
  options: ResidualRmsNormOptions = {},
): { sum: Tensor; normed: Tensor } {
  const extra = options.extra ?? null;
  const eps = options.eps ?? 1e-6;
  requireF32("residualRmsNorm", residual, branch, weight, ...(extra ? [extra] : []));
  if (!sameShape(branch.shape, residual.shape) || (extra && !sameShape(extra.shape, residual.shape))) {
    throw new Error(
      `residualRmsNorm: residual ${residual.describe()}, branch ${branch.describe()}` +
        `${extra ? ` and extra ${extra.describe()}` : ""} must have one shape`,
    );
  }
  const D = residual.shape[residual.rank - 1];
  if (residual.rank === 0 || weight.rank !== 1 || weight.shape[0] !== D) {
    throw new Error(
      `residualRmsNorm: weight ${weight.describe()} must be [D] for input ${residual.describe()} [..., D]`,
    );
  }
  if (!(eps >= 0)) throw new Error(`residualRmsNorm: eps must be a number ≥ 0, got ${eps}`);
  const site = options.dropout ?? null;
  if (site && !(site.p >= 0 && site.p <= 1)) {
    throw new Error(`residualRmsNorm: dropout probability must be in [0, 1], got ${site.p}`);
  }
  const drop = site && site.p > 0 ? site : null;
  const mask = drop ? dropoutParams(drop.p, drop.seed) : [];
  const rows = D === 0 ? 0 : residual.size / D;
  const sum = empty(residual.shape, "f32", "residualRmsNorm (sum)");
  const normed = empty(residual.shape, "f32", "residualRmsNorm (normed)");
  const rstd = empty([rows], "f32", "residualRmsNorm (1/rms per row)");
  launch(
    residualNormKernel(drop !== null, extra !== null),
    [residual, branch, ...(extra ? [extra] : []), weight, sum, normed, rstd],
    [rows, D, eps, ...mask],
    rowGrid(rows),
  );
  record(
    drop ? "dropoutAdd" : "add",
    sum,
    extra ? [residual, branch, extra] : [residual, branch],
    (g) => {
      const grads = [g, drop && branch.requiresGrad ? maskedGrad(g, mask) : g];
      return extra ? [...grads, g] : grads;
    },
  );
  recordRmsNorm(normed, sum, weight, rstd, rows, D);
  rstd.dispose();
  return { sum, normed };
}
