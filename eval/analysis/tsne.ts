/**
 * Exact t-SNE (van der Maaten & Hinton 2008) in float64, O(N²) per iteration: Gaussian affinities calibrated per
 * point to a perplexity by binary search, symmetrised; Student-t similarities in the embedding; gradient descent with
 * momentum, per-parameter gains and early exaggeration, following scikit-learn's exact method (learning rate "auto"
 * = max(N / exaggeration / 4, 50), exaggeration 12 for 250 iterations, momentum 0.5 then 0.8, seeded N(0, 1e-4²) or
 * PCA initialisation).
 * @module
 */
import { assertFinite, type Matrix, squaredDistances, zerosMatrix } from "./matrix.ts";
import { pca } from "./pca.ts";
import { SeededRandom } from "./random.ts";

/** Options of {@link tsne}. */
export interface TsneOptions {
  /** Perplexity (default 30); lowered to (N − 1) / 3 for small N. */
  perplexity?: number;
  /** Output dimensions (default 2). */
  dimensions?: number;
  /** Gradient-descent iterations (default 1000). */
  iterations?: number;
  /** Step size, or "auto" (default). */
  learningRate?: number | "auto";
  /** Early exaggeration factor (default 12). */
  earlyExaggeration?: number;
  /** Iterations with exaggeration and momentum 0.5 (default 250). */
  exaggerationIterations?: number;
  /** Initial layout: seeded N(0, 1e-4²) ("random", default) or the PCA projection scaled to std 1e-4 ("pca"). */
  init?: "random" | "pca";
  /** Seed of the random initialisation (default 0). */
  seed?: number;
}

/** A t-SNE layout. */
export interface TsneResult {
  /** The embedding, [N × dimensions], centred. */
  embedding: Matrix;
  /** KL(P ‖ Q) of the final layout. */
  klDivergence: number;
  /** The perplexity used (after lowering for small N). */
  perplexity: number;
}

/**
 * Conditional affinities p_{j|i} ∝ exp(−β_i d_ij) over squared distances `d` [n × n], with each β_i found by binary
 * search so that the entropy of row i is log(perplexity) (natural log); returns the row-stochastic matrix.
 */
export function conditionalAffinities(d: Float64Array, n: number, perplexity: number, tolerance = 1e-5): Float64Array {
  if (d.length !== n * n) throw new Error(`conditionalAffinities: expected ${n * n} distances, got ${d.length}`);
  if (!(perplexity > 0 && perplexity < n)) {
    throw new Error(`conditionalAffinities: perplexity must be in (0, ${n}) for ${n} points, got ${perplexity}`);
  }
  const target = Math.log(perplexity);
  const p = new Float64Array(n * n);
  const row = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    // Shifting by the nearest distance leaves the normalised row unchanged and avoids exp underflow.
    let dmin = Infinity;
    for (let j = 0; j < n; j++) if (j !== i && d[i * n + j] < dmin) dmin = d[i * n + j];
    let beta = 1;
    let lo = -Infinity;
    let hi = Infinity;
    for (let it = 0; it < 200; it++) {
      let sum = 0;
      let weighted = 0;
      for (let j = 0; j < n; j++) {
        if (j === i) {
          row[j] = 0;
          continue;
        }
        const dj = d[i * n + j] - dmin;
        const v = Math.exp(-beta * dj);
        row[j] = v;
        sum += v;
        weighted += dj * v;
      }
      const entropy = Math.log(sum) + (beta * weighted) / sum;
      const diff = entropy - target;
      if (Math.abs(diff) <= tolerance) break;
      if (diff > 0) {
        lo = beta;
        beta = hi === Infinity ? beta * 2 : (beta + hi) / 2;
      } else {
        hi = beta;
        beta = lo === -Infinity ? beta / 2 : (beta + lo) / 2;
      }
    }
    let sum = 0;
    for (let j = 0; j < n; j++) sum += row[j];
    for (let j = 0; j < n; j++) p[i * n + j] = row[j] / sum;
  }
  return p;
}

/** Symmetric joint affinities P = (P_cond + P_condᵀ) / 2N, floored at 1e-12 off the diagonal. */
export function jointAffinities(x: Matrix, perplexity: number): Float64Array {
  const n = x.rows;
  const cond = conditionalAffinities(squaredDistances(x), n, perplexity);
  const p = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i !== j) p[i * n + j] = Math.max((cond[i * n + j] + cond[j * n + i]) / (2 * n), 1e-12);
    }
  }
  return p;
}

/** Student-t similarities num_ij = 1 / (1 + ‖y_i − y_j‖²) (zero diagonal) and their sum. */
function similarities(y: Float64Array, n: number, dims: number, num: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    num[i * n + i] = 0;
    for (let j = i + 1; j < n; j++) {
      let d2 = 0;
      for (let k = 0; k < dims; k++) {
        const t = y[i * dims + k] - y[j * dims + k];
        d2 += t * t;
      }
      const v = 1 / (1 + d2);
      num[i * n + j] = v;
      num[j * n + i] = v;
      sum += 2 * v;
    }
  }
  return sum;
}

/** KL(P ‖ Q) of a layout `y` [n × dims] for joint affinities `p`. */
export function klDivergence(p: Float64Array, y: Matrix): number {
  const n = y.rows;
  const num = new Float64Array(n * n);
  const sum = similarities(y.data, n, y.cols, num);
  let kl = 0;
  for (let k = 0; k < n * n; k++) {
    if (p[k] > 0 && num[k] > 0) kl += p[k] * Math.log(p[k] / Math.max(num[k] / sum, 1e-300));
  }
  return kl;
}

/**
 * The exact t-SNE gradient ∂KL/∂y_i = 4 Σ_j (exaggeration·p_ij − q_ij) (y_i − y_j) / (1 + ‖y_i − y_j‖²), written into
 * `grad` [n × dims]; `p` must be symmetric (as {@link jointAffinities} makes it). One pass over the pairs: with
 * w_ij = 1 / (1 + ‖y_i − y_j‖²) and Z = Σ w, it accumulates Σ p w (y_i − y_j) and Σ w² (y_i − y_j) and combines them
 * as 4 (exaggeration · first − second / Z).
 */
export function tsneGradient(
  p: Float64Array,
  y: Float64Array,
  n: number,
  dims: number,
  exaggeration: number,
  grad: Float64Array,
): void {
  const attract = new Float64Array(n * dims);
  grad.fill(0); // holds the repulsive sums until the end
  let z = 0;
  if (dims === 2) {
    for (let i = 0; i < n; i++) {
      const xi = y[2 * i];
      const yi = y[2 * i + 1];
      let ax = 0, ay = 0, rx = 0, ry = 0;
      const row = i * n;
      for (let j = i + 1; j < n; j++) {
        const dx = xi - y[2 * j];
        const dy = yi - y[2 * j + 1];
        const w = 1 / (1 + dx * dx + dy * dy);
        z += w;
        const pw = p[row + j] * w;
        const ww = w * w;
        ax += pw * dx;
        ay += pw * dy;
        rx += ww * dx;
        ry += ww * dy;
        attract[2 * j] -= pw * dx;
        attract[2 * j + 1] -= pw * dy;
        grad[2 * j] -= ww * dx;
        grad[2 * j + 1] -= ww * dy;
      }
      attract[2 * i] += ax;
      attract[2 * i + 1] += ay;
      grad[2 * i] += rx;
      grad[2 * i + 1] += ry;
    }
  } else {
    const diff = new Float64Array(dims);
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        let d2 = 0;
        for (let k = 0; k < dims; k++) {
          diff[k] = y[i * dims + k] - y[j * dims + k];
          d2 += diff[k] * diff[k];
        }
        const w = 1 / (1 + d2);
        z += w;
        const pw = p[i * n + j] * w;
        const ww = w * w;
        for (let k = 0; k < dims; k++) {
          attract[i * dims + k] += pw * diff[k];
          attract[j * dims + k] -= pw * diff[k];
          grad[i * dims + k] += ww * diff[k];
          grad[j * dims + k] -= ww * diff[k];
        }
      }
    }
  }
  const invZ = 1 / (2 * z); // Z sums both orders of each pair
  for (let k = 0; k < grad.length; k++) grad[k] = 4 * (exaggeration * attract[k] - grad[k] * invZ);
}

/** Embeds the rows of `x` in `dimensions` (default 2) dimensions with exact t-SNE. */
export function tsne(x: Matrix, options: TsneOptions = {}): TsneResult {
  const n = x.rows;
  const dims = options.dimensions ?? 2;
  if (n < 3) throw new Error(`tsne: needs at least 3 points, got ${n}`);
  assertFinite(x, "tsne input");
  const perplexity = Math.min(options.perplexity ?? 30, (n - 1) / 3);
  const iterations = options.iterations ?? 1000;
  const exaggeration = options.earlyExaggeration ?? 12;
  const exaggerated = Math.min(options.exaggerationIterations ?? 250, iterations);
  const eta = options.learningRate === undefined || options.learningRate === "auto"
    ? Math.max(n / exaggeration / 4, 50)
    : options.learningRate;
  const p = jointAffinities(x, perplexity);

  const y = new Float64Array(n * dims);
  if (options.init === "pca") {
    const proj = pca(x, { components: Math.min(dims, x.cols, n) }).projection;
    let sq = 0;
    for (let i = 0; i < n; i++) sq += proj.data[i * proj.cols] ** 2;
    const scale = sq > 0 ? 1e-4 / Math.sqrt(sq / n) : 0;
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < proj.cols; k++) y[i * dims + k] = proj.data[i * proj.cols + k] * scale;
    }
  } else {
    const rng = new SeededRandom(options.seed ?? 0);
    for (let k = 0; k < y.length; k++) y[k] = 1e-4 * rng.normal();
  }

  const grad = new Float64Array(n * dims);
  const update = new Float64Array(n * dims);
  const gains = new Float64Array(n * dims).fill(1);
  for (let it = 0; it < iterations; it++) {
    const early = it < exaggerated;
    tsneGradient(p, y, n, dims, early ? exaggeration : 1, grad);
    const momentum = early ? 0.5 : 0.8;
    for (let k = 0; k < y.length; k++) {
      gains[k] = update[k] * grad[k] < 0 ? gains[k] + 0.2 : gains[k] * 0.8;
      if (gains[k] < 0.01) gains[k] = 0.01;
      update[k] = momentum * update[k] - eta * gains[k] * grad[k];
      y[k] += update[k];
    }
    for (let k = 0; k < dims; k++) {
      let mean = 0;
      for (let i = 0; i < n; i++) mean += y[i * dims + k];
      mean /= n;
      for (let i = 0; i < n; i++) y[i * dims + k] -= mean;
    }
  }
  const embedding = zerosMatrix(n, dims);
  embedding.data.set(y);
  return { embedding, klDivergence: klDivergence(p, embedding), perplexity };
}
