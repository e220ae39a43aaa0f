/**
 * Classification and regression metrics with the semantics of scikit-learn and SciPy, the libraries the reference
 * code calls. All return fractions / coefficients (not ×100); the task-level scorer scales them.
 *
 * @module
 */

function checkSameLength(predictions: ArrayLike<unknown>, references: ArrayLike<unknown>, metric: string): void {
  if (predictions.length !== references.length) {
    throw new Error(
      `${metric}: ${predictions.length} predictions but ${references.length} references; pass one prediction per reference`,
    );
  }
}

/**
 * Fraction of positions where prediction and reference are identical (`===`, so NaN never matches, as in numpy).
 * Returns NaN for empty input (numpy's mean of nothing).
 */
export function accuracy<T>(predictions: readonly T[], references: readonly T[]): number {
  checkSameLength(predictions, references, "accuracy");
  if (predictions.length === 0) return NaN;
  let correct = 0;
  for (let i = 0; i < predictions.length; i++) if (predictions[i] === references[i]) correct++;
  return correct / predictions.length;
}

/**
 * Binary F1 of the `positive` class, as `sklearn.metrics.f1_score(references, predictions, pos_label=positive)`:
 * 2TP / (2TP + FP + FN), where every label other than `positive` counts as negative. Returns 0 when there are no
 * true positives (sklearn's `zero_division` default, which also covers "no positives anywhere").
 */
export function binaryF1<T>(predictions: readonly T[], references: readonly T[], positive: T = 1 as T): number {
  checkSameLength(predictions, references, "binaryF1");
  let tp = 0, fp = 0, fn = 0;
  for (let i = 0; i < predictions.length; i++) {
    const p = predictions[i] === positive, r = references[i] === positive;
    if (p && r) tp++;
    else if (p) fp++;
    else if (r) fn++;
  }
  return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
}

/**
 * The reference code's `f1_score_with_invalid` (from T5): references must be 0/1; a prediction that is neither 0
 * nor 1 (e.g. −1 for an unparsable string) is replaced by `1 − reference`, i.e. counted wrong; then binary F1 of
 * class 1.
 */
export function f1WithInvalid(predictions: readonly number[], references: readonly number[]): number {
  checkSameLength(predictions, references, "f1WithInvalid");
  const fixed = predictions.map((p, i) => {
    const r = references[i];
    if (r !== 0 && r !== 1) {
      throw new Error(`f1WithInvalid: reference ${i} is ${r}; references must be 0 or 1 (check the gold labels)`);
    }
    return p === 0 || p === 1 ? p : 1 - r;
  });
  return binaryF1(fixed, references, 1);
}

/**
 * Matthews correlation coefficient as `sklearn.metrics.matthews_corrcoef(references, predictions)`, in its
 * multiclass form (Gorodkin's R_K), so an invalid prediction such as −1 acts as an extra class, as in the reference
 * code. Equals (TP·TN − FP·FN)/√((TP+FP)(TP+FN)(TN+FP)(TN+FN)) for two classes. Returns 0 when the denominator is 0
 * (e.g. constant predictions), as sklearn does.
 */
export function matthewsCorrelation<T>(predictions: readonly T[], references: readonly T[]): number {
  checkSameLength(predictions, references, "matthewsCorrelation");
  const n = predictions.length;
  const predCount = new Map<T, number>(), trueCount = new Map<T, number>();
  let correct = 0;
  for (let i = 0; i < n; i++) {
    predCount.set(predictions[i], (predCount.get(predictions[i]) ?? 0) + 1);
    trueCount.set(references[i], (trueCount.get(references[i]) ?? 0) + 1);
    if (predictions[i] === references[i]) correct++;
  }
  let pt = 0, pp = 0, tt = 0;
  for (const [label, p] of predCount) {
    pp += p * p;
    pt += p * (trueCount.get(label) ?? 0);
  }
  for (const t of trueCount.values()) tt += t * t;
  const cov = correct * n - pt;
  const denominator = (n * n - pp) * (n * n - tt);
  if (denominator === 0) return 0;
  return cov / Math.sqrt(denominator);
}

/**
 * Pearson correlation coefficient, as `scipy.stats.pearsonr(x, y)[0]`: clipped to [−1, 1]; NaN when either input
 * is constant, contains NaN or ±Infinity, or has fewer than 2 values (SciPy raises for the last; the reference then
 * maps NaN to 0, see `scoreTask`).
 */
export function pearson(x: readonly number[], y: readonly number[]): number {
  checkSameLength(x, y, "pearson");
  const n = x.length;
  if (n < 2) return NaN;
  // Explicit, as SciPy does: a computed mean of a constant array need not equal its value exactly.
  if (x.every((v) => v === x[0]) || y.every((v) => v === y[0])) return NaN;
  let mx = 0, my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx, dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (!(sxx > 0) || !(syy > 0) || !Number.isFinite(sxx) || !Number.isFinite(syy)) return NaN;
  const r = sxy / Math.sqrt(sxx * syy);
  return Math.max(-1, Math.min(1, r));
}

/**
 * 1-based ranks with ties given their average rank (`scipy.stats.rankdata(values, method="average")`). Infinities
 * are ordered normally; NaN input is the caller's concern (see `spearman`).
 */
export function averageRanks(values: readonly number[]): number[] {
  const order = values.map((_, i) => i).sort((a, b) => {
    const va = values[a], vb = values[b];
    return va < vb ? -1 : va > vb ? 1 : a - b;
  });
  const ranks = new Array<number>(values.length);
  let i = 0;
  while (i < order.length) {
    let j = i;
    while (j + 1 < order.length && values[order[j + 1]] === values[order[i]]) j++;
    const rank = (i + j + 2) / 2; // mean of 1-based positions i+1 … j+1
    for (let k = i; k <= j; k++) ranks[order[k]] = rank;
    i = j + 1;
  }
  return ranks;
}

/**
 * Spearman rank correlation, as `scipy.stats.spearmanr(x, y)[0]`: Pearson on average ranks (ties share their mean
 * rank). NaN when either input contains NaN (SciPy's `nan_policy="propagate"`), is constant, or has fewer than 2
 * values.
 */
export function spearman(x: readonly number[], y: readonly number[]): number {
  checkSameLength(x, y, "spearman");
  if (x.some(Number.isNaN) || y.some(Number.isNaN)) return NaN;
  return pearson(averageRanks(x), averageRanks(y));
}
