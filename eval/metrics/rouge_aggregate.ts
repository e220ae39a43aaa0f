/**
 * Corpus aggregation of per-example ROUGE scores: the plain mean (deterministic; T5's `rouge_mean`, the project's
 * default) or `rouge_score`'s `BootstrapAggregator` (resampled means; the reference code
 * reports its "mid", which approximates the mean). The reference's bootstrap uses numpy's unseeded global RNG, so it
 * is not reproducible; this one takes a seed.
 *
 * @module
 */

import { mulberry32 } from "@hyperdecoders/kernels/random";
import type { RougeScore } from "./rouge.ts";

/** Low / mid / high percentiles of the bootstrap distribution of the mean. */
export interface AggregateScore {
  /** The (1 − confidence)/2 percentile. */
  low: RougeScore;
  /** The median of the resampled means. */
  mid: RougeScore;
  /** The (1 + confidence)/2 percentile. */
  high: RougeScore;
}

/** Options of {@link bootstrapAggregate}. */
export interface BootstrapOptions {
  /** Number of resamples (rouge_score: 1000). */
  samples?: number;
  /** Width of the low–high interval (rouge_score: 0.95). */
  confidenceInterval?: number;
  /** Seed of the resampling PRNG (default 0). */
  seed?: number;
}

/** Element-wise mean of precision, recall and F-measure; throws on an empty list. */
export function meanScore(scores: readonly RougeScore[]): RougeScore {
  if (scores.length === 0) throw new Error("meanScore: no scores to aggregate (empty prediction list?)");
  let p = 0, r = 0, f = 0;
  for (const s of scores) {
    p += s.precision;
    r += s.recall;
    f += s.fmeasure;
  }
  return { precision: p / scores.length, recall: r / scores.length, fmeasure: f / scores.length };
}

/** numpy's default ("linear") percentile of an ascending array, q in [0, 100]. */
export function percentileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) throw new Error("percentileSorted: empty array");
  const pos = (q / 100) * (n - 1);
  const lo = Math.floor(pos), hi = Math.min(lo + 1, n - 1);
  const t = pos - lo, a = sorted[lo], b = sorted[hi];
  // numpy's _lerp: interpolate from the nearer end for accuracy.
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}

/**
 * `rouge_score.scoring.BootstrapAggregator` for one ROUGE type: `samples` times, draw n examples with replacement
 * and take the mean of each of precision, recall and F; report each column's percentiles.
 */
export function bootstrapAggregate(scores: readonly RougeScore[], options: BootstrapOptions = {}): AggregateScore {
  const samples = options.samples ?? 1000, ci = options.confidenceInterval ?? 0.95;
  if (scores.length === 0) throw new Error("bootstrapAggregate: no scores to aggregate (empty prediction list?)");
  if (!Number.isInteger(samples) || samples <= 0) throw new Error(`bootstrapAggregate: samples must be > 0`);
  if (!(ci >= 0 && ci <= 1)) throw new Error(`bootstrapAggregate: confidenceInterval must be in [0, 1]`);
  const random = mulberry32(options.seed ?? 0);
  const n = scores.length;
  const means = [new Float64Array(samples), new Float64Array(samples), new Float64Array(samples)];
  for (let s = 0; s < samples; s++) {
    let p = 0, r = 0, f = 0;
    for (let k = 0; k < n; k++) {
      const x = scores[Math.floor(random() * n)];
      p += x.precision;
      r += x.recall;
      f += x.fmeasure;
    }
    means[0][s] = p / n;
    means[1][s] = r / n;
    means[2][s] = f / n;
  }
  for (const column of means) column.sort();
  const delta = (1 - ci) / 2;
  const at = (q: number): RougeScore => ({
    precision: percentileSorted(means[0], q),
    recall: percentileSorted(means[1], q),
    fmeasure: percentileSorted(means[2], q),
  });
  return { low: at(100 * delta), mid: at(50), high: at(100 * (1 - delta)) };
}
