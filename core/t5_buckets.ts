/**
 * T5 relative-position buckets, emulating Hugging Face's `T5Attention._relative_position_bucket` bit for bit
 * (float32 logarithm, a float32 division by the scalar `ln(max_distance / max_exact)`, a float32 product, truncation).
 * @module
 */

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
