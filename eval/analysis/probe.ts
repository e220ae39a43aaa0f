/**
 * The fast linear probe: a stratified, seeded train/test split of one set of feature vectors, standardisation with the
 * training statistics, a multinomial logistic regression, and accuracy against the majority-class baseline. A quick
 * instrument, not the paper's Table 7 probe (a new MLP head trained on the training split's features and scored on
 * the validation split's: `mlp_probe.ts`).
 * @module
 */
import { type Matrix, selectRows, zerosMatrix } from "./matrix.ts";
import { fitLogisticRegression, predictClasses } from "./logistic.ts";
import { SeededRandom } from "./random.ts";

/** Row indices of a train/test split. */
export interface Split {
  /** Training rows (ascending). */
  train: Int32Array;
  /** Test rows (ascending). */
  test: Int32Array;
}

/**
 * A seeded split that keeps each class's share: round(count · testFraction) rows of every class go to the test set,
 * at least one from a class of two or more rows and never all of a class.
 */
export function stratifiedSplit(labels: ArrayLike<number>, testFraction = 0.2, seed = 0): Split {
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new Error(`stratifiedSplit: testFraction must be in (0, 1), got ${testFraction}`);
  }
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    if (!byClass.has(labels[i])) byClass.set(labels[i], []);
    byClass.get(labels[i])!.push(i);
  }
  const rng = new SeededRandom(seed);
  const test: number[] = [];
  const train: number[] = [];
  for (const cls of [...byClass.keys()].sort((a, b) => a - b)) {
    const rows = byClass.get(cls)!;
    const order = rng.permutation(rows.length);
    const count = rows.length < 2 ? 0 : Math.min(rows.length - 1, Math.max(1, Math.round(rows.length * testFraction)));
    order.forEach((o, k) => (k < count ? test : train).push(rows[o]));
  }
  return { train: Int32Array.from(train.sort((a, b) => a - b)), test: Int32Array.from(test.sort((a, b) => a - b)) };
}

/** Column means and standard deviations of `x` (a zero deviation is reported as 1, leaving the column centred). */
export function columnStats(x: Matrix): { mean: Float64Array; std: Float64Array } {
  const { rows: n, cols: d, data } = x;
  const mean = new Float64Array(d);
  const std = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += data[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= Math.max(n, 1);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) std[j] += (data[i * d + j] - mean[j]) ** 2;
  for (let j = 0; j < d; j++) std[j] = Math.sqrt(std[j] / Math.max(n, 1)) || 1;
  return { mean, std };
}

/** (x − mean) / std, column-wise. */
export function standardize(x: Matrix, stats: { mean: Float64Array; std: Float64Array }): Matrix {
  const out = zerosMatrix(x.rows, x.cols);
  for (let i = 0; i < x.rows; i++) {
    for (let j = 0; j < x.cols; j++) out.data[i * x.cols + j] = (x.data[i * x.cols + j] - stats.mean[j]) / stats.std[j];
  }
  return out;
}

/** Options of {@link linearProbe}. */
export interface ProbeOptions {
  /** Share of rows held out (default 0.2). */
  testFraction?: number;
  /** Seed of the split (default 0). */
  seed?: number;
  /** A split to use instead (so that several feature sets are compared on the same rows). */
  split?: Split;
  /** L2 penalty (default 1 / training rows). */
  l2?: number;
}

/** Accuracies of a linear probe. */
export interface ProbeResult {
  /** Training rows. */
  trainSize: number;
  /** Test rows. */
  testSize: number;
  /** Distinct classes. */
  classes: number;
  /** Accuracy on the training rows (0–1). */
  trainAccuracy: number;
  /** Accuracy on the held-out rows (0–1). */
  testAccuracy: number;
  /** Held-out accuracy of always predicting the training set's most frequent class. */
  majorityAccuracy: number;
  /** Whether the optimiser met its tolerance. */
  converged: boolean;
}

function accuracyOf(pred: Int32Array, gold: ArrayLike<number>): number {
  if (pred.length === 0) return NaN;
  let right = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === gold[i]) right++;
  return right / pred.length;
}

/** Trains a logistic-regression probe of integer `labels` on standardised `features` and reports its accuracy. */
export function linearProbe(features: Matrix, labels: ArrayLike<number>, options: ProbeOptions = {}): ProbeResult {
  if (labels.length !== features.rows) {
    throw new Error(`linearProbe: ${features.rows} feature rows but ${labels.length} labels`);
  }
  const split = options.split ?? stratifiedSplit(labels, options.testFraction ?? 0.2, options.seed ?? 0);
  if (split.train.length === 0 || split.test.length === 0) {
    throw new Error(`linearProbe: the split has ${split.train.length} training and ${split.test.length} test rows`);
  }
  // Relabel to 0..K−1 over every class present.
  const distinct = [...new Set(Array.from(labels))].sort((a, b) => a - b);
  const code = new Map(distinct.map((v, i) => [v, i]));
  const y = Int32Array.from(Array.from(labels), (v) => code.get(v)!);
  const yTrain = Int32Array.from(split.train, (i) => y[i]);
  const yTest = Int32Array.from(split.test, (i) => y[i]);
  const trainRaw = selectRows(features, split.train);
  const stats = columnStats(trainRaw);
  const model = fitLogisticRegression(standardize(trainRaw, stats), yTrain, {
    classes: distinct.length,
    l2: options.l2,
  });
  const counts = new Int32Array(distinct.length);
  for (const v of yTrain) counts[v]++;
  let majority = 0;
  for (let c = 1; c < counts.length; c++) if (counts[c] > counts[majority]) majority = c;
  return {
    trainSize: split.train.length,
    testSize: split.test.length,
    classes: distinct.length,
    trainAccuracy: accuracyOf(predictClasses(model, standardize(trainRaw, stats)), yTrain),
    testAccuracy: accuracyOf(predictClasses(model, standardize(selectRows(features, split.test), stats)), yTest),
    majorityAccuracy: accuracyOf(new Int32Array(yTest.length).fill(majority), yTest),
    converged: model.converged,
  };
}
