/**
 * Principal component analysis in float64: centre, then the leading eigenvectors of the covariance (d × d) or, with
 * fewer points than features, of the Gram matrix (n × n), by a full symmetric eigendecomposition. Components follow scikit-learn's conventions (covariance
 * over n − 1) with a deterministic sign: each component's largest-magnitude loading is positive.
 * @module
 */
import { assertFinite, type Matrix, zerosMatrix } from "./matrix.ts";
import { symmetricEigen } from "./eigen.ts";

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
  if (d <= n) {
    const cov = new Float64Array(d * d);
    for (let i = 0; i < n; i++) {
      const r = i * d;
      for (let a = 0; a < d; a++) {
        const xa = xc[r + a];
        if (xa === 0) continue;
        for (let b = a; b < d; b++) cov[a * d + b] += xa * xc[r + b];
      }
    }
    for (let a = 0; a < d; a++) {
      for (let b = a; b < d; b++) {
        cov[a * d + b] /= n - 1;
        cov[b * d + a] = cov[a * d + b];
      }
    }
    const eig = symmetricEigen(cov, d);
    components.data.set(eig.vectors.subarray(0, k * d));
    explainedVariance.set(eig.values.subarray(0, k));
  } else {
    const gram = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = i; j < n; j++) {
        let s = 0;
        for (let l = 0; l < d; l++) s += xc[i * d + l] * xc[j * d + l];
        gram[i * n + j] = s / (n - 1);
        gram[j * n + i] = s / (n - 1);
      }
    }
    const eig = symmetricEigen(gram, n);
    explainedVariance.set(eig.values.subarray(0, k));
    for (let c = 0; c < k; c++) {
      const axis = components.data.subarray(c * d, (c + 1) * d);
      for (let i = 0; i < n; i++) {
        const u = eig.vectors[c * n + i];
        for (let l = 0; l < d; l++) axis[l] += u * xc[i * d + l];
      }
      let norm = 0;
      for (const v of axis) norm += v * v;
      if (norm > 0) { for (let l = 0; l < d; l++) axis[l] /= Math.sqrt(norm); }
    }
  }
  for (let c = 0; c < k; c++) {
    const axis = components.data.subarray(c * d, (c + 1) * d);
    let big = 0;
    for (let l = 1; l < d; l++) if (Math.abs(axis[l]) > Math.abs(axis[big])) big = l;
    if (axis[big] < 0) { for (let l = 0; l < d; l++) axis[l] = -axis[l]; }
    explainedVariance[c] = Math.max(0, explainedVariance[c]);
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
