/**
 * The fused masked softmax over keys of attention (`attentionSoftmax`) with its backward. (T5's relative-position
 * bias lives with the model: models/t5/relative_position.ts.)
 * @module
 */
import {
  ATTN_SOFTMAX_DROPOUT_GRAD_KERNEL,
  ATTN_SOFTMAX_DROPOUT_KERNEL,
  ATTN_SOFTMAX_GRAD_KERNEL,
  ATTN_SOFTMAX_KERNEL,
  attnRowGrid,
  dropoutKeys,
  dropoutThreshold,
} from "@hyperdecoders/kernels";
import { record } from "../autograd.ts";
import { launch } from "../launch.ts";
import { empty, type Tensor } from "../tensor.ts";
import { requireF32, sumTo } from "./elementwise.ts";

/** Options of {@link attentionSoftmax}. */
export interface AttentionSoftmaxOptions {
  /** Mask key `j` for query `i` where `j > i + (Lk − Lq)` (decoder self-attention; queries are the last Lq keys). */
  causal?: boolean;
  /**
   * Dropout on the probabilities, in the same dispatch: the result is `dropout(attentionSoftmax(…), p, seed)` bit for
   * bit (same mask, same gradients), one dispatch less forward and one less backward.
   */
  dropout?: { p: number; seed: number } | null;
}

/**
 * Softmax over keys of `scores + bias + mask`, fused, as HF's T5Attention computes it in float32:
 * `P = softmax(scores + (bias + m))` where `m = finfo(float32).min` (−3.4028234663852886e38) for keys masked by
 * `keyMask` (0 = masked, any other value = keep) or by `causal`, else 0. Shapes: `scores` `[B, H, Lq, Lk]`,
 * `bias` `[1 | B, H, Lq, Lk]` or null, `keyMask` `[B, Lk]` (f32, i32 or u32) or null.
 *
 * The masked value is **added** (not substituted), like HF: a partially masked row gives its masked keys exactly 0;
 * a fully masked row (e.g. a padding query over padding keys) has every logit rounded to finfo.min, so it becomes a
 * **uniform** distribution over its keys (no NaN), and its gradient is the analytic softmax gradient of that row,
 * as torch's autograd gives.
 *
 * Backward: gradients to `scores` and to `bias` (summed over the batch when `bias` has batch size 1).
 */
export function attentionSoftmax(
  scores: Tensor,
  bias: Tensor | null,
  keyMask: Tensor | null,
  options: AttentionSoftmaxOptions = {},
): Tensor {
  requireF32("attentionSoftmax", scores);
  if (scores.rank !== 4) {
    throw new Error(`attentionSoftmax: scores must be [B, H, Lq, Lk], got ${scores.describe()}`);
  }
  const [B, H, Lq, Lk] = scores.shape;
  let biasMode = 0;
  if (bias) {
    requireF32("attentionSoftmax", bias);
    const ok = bias.rank === 4 && (bias.shape[0] === 1 || bias.shape[0] === B) && bias.shape[1] === H &&
      bias.shape[2] === Lq && bias.shape[3] === Lk;
    if (!ok) {
      throw new Error(
        `attentionSoftmax: bias ${bias.describe()} must be [1 or ${B}, ${H}, ${Lq}, ${Lk}] for scores ${scores.describe()}`,
      );
    }
    biasMode = bias.shape[0] === B ? 2 : 1;
  }
  let maskMode = 0;
  if (keyMask) {
    if (keyMask.rank !== 2 || keyMask.shape[0] !== B || keyMask.shape[1] !== Lk) {
      throw new Error(
        `attentionSoftmax: keyMask ${keyMask.describe()} must be [${B}, ${Lk}] for scores ${scores.describe()}`,
      );
    }
    maskMode = keyMask.dtype === "f32" ? 2 : 1;
  }
  const rows = B * H * Lq;
  const drop = options.dropout;
  if (drop && !(drop.p >= 0 && drop.p <= 1)) {
    throw new Error(`attentionSoftmax: dropout probability must be in [0, 1], got ${drop.p}`);
  }
  const keys = drop ? dropoutKeys(drop.seed) : null;
  // [k0, k1, threshold, scale] as dropout() computes them
  const dropParams = drop && drop.p > 0
    ? [keys![0], keys![1], dropoutThreshold(drop.p), drop.p === 1 ? 0 : 1 / (1 - drop.p)]
    : null;
  const probs = empty(scores.shape, "f32", "attentionSoftmax");
  const out = dropParams ? empty(scores.shape, "f32", "attentionSoftmax dropout") : probs;
  if (probs.size > 0) {
    const params = [rows, H, Lq, Lk, biasMode, maskMode, options.causal ? 1 : 0];
    if (dropParams) {
      launch(
        ATTN_SOFTMAX_DROPOUT_KERNEL,
        [scores, bias ?? scores, keyMask ?? scores, probs, out],
        [...params, ...dropParams],
        attnRowGrid(rows),
      );
    } else {
      launch(ATTN_SOFTMAX_KERNEL, [scores, bias ?? scores, keyMask ?? scores, probs], params, attnRowGrid(rows));
    }
  }
  const inputs = bias ? [scores, bias] : [scores];
  record("attentionSoftmax", out, inputs, (g, [savedProbs]) => {
    const ds = empty(scores.shape, "f32", "attentionSoftmax backward");
    if (ds.size > 0) {
      if (dropParams) {
        launch(ATTN_SOFTMAX_DROPOUT_GRAD_KERNEL, [savedProbs, g, ds], [rows, Lk, ...dropParams], attnRowGrid(rows));
      } else {
        launch(ATTN_SOFTMAX_GRAD_KERNEL, [savedProbs, g, ds], [rows, Lk], attnRowGrid(rows));
      }
    }
    if (!bias) return [ds];
    const dBias = !bias.requiresGrad ? null : biasMode === 2 ? ds.view(ds.shape) : sumTo(ds, bias.shape);
    if (scores.requiresGrad) return [ds, dBias];
    ds.dispose(); // dBias holds its own reference when it is a view of ds
    return [null, dBias];
  }, [probs]);
  if (out !== probs) probs.dispose(); // the tape keeps its own alias for the backward
  return out;
}
