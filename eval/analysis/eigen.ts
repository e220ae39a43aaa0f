/**
 * Symmetric eigendecomposition in float64: cyclic Jacobi for small matrices, and block subspace iteration with
 * Rayleigh–Ritz for the leading eigenpairs of large ones (what PCA needs: 2–50 components of a d × d covariance).
 * @module
 */
import { SeededRandom } from "./random.ts";

/** Eigenvalues (descending) and the matching unit eigenvectors. */
export interface EigenResult {
  /** Eigenvalues, largest first. */
  values: Float64Array;
  /** Eigenvectors as rows: `vectors[j * n + i]` is entry i of the eigenvector of `values[j]`. */
  vectors: Float64Array;
}

function checkSquare(a: Float64Array, n: number, what: string): void {
  if (a.length !== n * n) throw new Error(`${what}: expected ${n}×${n} = ${n * n} values, got ${a.length}`);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const x = a[i * n + j];
      const y = a[j * n + i];
      if (!(Math.abs(x - y) <= 1e-9 * Math.max(Math.abs(x), Math.abs(y)))) {
        throw new Error(`${what}: the matrix is not symmetric (entry ${i},${j} is ${x}, entry ${j},${i} is ${y})`);
      }
    }
  }
}

/**
 * All eigenpairs of the symmetric `n × n` row-major matrix `a` by cyclic Jacobi rotations (`a` is not modified).
 * O(n³) per sweep; meant for n up to a few hundred.
 */
export function symmetricEigen(a: Float64Array, n: number): EigenResult {
  checkSquare(a, n, "symmetricEigen");
  const m = Float64Array.from(a);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let total = 0;
  for (const x of m) total += x * x;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += m[p * n + q] ** 2;
    if (off <= 1e-30 * total || off === 0) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q];
        if (apq === 0) continue;
        const theta = (m[q * n + q] - m[p * n + p]) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const kp = m[k * n + p];
          const kq = m[k * n + q];
          m[k * n + p] = c * kp - s * kq;
          m[k * n + q] = s * kp + c * kq;
        }
        for (let k = 0; k < n; k++) {
          const pk = m[p * n + k];
          const qk = m[q * n + k];
          m[p * n + k] = c * pk - s * qk;
          m[q * n + k] = s * pk + c * qk;
        }
        m[p * n + q] = 0;
        m[q * n + p] = 0;
        for (let k = 0; k < n; k++) {
          const kp = v[k * n + p];
          const kq = v[k * n + q];
          v[k * n + p] = c * kp - s * kq;
          v[k * n + q] = s * kp + c * kq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => m[j * n + j] - m[i * n + i]);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((col, j) => {
    values[j] = m[col * n + col];
    for (let i = 0; i < n; i++) vectors[j * n + i] = v[i * n + col];
  });
  return { values, vectors };
}

/** Options of {@link topSymmetricEigen}. */
export interface TopEigenOptions {
  /** Seed of the random start block (default 0). */
  seed?: number;
  /** Iteration cap (default 2000). */
  maxIterations?: number;
  /** Stop when every wanted Ritz residual ‖Au − θu‖ is below this times the largest |θ| (default 1e-10). */
  tolerance?: number;
}

/** Orthonormalises the `p` columns (column-major, length n each) in place; degenerate columns are redrawn. */
function orthonormalise(q: Float64Array, n: number, p: number, rng: SeededRandom): void {
  for (let j = 0; j < p; j++) {
    const col = q.subarray(j * n, (j + 1) * n);
    for (let attempt = 0; attempt < 5; attempt++) {
      let before = 0;
      for (let i = 0; i < n; i++) before += col[i] * col[i];
      for (let pass = 0; pass < 2; pass++) {
        for (let k = 0; k < j; k++) {
          const other = q.subarray(k * n, (k + 1) * n);
          let dot = 0;
          for (let i = 0; i < n; i++) dot += col[i] * other[i];
          for (let i = 0; i < n; i++) col[i] -= dot * other[i];
        }
      }
      let norm = 0;
      for (let i = 0; i < n; i++) norm += col[i] * col[i];
      if (norm > 1e-24 * Math.max(before, 1e-300) && norm > 0) {
        const inv = 1 / Math.sqrt(norm);
        for (let i = 0; i < n; i++) col[i] *= inv;
        break;
      }
      for (let i = 0; i < n; i++) col[i] = rng.normal();
    }
  }
}

/**
 * The `k` largest eigenpairs of the symmetric `n × n` row-major matrix `a`: Jacobi when n is small, otherwise block
 * subspace iteration (block k + 10) with Rayleigh–Ritz until the residuals meet `tolerance`.
 */
export function topSymmetricEigen(a: Float64Array, n: number, k: number, options: TopEigenOptions = {}): EigenResult {
  if (!(Number.isInteger(k) && k >= 1 && k <= n)) throw new Error(`topSymmetricEigen: k must be in 1..${n}, got ${k}`);
  if (n <= 96 || 2 * k >= n) {
    const full = symmetricEigen(a, n);
    return { values: full.values.slice(0, k), vectors: full.vectors.slice(0, k * n) };
  }
  checkSquare(a, n, "topSymmetricEigen");
  const rng = new SeededRandom(options.seed ?? 0);
  const tol = options.tolerance ?? 1e-10;
  const maxIterations = options.maxIterations ?? 2000;
  const p = Math.min(n, k + 10);
  let q = new Float64Array(n * p);
  for (let i = 0; i < q.length; i++) q[i] = rng.normal();
  orthonormalise(q, n, p, rng);
  const z = new Float64Array(n * p);
  let result: EigenResult = { values: new Float64Array(k), vectors: new Float64Array(k * n) };
  for (let it = 0; it < maxIterations; it++) {
    for (let j = 0; j < p; j++) {
      const col = q.subarray(j * n, (j + 1) * n);
      for (let i = 0; i < n; i++) {
        let s = 0;
        const row = i * n;
        for (let l = 0; l < n; l++) s += a[row + l] * col[l];
        z[j * n + i] = s;
      }
    }
    const t = new Float64Array(p * p);
    for (let i = 0; i < p; i++) {
      for (let j = i; j < p; j++) {
        let s = 0;
        for (let l = 0; l < n; l++) s += q[i * n + l] * z[j * n + l] + q[j * n + l] * z[i * n + l];
        t[i * p + j] = s / 2;
        t[j * p + i] = s / 2;
      }
    }
    const small = symmetricEigen(t, p);
    // Ritz vectors U = Q S and their images A U = Z S (S's columns are small.vectors' rows).
    const u = new Float64Array(n * p);
    const au = new Float64Array(n * p);
    for (let j = 0; j < p; j++) {
      for (let l = 0; l < p; l++) {
        const s = small.vectors[j * p + l];
        if (s === 0) continue;
        for (let i = 0; i < n; i++) {
          u[j * n + i] += s * q[l * n + i];
          au[j * n + i] += s * z[l * n + i];
        }
      }
    }
    const scale = Math.max(Math.abs(small.values[0]), 1e-300);
    let worst = 0;
    for (let j = 0; j < k; j++) {
      let r = 0;
      for (let i = 0; i < n; i++) r += (au[j * n + i] - small.values[j] * u[j * n + i]) ** 2;
      worst = Math.max(worst, Math.sqrt(r) / scale);
    }
    result = { values: small.values.slice(0, k), vectors: u.slice(0, k * n) };
    if (worst <= tol || small.values[0] === 0) break;
    q = au;
    orthonormalise(q, n, p, rng);
  }
  return result;
}
