/**
 * T5's relative-position bias: the bucket of each relative position, emulating Hugging Face's
 * `T5Attention._relative_position_bucket` bit for bit (float32 logarithm, a float32 division by the scalar
 * `ln(max_distance / max_exact)`, a float32 product, truncation), and the differentiable op that expands a
 * `[numBuckets, H]` table into the `[1, H, Lq, Lk]` bias, with the per-model cache of its bucket tensors.
 * @module
 */
import {
  REL_BIAS_DIAG_SUM_KERNEL,
  REL_BIAS_KERNEL,
  REL_BIAS_TABLE_SUM_KERNEL,
  relBiasGrid,
} from "@hyperdecoders/kernels";
import { empty, keep, launch, record, requireF32, type Tensor, tensor } from "@hyperdecoders/core";

/**
 * The bucket of a relative position `rel = key − query` (memory − context), as HF computes it.
 *
 * Bidirectional (encoder): half the buckets for `rel ≤ 0`, half for `rel > 0`, by `|rel|`. Causal (decoder self
 * attention): only `rel ≤ 0` is distinguished (`n = max(−rel, 0)`); future keys share bucket 0. Small distances
 * (`n < max_exact = nb / 2`) get their own bucket; larger ones are spaced logarithmically up to `max_distance`.
 */
export function t5RelativeBucket(
  relativePosition: number,
  bidirectional: boolean,
  numBuckets = 32,
  maxDistance = 128,
): number {
  if (!Number.isInteger(relativePosition)) {
    throw new Error(`t5RelativeBucket: relative position must be an integer, got ${relativePosition}`);
  }
  const minBuckets = bidirectional ? 4 : 2;
  if (!Number.isInteger(numBuckets) || numBuckets < minBuckets) {
    throw new Error(`t5RelativeBucket: invalid numBuckets ${numBuckets} (use an integer ≥ ${minBuckets}, e.g. 32)`);
  }
  if (!(maxDistance > 0)) throw new Error(`t5RelativeBucket: invalid maxDistance ${maxDistance} (use e.g. 128)`);
  let bucket = 0;
  let nb = numBuckets;
  let n: number;
  if (bidirectional) {
    nb = Math.floor(nb / 2);
    if (relativePosition > 0) bucket += nb;
    n = Math.abs(relativePosition);
  } else {
    n = Math.max(-relativePosition, 0);
  }
  const maxExact = Math.floor(nb / 2);
  if (n < maxExact) return bucket + n;
  // torch: log(n.float() / max_exact) / math.log(max_distance / max_exact) * (nb - max_exact), all in float32 (the
  // Python double scalar is cast to float32 by the tensor-scalar kernel), then .to(long) truncates toward zero.
  const ratio = Math.fround(n / maxExact);
  const logRatio = Math.fround(Math.log(ratio));
  const scaled = Math.fround(Math.fround(logRatio / Math.fround(Math.log(maxDistance / maxExact))) * (nb - maxExact));
  const large = maxExact + Math.trunc(scaled);
  return bucket + Math.min(large, nb - 1);
}

/**
 * The bucket of every diagonal of a `[queryLength, keyLength]` attention matrix: entry `r` holds the bucket of
 * `rel = j − (queryOffset + i)` for the cells with `r = j − i + queryLength − 1` (so `r ∈ [0, Lq + Lk − 1)`).
 */
export function t5DiagonalBuckets(
  queryLength: number,
  keyLength: number,
  bidirectional: boolean,
  numBuckets = 32,
  maxDistance = 128,
  queryOffset = 0,
): Int32Array {
  const out = new Int32Array(Math.max(0, queryLength + keyLength - 1));
  for (let r = 0; r < out.length; r++) {
    out[r] = t5RelativeBucket(r - (queryLength - 1) - queryOffset, bidirectional, numBuckets, maxDistance);
  }
  return out;
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

/**
 * The bucket-per-diagonal tensors (i32, length Lq + Lk − 1) of one model's relative-position biases, uploaded once
 * per (Lq, Lk, offset, options) and kept on the GPU, so that steady-state steps upload nothing. At most 64 are held
 * (the oldest is freed first). The model that creates it owns it: `T5Model.dispose()` frees it.
 */
export class RelativePositionBuckets {
  readonly #cache = new Map<string, Tensor>();

  /** The bucket tensor of one shape and options, uploaded on first use. */
  get(Lq: number, Lk: number, bidirectional: boolean, numBuckets: number, maxDistance: number, offset: number): Tensor {
    const key = `${Lq},${Lk},${offset},${bidirectional},${numBuckets},${maxDistance}`;
    const hit = this.#cache.get(key);
    if (hit && !hit.disposed) return hit;
    if (this.#cache.size >= MAX_CACHED) {
      const [oldest, t] = this.#cache.entries().next().value!;
      this.#cache.delete(oldest);
      t.dispose(); // tape entries that saved it hold their own reference
    }
    const diagonals = t5DiagonalBuckets(Lq, Lk, bidirectional, numBuckets, maxDistance, offset);
    const t = keep(tensor(diagonals, [Lq + Lk - 1], "i32"));
    this.#cache.set(key, t);
    return t;
  }

  /** Number of bucket tensors held. */
  get size(): number {
    return this.#cache.size;
  }

  /** Frees every bucket tensor (they are uploaded again on demand). */
  dispose(): void {
    for (const t of this.#cache.values()) t.dispose();
    this.#cache.clear();
  }
}

/**
 * T5's relative-position bias `[1, H, Lq, Lk]` from a `[numBuckets, H]` table: entry `(h, i, j)` is
 * `table[bucket(j − (queryOffset + i)), h]` with {@link t5DiagonalBuckets}. The bucket of each diagonal is computed
 * on the CPU and taken from `buckets` (uploaded once per shape and options) when given, else uploaded for this call.
 * Backward: scatter-add into the table gradient (per-diagonal sums, then per-bucket sums; deterministic).
 */
export function relativePositionBias(
  table: Tensor,
  queryLength: number,
  keyLength: number,
  options: RelativePositionBiasOptions,
  buckets?: RelativePositionBuckets,
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
  const diag = buckets
    ? buckets.get(Lq, Lk, options.bidirectional, nb, md, off)
    : tensor(t5DiagonalBuckets(Lq, Lk, options.bidirectional, nb, md, off), [Lq + Lk - 1], "i32");
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
  if (!buckets) diag.dispose(); // the tape saved its own reference
  return out;
}
