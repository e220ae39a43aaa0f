/**
 * Multinomial (softmax) logistic regression in float64, fitted full-batch with L-BFGS: minimises the mean
 * cross-entropy plus (λ/2)‖W‖² (the bias is not penalised). With λ = 1 / n this is scikit-learn's
 * `LogisticRegression(C=1, multi_class="multinomial")` objective scaled by 1 / n.
 * @module
 */
import { assertFinite, type Matrix, zerosMatrix } from "./matrix.ts";
import { minimizeLbfgs } from "./lbfgs.ts";

/** Options of {@link fitLogisticRegression}. */
export interface LogisticOptions {
  /** Number of classes (default: largest label + 1). */
  classes?: number;
  /** L2 penalty λ on the weights (default 1 / n, scikit-learn's C = 1). */
  l2?: number;
  /** L-BFGS iteration cap (default 1000). */
  maxIterations?: number;
  /** Gradient tolerance (max-norm, default 1e-8). */
  tolerance?: number;
}

/** A fitted multinomial logistic regression. */
export interface LogisticModel {
  /** Classes K. */
  classes: number;
  /** Features d. */
  features: number;
  /** Weights [K × d], row k for class k. */
  weights: Float64Array;
  /** Biases [K]. */
  bias: Float64Array;
  /** The penalty used. */
  l2: number;
  /** Final objective value. */
  loss: number;
  /** L-BFGS iterations. */
  iterations: number;
  /** Whether L-BFGS met its tolerance. */
  converged: boolean;
}

/** Logits z = W x + b of every row, [n × K]. */
function logits(x: Matrix, weights: Float64Array, bias: Float64Array, classes: number): Float64Array {
  const { rows: n, cols: d, data } = x;
  const z = new Float64Array(n * classes);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < classes; c++) {
      let s = bias[c];
      const w = c * d;
      const r = i * d;
      for (let l = 0; l < d; l++) s += weights[w + l] * data[r + l];
      z[i * classes + c] = s;
    }
  }
  return z;
}

/** Turns logits into probabilities in place (row-wise stable softmax); returns the row log-sum-exps. */
function softmaxRows(z: Float64Array, n: number, classes: number): Float64Array {
  const lse = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const row = i * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, z[row + c]);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(z[row + c] - max);
    lse[i] = max + Math.log(sum);
    for (let c = 0; c < classes; c++) z[row + c] = Math.exp(z[row + c] - lse[i]);
  }
  return lse;
}

function checkLabels(x: Matrix, labels: ArrayLike<number>, classes: number, what: string): void {
  if (labels.length !== x.rows) throw new Error(`${what}: ${x.rows} rows but ${labels.length} labels`);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (!(Number.isInteger(y) && y >= 0 && y < classes)) {
      throw new Error(`${what}: label ${i} is ${y}; labels must be integers in 0..${classes - 1}`);
    }
  }
}

/**
 * The objective (1/n) Σ_i [log Σ_k exp z_ik − z_{i,y_i}] + (λ/2)‖W‖² at `weights` [K × d] and `bias` [K]; when
 * `gradWeights` / `gradBias` are given, writes ∂/∂W = (1/n) Σ_i (p_i − onehot(y_i)) x_iᵀ + λW and
 * ∂/∂b = (1/n) Σ_i (p_i − onehot(y_i)) into them.
 */
export function logisticLoss(
  x: Matrix,
  labels: ArrayLike<number>,
  classes: number,
  weights: Float64Array,
  bias: Float64Array,
  l2: number,
  gradWeights?: Float64Array,
  gradBias?: Float64Array,
): number {
  const { rows: n, cols: d, data } = x;
  const z = logits(x, weights, bias, classes);
  const raw = Float64Array.from(z);
  const lse = softmaxRows(z, n, classes);
  let loss = 0;
  for (let i = 0; i < n; i++) loss += lse[i] - raw[i * classes + labels[i]];
  loss /= n;
  let penalty = 0;
  for (const w of weights) penalty += w * w;
  loss += (l2 / 2) * penalty;
  if (gradWeights && gradBias) {
    gradWeights.fill(0);
    gradBias.fill(0);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < classes; c++) {
        const r = (z[i * classes + c] - (labels[i] === c ? 1 : 0)) / n;
        if (r === 0) continue;
        gradBias[c] += r;
        const w = c * d;
        const row = i * d;
        for (let l = 0; l < d; l++) gradWeights[w + l] += r * data[row + l];
      }
    }
    for (let k = 0; k < weights.length; k++) gradWeights[k] += l2 * weights[k];
  }
  return loss;
}

/** Fits a multinomial logistic regression of integer `labels` (0..K−1) on the rows of `x`. */
export function fitLogisticRegression(
  x: Matrix,
  labels: ArrayLike<number>,
  options: LogisticOptions = {},
): LogisticModel {
  const n = x.rows;
  const d = x.cols;
  if (n === 0) throw new Error("fitLogisticRegression: no training rows");
  assertFinite(x, "fitLogisticRegression input");
  let maxLabel = 0;
  for (let i = 0; i < labels.length; i++) {
    if (!(Number.isInteger(labels[i]) && labels[i] >= 0)) {
      throw new Error(`fitLogisticRegression: label ${i} is ${labels[i]}; labels must be integers in 0..K−1`);
    }
    maxLabel = Math.max(maxLabel, labels[i]);
  }
  const classes = options.classes ?? maxLabel + 1;
  if (!(Number.isInteger(classes) && classes >= 1)) throw new Error(`fitLogisticRegression: classes is ${classes}`);
  checkLabels(x, labels, classes, "fitLogisticRegression");
  const l2 = options.l2 ?? 1 / n;
  if (!(l2 >= 0)) throw new Error(`fitLogisticRegression: l2 must be ≥ 0, got ${l2}`);
  const size = classes * d;
  const result = minimizeLbfgs(
    (theta, grad) =>
      logisticLoss(
        x,
        labels,
        classes,
        theta.subarray(0, size),
        theta.subarray(size),
        l2,
        grad.subarray(0, size),
        grad.subarray(size),
      ),
    new Float64Array(size + classes),
    { maxIterations: options.maxIterations ?? 1000, gradientTolerance: options.tolerance ?? 1e-8 },
  );
  return {
    classes,
    features: d,
    weights: result.x.slice(0, size),
    bias: result.x.slice(size),
    l2,
    loss: result.value,
    iterations: result.iterations,
    converged: result.converged,
  };
}

/** Class probabilities of every row of `x`, [n × K]. */
export function predictProbabilities(model: LogisticModel, x: Matrix): Matrix {
  if (x.cols !== model.features) {
    throw new Error(`predictProbabilities: the model has ${model.features} features, the data ${x.cols}`);
  }
  const out = zerosMatrix(x.rows, model.classes);
  out.data.set(logits(x, model.weights, model.bias, model.classes));
  softmaxRows(out.data, x.rows, model.classes);
  return out;
}

/** The most probable class of every row of `x` (ties: the lower class). */
export function predictClasses(model: LogisticModel, x: Matrix): Int32Array {
  const p = predictProbabilities(model, x);
  const out = new Int32Array(x.rows);
  for (let i = 0; i < x.rows; i++) {
    let best = 0;
    for (let c = 1; c < model.classes; c++) {
      if (p.data[i * model.classes + c] > p.data[i * model.classes + best]) best = c;
    }
    out[i] = best;
  }
  return out;
}
