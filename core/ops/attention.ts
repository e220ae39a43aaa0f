/**
 * T5 attention pieces: the fused masked softmax over keys (`attentionSoftmax`) and the relative-position bias
 * (`relativePositionBias`), each with its backward.
 * @module
 */
import {
  ATTN_SOFTMAX_GRAD_KERNEL,
  ATTN_SOFTMAX_KERNEL,
  attnRowGrid,
  REL_BIAS_DIAG_SUM_KERNEL,
  REL_BIAS_KERNEL,
  REL_BIAS_TABLE_SUM_KERNEL,
  relBiasGrid,
} from "@hyperdecoders/kernels";
import { record } from "../autograd.ts";
import { launch } from "../launch.ts";
import { keep } from "../scope.ts";
import { empty, type Tensor, tensor } from "../tensor.ts";
import { t5DiagonalBuckets } from "../t5_buckets.ts";
import { requireF32, sumTo } from "./elementwise.ts";

/** Options of {@link attentionSoftmax}. */
export interface AttentionSoftmaxOptions {
  /** Mask key `j` for query `i` where `j > i + (Lk − Lq)` (decoder self-attention; queries are the last Lq keys). */
  causal?: boolean;
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
  const probs = empty(scores.shape, "f32", "attentionSoftmax");
  if (probs.size > 0) {
    launch(
      ATTN_SOFTMAX_KERNEL,
      [scores, bias ?? scores, keyMask ?? scores, probs],
      [rows, H, Lq, Lk, biasMode, maskMode, options.causal ? 1 : 0],
      attnRowGrid(rows),
    );
  }
  const inputs = bias ? [scores, bias] : [scores];
  record("attentionSoftmax", probs, inputs, (g, [savedProbs]) => {
    const ds = empty(scores.shape, "f32", "attentionSoftmax backward");
    if (ds.size > 0) launch(ATTN_SOFTMAX_GRAD_KERNEL, [savedProbs, g, ds], [rows, Lk], attnRowGrid(rows));
    if (!bias) return [ds];
    const dBias = !bias.requiresGrad ? null : biasMode === 2 ? ds.view(ds.shape) : sumTo(ds, bias.shape);
    if (scores.requiresGrad) return [ds, dBias];
    ds.dispose(); // dBias holds its own reference when it is a view of ds
    return [null, dBias];
  }, [probs]);
  return probs;
}

/** Options of {@link relativePositionBias}. */
export interface RelativePositionBiasOptions {
  /** Encoder: true; decoder self-attention: false (causal buckets). */
  bidirectional: boolean;
  /** Number of buckets (the table's first dim); default 32. */
  numBuckets?: number;
  /** Distance beyond which buckets saturate; default 128. */
  maxDistance?: number;
  /** Absolute position of the first query (generation with a KV cache); default 0. Keys start at 0. */
  queryOffset?: number;
}

const MAX_CACHED = 64;
const diagonalCache = new Map<string, Tensor>();

/** The cached i32 bucket-per-diagonal tensor (length Lq + Lk − 1), uploaded once per (Lq, Lk, offset, options). */
function diagonalBuckets(Lq: number, Lk: number, bidirectional: boolean, nb: number, md: number, off: number): Tensor {
  const key = `${Lq},${Lk},${off},${bidirectional},${nb},${md}`;
  const hit = diagonalCache.get(key);
  if (hit && !hit.disposed) return hit;
  if (diagonalCache.size >= MAX_CACHED) {
    const [oldest, t] = diagonalCache.entries().next().value!;
    diagonalCache.delete(oldest);
    t.dispose(); // tape entries that saved it hold their own reference
  }
  const t = keep(tensor(t5DiagonalBuckets(Lq, Lk, bidirectional, nb, md, off), [Lq + Lk - 1], "i32"));
  diagonalCache.set(key, t);
  return t;
}

/** Frees the cached bucket tensors of {@link relativePositionBias} (they are rebuilt on demand). */
export function clearRelativePositionCache(): void {
  for (const t of diagonalCache.values()) t.dispose();
  diagonalCache.clear();
}

/**
 * T5's relative-position bias `[1, H, Lq, Lk]` from a `[numBuckets, H]` table: entry `(h, i, j)` is
 * `table[bucket(j − (queryOffset + i)), h]` with {@link t5DiagonalBuckets}. The bucket of each diagonal is computed
 * on the CPU once per shape and options and cached on the GPU, so steady-state steps upload nothing.
 * Backward: scatter-add into the table gradient (per-diagonal sums, then per-bucket sums; deterministic).
 */
export function relativePositionBias(
  table: Tensor,
  queryLength: number,
  keyLength: number,
  options: RelativePositionBiasOptions,
): Tensor {
  const nb = options.numBuckets ?? 32;
  const md = options.maxDistance ?? 128;
  const off = options.queryOffset ?? 0;
  requireF32("relativePositionBias", table);
  if (table.rank !== 2 || table.shape[0] !== nb) {
    throw new Error(`relativePositionBias: table must be [numBuckets = ${nb}, H], got ${table.describe()}`);
  }
  for (const [name, v] of [["queryLength", queryLength], ["keyLength", keyLength], ["queryOffset", off]] as const) {
    if (!Number.isInteger(v) || v < 0) {
      throw new Error(`relativePositionBias: ${name} must be a non-negative integer, got ${v}`);
    }
  }
  const H = table.shape[1];
  const [Lq, Lk] = [queryLength, keyLength];
  const out = empty([1, H, Lq, Lk], "f32", "relativePositionBias");
  if (out.size === 0) return out;
  const diag = diagonalBuckets(Lq, Lk, options.bidirectional, nb, md, off);
  launch(REL_BIAS_KERNEL, [table, diag, out], [out.size, H, Lq, Lk], relBiasGrid(out.size));
  record("relativePositionBias", out, [table], (g, [savedDiag]) => {
    const R = Lq + Lk - 1;
    const dd = empty([H, R], "f32", "relativePositionBias backward");
    launch(REL_BIAS_DIAG_SUM_KERNEL, [g, dd], [H * R, R, Lq, Lk], relBiasGrid(H * R));
    const dtable = empty([nb, H], "f32", "relativePositionBias backward");
    launch(REL_BIAS_TABLE_SUM_KERNEL, [savedDiag, dd, dtable], [nb * H, H, R], relBiasGrid(nb * H));
    dd.dispose();
    return [dtable];
  }, [diag]);
  return out;
}
