/**
 * Fused softmax cross-entropy with an ignore index and label smoothing, as PyTorch's
 * `CrossEntropyLoss(ignore_index, label_smoothing, reduction)`.
 * @module
 */
import {
  CROSS_ENTROPY_GRAD_KERNEL,
  CROSS_ENTROPY_KERNEL,
  CROSS_ENTROPY_REDUCE_KERNEL,
  crossEntropyGradGrid,
  rowGrid,
} from "@hyperdecoders/kernels";
import { record } from "../autograd.ts";
import { launch } from "../launch.ts";
import { disposedMessage, empty, type Tensor } from "../tensor.ts";
import { requireF32 } from "./elementwise.ts";

/** Options of {@link crossEntropy}. */
export interface CrossEntropyOptions {
  /** Rows whose label equals this value contribute nothing and are not counted by "mean". Default −100. */
  ignoreIndex?: number;
  /** Smoothing ε in [0, 1]: the target is (1−ε)·onehot + ε/V. Default 0. */
  labelSmoothing?: number;
  /** "mean" over non-ignored rows (default), "sum", or "none" (per-row losses, 0 on ignored rows). */
  reduction?: "mean" | "sum" | "none";
}

const MODES = { none: 0, sum: 1, mean: 2 } as const;

/**
 * Cross-entropy of `logits` [N, V] (or [..., V]) against integer class `labels` [N] (or [...]) of dtype i32.
 *
 * Per row: `(1−ε)·(−log p_y) + ε·mean_v(−log p_v)` with `p = softmax(logits)`. "mean" divides the sum by the number
 * of rows whose label is not `ignoreIndex` (NaN when all rows are ignored, as in PyTorch); "none" returns the
 * per-row losses with the labels' shape. `{ ignoreIndex: 0, labelSmoothing: 0.1, reduction: "sum" }` is the
 * reference Hyperdecoders trainer's loss (fairseq `label_smoothed_nll_loss`, mass ε/V per class).
 *
 * A label outside [0, V) that is not `ignoreIndex` cannot be reported without a GPU readback, so that row's loss (and
 * gradient) is NaN, which poisons a reduced loss visibly. Dtypes, shapes and options are validated with thrown errors.
 */
export function crossEntropy(logits: Tensor, labels: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const ignoreIndex = options.ignoreIndex ?? -100;
  const eps = options.labelSmoothing ?? 0;
  const reduction = options.reduction ?? "mean";
  const shapes = `logits ${logits.describe()}, labels ${labels.describe()}`;
  requireF32("crossEntropy", logits);
  if (labels.disposed) throw new Error(`crossEntropy: labels: ${disposedMessage(labels)}`);
  if (labels.dtype !== "i32") throw new Error(`crossEntropy: labels must be i32 class indices (${shapes})`);
  const V = logits.shape[logits.rank - 1];
  const lead = logits.shape.slice(0, -1);
  if (logits.rank < 1 || labels.rank !== lead.length || lead.some((d, i) => d !== labels.shape[i])) {
    throw new Error(`crossEntropy: expected logits [N, V] and labels [N] (${shapes})`);
  }
  if (V === 0) throw new Error(`crossEntropy: logits have no classes (${shapes})`);
  if (!Number.isInteger(ignoreIndex) || ignoreIndex < -(2 ** 31) || ignoreIndex >= 2 ** 31) {
    throw new Error(`crossEntropy: ignoreIndex must be a 32-bit integer, got ${ignoreIndex}`);
  }
  if (!(eps >= 0 && eps <= 1)) throw new Error(`crossEntropy: labelSmoothing must be in [0, 1], got ${eps}`);
  if (!(reduction in MODES)) {
    throw new Error(`crossEntropy: reduction must be "mean", "sum" or "none", got ${JSON.stringify(reduction)}`);
  }
  const rows = labels.size;
  const losses = empty(labels.shape, "f32", "crossEntropy (row losses)");
  const lse = empty([rows], "f32", "crossEntropy (log-sum-exp)");
  launch(CROSS_ENTROPY_KERNEL, [logits, labels, losses, lse], [rows, V, ignoreIndex, eps], rowGrid(rows));
  let out = losses;
  // For "none" the count is never read; a one-element placeholder fills the binding.
  const count = empty([1], "f32", "crossEntropy (non-ignored rows)");
  if (reduction !== "none") {
    out = empty([], "f32", "crossEntropy");
    launch(
      CROSS_ENTROPY_REDUCE_KERNEL,
      [losses, labels, out, count],
      [rows, ignoreIndex, reduction === "mean" ? 1 : 0],
      [1, 1, 1],
    );
    losses.dispose();
  }
  record("crossEntropy", out, [logits, labels], (g, [sx, sl, slse, sc]) => {
    const dx = empty(logits.shape, "f32", "crossEntropy backward");
    launch(
      CROSS_ENTROPY_GRAD_KERNEL,
      [sx, sl, slse, g, sc, dx],
      [logits.size, V, ignoreIndex, eps, MODES[reduction]],
      crossEntropyGradGrid(logits.size),
    );
    return [dx, null];
  }, [logits, labels, lse, count]);
  lse.dispose();
  count.dispose();
  return out;
}
