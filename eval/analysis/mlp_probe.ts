/**
 * The paper's probe (Table 7): a new MLP head trained on frozen encoder features with AdamW (lr 2e-5, 3 epochs, 500
 * linear warm-up steps, then linear decay), fitted on the training split's features and scored on the validation
 * split's. It runs on the engine (core ops, autograd and `AdamW`). The head is a classification head of the
 * transformers library's shape (`dense` d→h, tanh, `out_proj` h→K; h = d by default), reading one feature vector
 * per example (e.g. the mean-pooled encoder output). The fast logistic-regression probe of `probe.ts` is a different
 * instrument (one split cut 80/20, no hidden layer).
 * @module
 */
import {
  AdamW,
  add,
  backward,
  crossEntropy,
  keep,
  linear,
  linearWarmupDecay,
  noGrad,
  scope,
  tanh,
  type Tensor,
  tensor,
} from "@hyperdecoders/core";
import type { Matrix } from "./matrix.ts";
import { SeededRandom } from "./random.ts";

/** Options of {@link trainMlpProbe}. Defaults are the paper's probe settings. */
export interface MlpProbeOptions {
  /** Hidden width (default: the feature width, as the classification head's dense layer). */
  hidden?: number;
  /** Peak learning rate (default 2e-5). */
  lr?: number;
  /** Passes over the training features (default 3). */
  epochs?: number;
  /** Linear warm-up steps (default 500). */
  warmupSteps?: number;
  /** Examples per step (default 32). */
  batchSize?: number;
  /** Decoupled weight decay (default 0). */
  weightDecay?: number;
  /** Seed of the head's initialisation and the shuffling (default 0). */
  seed?: number;
  /** Called after each epoch with its mean training loss. */
  onEpoch?: (epoch: number, loss: number) => void;
}

/** The head's weights as host arrays (PyTorch layout: weights [out, in]). */
export interface MlpProbeWeights {
  /** dense weight [hidden, d]. */
  w1: Float32Array;
  /** dense bias [hidden]. */
  b1: Float32Array;
  /** out_proj weight [classes, hidden]. */
  w2: Float32Array;
  /** out_proj bias [classes]. */
  b2: Float32Array;
}

/** What {@link trainMlpProbe} measured. */
export interface MlpProbeResult {
  /** Training examples. */
  trainSize: number;
  /** Evaluation examples. */
  evalSize: number;
  /** Distinct classes (over both sets). */
  classes: number;
  /** Optimiser steps taken. */
  steps: number;
  /** Mean training loss of the last epoch. */
  trainLoss: number;
  /** Accuracy on the training features (0–1). */
  trainAccuracy: number;
  /** Accuracy on the evaluation features (0–1). */
  evalAccuracy: number;
  /** Evaluation accuracy of always predicting the training set's most frequent class. */
  majorityAccuracy: number;
}

/** nn.Linear's default initialisation, U(±1/√in) for weight and bias, seeded. */
export function initMlpProbe(dim: number, hidden: number, classes: number, seed = 0): MlpProbeWeights {
  const rng = new SeededRandom(seed);
  const u = (n: number, fanIn: number) => {
    const bound = 1 / Math.sqrt(fanIn);
    return Float32Array.from({ length: n }, () => (2 * rng.uniform() - 1) * bound);
  };
  return { w1: u(hidden * dim, dim), b1: u(hidden, dim), w2: u(classes * hidden, hidden), b2: u(classes, hidden) };
}

/** The head's parameters on the device. */
export interface MlpProbeParams {
  /** dense weight [hidden, d]. */
  w1: Tensor;
  /** dense bias [hidden]. */
  b1: Tensor;
  /** out_proj weight [classes, hidden]. */
  w2: Tensor;
  /** out_proj bias [classes]. */
  b2: Tensor;
}

/** Uploads host weights as trainable parameters. */
export function mlpProbeParams(w: MlpProbeWeights, dim: number, hidden: number, classes: number): MlpProbeParams {
  return {
    w1: tensor(w.w1, [hidden, dim]).asParameter("probe.dense.weight"),
    b1: tensor(w.b1, [hidden]).asParameter("probe.dense.bias"),
    w2: tensor(w.w2, [classes, hidden]).asParameter("probe.out_proj.weight"),
    b2: tensor(w.b2, [classes]).asParameter("probe.out_proj.bias"),
  };
}

/** Logits [N, K] of features `x` [N, d]: out_proj(tanh(dense(x))). */
export function mlpProbeLogits(p: MlpProbeParams, x: Tensor): Tensor {
  return add(linear(tanh(add(linear(x, p.w1), p.b1)), p.w2), p.b2);
}

function rowsOf(m: Matrix, index: ArrayLike<number>): Float32Array {
  const out = new Float32Array(index.length * m.cols);
  for (let k = 0; k < index.length; k++) {
    const i = index[k];
    for (let j = 0; j < m.cols; j++) out[k * m.cols + j] = m.data[i * m.cols + j];
  }
  return out;
}

async function predict(p: MlpProbeParams, m: Matrix, batchSize: number): Promise<Int32Array> {
  const out = new Int32Array(m.rows);
  for (let start = 0; start < m.rows; start += batchSize) {
    const index = Array.from({ length: Math.min(batchSize, m.rows - start) }, (_, k) => start + k);
    const logits = noGrad(() => scope(() => mlpProbeLogits(p, tensor(rowsOf(m, index), [index.length, m.cols]))));
    const values = await logits.data() as Float32Array;
    logits.dispose();
    const K = values.length / index.length;
    index.forEach((i, k) => {
      let best = 0;
      for (let c = 1; c < K; c++) if (values[k * K + c] > values[k * K + best]) best = c;
      out[i] = best;
    });
  }
  return out;
}

function accuracy(pred: Int32Array, gold: Int32Array): number {
  let right = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === gold[i]) right++;
  return pred.length === 0 ? NaN : right / pred.length;
}

/**
 * Trains a new MLP head on `train` features (integer `trainLabels`) and scores it on `evalSet`. Labels are recoded
 * to 0..K−1 over the classes of both sets. Throws on mismatched sizes, an empty set or a single class.
 */
export async function trainMlpProbe(
  train: Matrix,
  trainLabels: ArrayLike<number>,
  evalSet: Matrix,
  evalLabels: ArrayLike<number>,
  options: MlpProbeOptions = {},
): Promise<MlpProbeResult> {
  if (train.rows !== trainLabels.length || evalSet.rows !== evalLabels.length) {
    throw new Error(
      `trainMlpProbe: ${train.rows} training rows with ${trainLabels.length} labels, ` +
        `${evalSet.rows} evaluation rows with ${evalLabels.length} labels`,
    );
  }
  if (train.cols !== evalSet.cols) {
    throw new Error(`trainMlpProbe: training features have ${train.cols} columns, evaluation ${evalSet.cols}`);
  }
  if (train.rows === 0 || evalSet.rows === 0) throw new Error("trainMlpProbe: a set is empty");
  const distinct = [...new Set([...Array.from(trainLabels), ...Array.from(evalLabels)])].sort((a, b) => a - b);
  if (distinct.length < 2) throw new Error(`trainMlpProbe: one class only (${distinct[0]})`);
  const code = new Map(distinct.map((v, i) => [v, i]));
  const yTrain = Int32Array.from(Array.from(trainLabels), (v) => code.get(v)!);
  const yEval = Int32Array.from(Array.from(evalLabels), (v) => code.get(v)!);
  const K = distinct.length;
  const d = train.cols;
  const hidden = options.hidden ?? d;
  const batchSize = options.batchSize ?? 32;
  const epochs = options.epochs ?? 3;
  const seed = options.seed ?? 0;
  const stepsPerEpoch = Math.ceil(train.rows / batchSize);
  const totalSteps = stepsPerEpoch * epochs;
  const schedule = linearWarmupDecay({
    warmupSteps: options.warmupSteps ?? 500,
    totalSteps,
    peakLr: options.lr ?? 2e-5,
  });
  const params = mlpProbeParams(initMlpProbe(d, hidden, K, seed), d, hidden, K);
  const list = [params.w1, params.b1, params.w2, params.b2];
  const opt = new AdamW(list, { weightDecay: options.weightDecay ?? 0, variant: "transformers" });
  const rng = new SeededRandom(seed + 1);
  let step = 0;
  let lastLoss = NaN;
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      const order = rng.permutation(train.rows);
      const losses: Tensor[] = [];
      for (let start = 0; start < train.rows; start += batchSize) {
        const index = order.subarray(start, Math.min(start + batchSize, train.rows));
        losses.push(scope(() => {
          const x = tensor(rowsOf(train, index), [index.length, d]);
          const y = tensor(Int32Array.from(index, (i) => yTrain[i]), [index.length], "i32");
          const loss = crossEntropy(mlpProbeLogits(params, x), y);
          backward(loss);
          return keep(loss);
        }));
        opt.step(schedule(step));
        opt.zeroGrad();
        step++;
      }
      let sum = 0;
      for (const l of losses) {
        sum += await l.item();
        l.dispose();
      }
      lastLoss = sum / losses.length;
      options.onEpoch?.(epoch + 1, lastLoss);
    }
    const counts = new Int32Array(K);
    for (const v of yTrain) counts[v]++;
    let majority = 0;
    for (let c = 1; c < K; c++) if (counts[c] > counts[majority]) majority = c;
    return {
      trainSize: train.rows,
      evalSize: evalSet.rows,
      classes: K,
      steps: step,
      trainLoss: lastLoss,
      trainAccuracy: accuracy(await predict(params, train, 256), yTrain),
      evalAccuracy: accuracy(await predict(params, evalSet, 256), yEval),
      majorityAccuracy: accuracy(new Int32Array(yEval.length).fill(majority), yEval),
    };
  } finally {
    opt.dispose();
    for (const t of list) t.dispose();
  }
}
