/**
 * Limited-memory BFGS minimisation in float64 (Nocedal & Wright, Algorithm 7.4: two-loop recursion, γ = sᵀy / yᵀy
 * initial Hessian scaling) with a backtracking Armijo line search; pairs with sᵀy ≤ 0 are skipped so the update stays
 * positive definite. Meant for smooth convex objectives such as the probes' regularised logistic loss.
 * @module
 */

/** Options of {@link minimizeLbfgs}. */
export interface LbfgsOptions {
  /** Correction pairs kept (default 10). */
  memory?: number;
  /** Iteration cap (default 1000). */
  maxIterations?: number;
  /** Converged when max |∂f/∂x_i| is at most this (default 1e-8). */
  gradientTolerance?: number;
  /** Converged when a step lowers f by at most this times max(|f|, 1) (default 1e-14). */
  valueTolerance?: number;
}

/** Outcome of {@link minimizeLbfgs}. */
export interface LbfgsResult {
  /** The final point. */
  x: Float64Array;
  /** f at `x`. */
  value: number;
  /** max |∂f/∂x_i| at `x`. */
  gradientNorm: number;
  /** Iterations done. */
  iterations: number;
  /** Whether a tolerance was met (false: the iteration cap or a failed line search stopped it). */
  converged: boolean;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  return m;
}

/**
 * Minimises f from `x0`. `fg(x, grad)` returns f(x) and writes ∇f(x) into `grad`. Throws if f or its gradient is not
 * finite at the start.
 */
export function minimizeLbfgs(
  fg: (x: Float64Array, grad: Float64Array) => number,
  x0: Float64Array,
  options: LbfgsOptions = {},
): LbfgsResult {
  const m = options.memory ?? 10;
  const maxIterations = options.maxIterations ?? 1000;
  const gtol = options.gradientTolerance ?? 1e-8;
  const ftol = options.valueTolerance ?? 1e-14;
  const n = x0.length;
  const x = Float64Array.from(x0);
  const g = new Float64Array(n);
  let f = fg(x, g);
  if (!Number.isFinite(f) || !g.every(Number.isFinite)) {
    throw new Error(`minimizeLbfgs: the objective or its gradient is not finite at the start (f = ${f})`);
  }
  const s: Float64Array[] = [];
  const y: Float64Array[] = [];
  const rho: number[] = [];
  const alpha = new Float64Array(m);
  const d = new Float64Array(n);
  const xNew = new Float64Array(n);
  const gNew = new Float64Array(n);
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    if (maxAbs(g) <= gtol) {
      converged = true;
      break;
    }
    iterations++;
    d.set(g);
    for (let i = s.length - 1; i >= 0; i--) {
      alpha[i] = rho[i] * dot(s[i], d);
      for (let k = 0; k < n; k++) d[k] -= alpha[i] * y[i][k];
    }
    const last = s.length - 1;
    const gamma = last >= 0 ? dot(s[last], y[last]) / dot(y[last], y[last]) : 1 / Math.max(1, maxAbs(g));
    for (let k = 0; k < n; k++) d[k] *= gamma;
    for (let i = 0; i < s.length; i++) {
      const beta = rho[i] * dot(y[i], d);
      for (let k = 0; k < n; k++) d[k] += s[i][k] * (alpha[i] - beta);
    }
    for (let k = 0; k < n; k++) d[k] = -d[k];
    let slope = dot(d, g);
    if (!(slope < 0)) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      s.length = y.length = rho.length = 0;
      for (let k = 0; k < n; k++) d[k] = -g[k] / Math.max(1, maxAbs(g));
      slope = dot(d, g);
    }
    let t = 1;
    let fNew = NaN;
    let accepted = false;
    for (let tries = 0; tries < 60; tries++) {
      for (let k = 0; k < n; k++) xNew[k] = x[k] + t * d[k];
      fNew = fg(xNew, gNew);
      if (Number.isFinite(fNew) && fNew <= f + 1e-4 * t * slope) {
        accepted = true;
        break;
      }
      t *= 0.5;
    }
    if (!accepted) break;
    const sk = new Float64Array(n);
    const yk = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      sk[k] = xNew[k] - x[k];
      yk[k] = gNew[k] - g[k];
    }
    const sy = dot(sk, yk);
    if (sy > 1e-12 * Math.sqrt(dot(sk, sk) * dot(yk, yk))) {
      if (s.length === m) {
        s.shift();
        y.shift();
        rho.shift();
      }
      s.push(sk);
      y.push(yk);
      rho.push(1 / sy);
    }
    const decrease = f - fNew;
    x.set(xNew);
    g.set(gNew);
    f = fNew;
    if (decrease <= ftol * Math.max(Math.abs(f), 1)) {
      converged = true;
      break;
    }
  }
  return { x, value: f, gradientNorm: maxAbs(g), iterations, converged };
}
