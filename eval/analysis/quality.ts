/**
 * How well a low-dimensional layout keeps the neighbourhoods of the original points: trustworthiness (Venna & Kaski
 * 2001, as scikit-learn's `trustworthiness`) and the mean share of k nearest neighbours kept.
 * @module
 */
import { type Matrix, squaredDistances } from "./matrix.ts";

/** Indices of every other point sorted by distance from point i (ties by index). */
function neighbourOrder(d: Float64Array, n: number, i: number): number[] {
  const order: number[] = [];
  for (let j = 0; j < n; j++) if (j !== i) order.push(j);
  return order.sort((a, b) => d[i * n + a] - d[i * n + b] || a - b);
}

function checkPair(x: Matrix, y: Matrix, k: number, what: string): void {
  if (x.rows !== y.rows) throw new Error(`${what}: ${x.rows} original points but ${y.rows} embedded ones`);
  if (!(Number.isInteger(k) && k >= 1 && k < x.rows - 1)) {
    throw new Error(`${what}: k must be an integer in 1..${x.rows - 2}, got ${k}`);
  }
}

/**
 * Trustworthiness T(k) = 1 − 2 / (n k (2n − 3k − 1)) Σ_i Σ_{j ∈ U_i} (r(i, j) − k), where U_i are the k nearest
 * neighbours of i in the embedding `y` that are not among its k nearest in `x`, and r(i, j) is j's rank among i's
 * neighbours in `x`. 1 means no false neighbours. Requires k < n / 2.
 */
export function trustworthiness(x: Matrix, y: Matrix, k = 5): number {
  checkPair(x, y, k, "trustworthiness");
  const n = x.rows;
  if (k >= n / 2) throw new Error(`trustworthiness: k must be below n / 2 = ${n / 2}, got ${k}`);
  const dx = squaredDistances(x);
  const dy = squaredDistances(y);
  let penalty = 0;
  const rank = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    neighbourOrder(dx, n, i).forEach((j, r) => (rank[j] = r + 1));
    for (const j of neighbourOrder(dy, n, i).slice(0, k)) if (rank[j] > k) penalty += rank[j] - k;
  }
  return 1 - (2 / (n * k * (2 * n - 3 * k - 1))) * penalty;
}

/** Mean over points of |kNN_x(i) ∩ kNN_y(i)| / k: the share of each point's k nearest neighbours the layout keeps. */
export function neighbourPreservation(x: Matrix, y: Matrix, k = 5): number {
  checkPair(x, y, k, "neighbourPreservation");
  const n = x.rows;
  const dx = squaredDistances(x);
  const dy = squaredDistances(y);
  let kept = 0;
  for (let i = 0; i < n; i++) {
    const near = new Set(neighbourOrder(dx, n, i).slice(0, k));
    for (const j of neighbourOrder(dy, n, i).slice(0, k)) if (near.has(j)) kept++;
  }
  return kept / (n * k);
}
