/**
 * Principal component analysis in float64 by `ml-pca`: the eigendecomposition of the covariance (d × d) or, with
 * fewer points than features, an SVD of the centred data. Components follow scikit-learn's conventions (covariance over n − 1) with a deterministic
 * sign: each component's largest-magnitude loading is positive.
 * @module
 */
import { PCA } from "ml-pca";
import { assertFinite, type Matrix, matrixRow, zerosMatrix } from "./matrix.ts";

/** Options of {@link pca}. */
export interface PcaOptions {
  /** Number of components (default 2). */
  components?: number;
}

/** A fitted PCA. */
export interface PcaResult {
  /** Column means removed before projecting. */
  mean: Float64Array;
  /** Principal axes as rows, [k × d], unit length. */
  components: Matrix;
  /** Variance along each axis (covariance eigenvalue, over n − 1). */
  explainedVariance: Float64Array;
  /** Share of the total variance along each axis (0 when the data have no variance). */
  explainedVarianceRatio: Float64Array;
  /** Total variance (trace of the covariance). */
  totalVariance: number;
  /** The centred points projected on the axes, [n × k]. */
  projection: Matrix;
}

/** Fits a PCA of the rows of `x` and projects them on the leading `components` axes. */
export function pca(x: Matrix, options: PcaOptions = {}): PcaResult {
  const k = options.components ?? 2;
  const { rows: n, cols: d } = x;
  if (n < 2) throw new Error(`pca: needs at least 2 points, got ${n}`);
  if (!(Number.isInteger(k) && k >= 1 && k <= Math.min(n, d))) {
    throw new Error(`pca: components must be an integer in 1..${Math.min(n, d)} for ${n} points of ${d} features`);
  }
  assertFinite(x, "pca input");
  const rows = Array.from({ length: n }, (_, i) => Array.from(matrixRow(x, i)));
  const fit = new PCA(rows, { method: d <= n ? "covarianceMatrix" : "SVD", center: true, scale: false });
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x.data[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  const xc = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) xc[i * d + j] = x.data[i * d + j] - mean[j];
  let totalVariance = 0;
  for (const v of xc) totalVariance += v * v;
  totalVariance /= n - 1;

  const components = zerosMatrix(k, d);
  const explainedVariance = new Float64Array(k);
  const loadings = fit.getLoadings();
  const eigenvalues = fit.getEigenvalues();
  for (let c = 0; c < k; c++) {
    const axis = components.data.subarray(c * d, (c + 1) * d);
    axis.set(loadings.getRow(c));
    let big = 0;
    for (let l = 1; l < d; l++) if (Math.abs(axis[l]) > Math.abs(axis[big])) big = l;
    if (axis[big] < 0) { for (let l = 0; l < d; l++) axis[l] = -axis[l]; }
    explainedVariance[c] = Math.max(0, eigenvalues[c] ?? 0);
  }
  const projection = zerosMatrix(n, k);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let l = 0; l < d; l++) s += xc[i * d + l] * components.data[c * d + l];
      projection.data[i * k + c] = s;
    }
  }
  const explainedVarianceRatio = explainedVariance.map((v) => (totalVariance > 0 ? v / totalVariance : 0));
  return { mean, components, explainedVariance, explainedVarianceRatio, totalVariance, projection };
}
