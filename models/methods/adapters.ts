/**
 * Bottleneck adapters `A(x) = ReLU(x·W_d + b_d)·W_u + b_u` on the pre-LayerNorm input x, as the paper places them
 * (the reference code's `adapter_layer.py`): learned ones shared by every input, and
 * per-example ones (generated or per-task) applied by batched matmul over `[B, T, d]`.
 * @module
 */
import {
  biasActivation,
  concat,
  embedding,
  gatherRows,
  linear,
  matmul,
  mean,
  type Tensor,
  tensor,
} from "@hyperdecoders/core";

/** One layer's adapter weights for each example of a batch. */
export interface AdapterWeights {
  /** W_d per example, [B, d, a]. */
  down: Tensor;
  /** b_d per example, [B, 1, a]. */
  downBias: Tensor;
  /** W_u per example, [B, a, d]. */
  up: Tensor;
  /** b_u per example, [B, 1, d]. */
  upBias: Tensor;
}

/** A learned adapter's parameters in PyTorch `nn.Linear` layout. */
export interface ManualAdapterParams {
  /** `adapter_down_manual.weight`, [a, d]. */
  downWeight: Tensor;
  /** `adapter_down_manual.bias`, [a]. */
  downBias: Tensor;
  /** `adapter_up_manual.weight`, [d, a]. */
  upWeight: Tensor;
  /** `adapter_up_manual.bias`, [d]. */
  upBias: Tensor;
}

/** A learned adapter shared by every example: `x` [..., d] → [..., d]. */
export function manualAdapter(x: Tensor, p: ManualAdapterParams): Tensor {
  const hidden = biasActivation(linear(x, p.downWeight), p.downBias, { activation: "relu" });
  return biasActivation(linear(hidden, p.upWeight), p.upBias, { activation: "none" });
}

/**
 * Per-example adapters: `x` [B, T, d] with weights for each of the B examples →
 * `ReLU(x[b]·W_d[b] + b_d[b])·W_u[b] + b_u[b]`, [B, T, d].
 */
export function batchedAdapter(x: Tensor, w: AdapterWeights): Tensor {
  if (x.rank !== 3 || w.down.rank !== 3 || x.shape[0] !== w.down.shape[0] || x.shape[2] !== w.down.shape[1]) {
    throw new Error(
      `batchedAdapter: input ${x.describe()} does not match per-example weights ${w.down.describe()} ([B, T, d] with [B, d, a])`,
    );
  }
  const hidden = biasActivation(matmul(x, w.down), w.downBias, { activation: "relu" });
  return biasActivation(matmul(hidden, w.up), w.upBias, { activation: "none" });
}

/** Per-task adapter parameters of one layer (`TaskSpecificAdapterLayer`). */
export interface TaskAdapterParams {
  /** [n_tasks, d, a]. */
  downWeight: Tensor;
  /** [n_tasks, 1, a]. */
  downBias: Tensor;
  /** [n_tasks, a, d]. */
  upWeight: Tensor;
  /** [n_tasks, 1, d]. */
  upBias: Tensor;
}

/** Selects each example's task adapter: `ids` [B] i32 task ids. */
export function selectTaskAdapters(p: TaskAdapterParams, ids: Tensor): AdapterWeights {
  return {
    down: gatherRows(p.downWeight, ids),
    downBias: gatherRows(p.downBias, ids),
    up: gatherRows(p.upWeight, ids),
    upBias: gatherRows(p.upBias, ids),
  };
}

/**
 * Task ids for `rows` rows: each of the `ids.length` examples repeated `rows / ids.length` times in a row (beam search
 * expands example b to rows b·k … b·k + k − 1), uploaded as an i32 tensor.
 */
export function taskIdTensor(ids: Int32Array, rows: number, what: string): Tensor {
  if (ids.length === 0 || rows % ids.length !== 0) {
    throw new Error(`${what}: ${ids.length} task ids for a batch of ${rows} rows; give one task per example`);
  }
  const k = rows / ids.length;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) out[r] = ids[Math.floor(r / k)];
  return tensor(out, [rows], "i32");
}

/**
 * Each row's task embedding from `table` [n, d]: `ids` as {@link taskIdTensor} takes them (k ids for `rows` rows). An
 * id of -1 (a task with no trained embedding, `UNSEEN_TASK`) gets the mean of the n trained task embeddings, the
 * paper's rule for MRQA's out-of-domain subsets (Table 5 footnote). Returns [rows, d].
 */
export function taskEmbeddings(table: Tensor, ids: Int32Array, rows: number, what: string): Tensor {
  if (!ids.some((i) => i < 0)) return embedding(table, taskIdTensor(ids, rows, what));
  const n = table.shape[0];
  const withMean = concat([table, mean(table, { axis: 0, keepDims: true })], 0);
  return embedding(withMean, taskIdTensor(ids.map((i) => (i < 0 ? n : i)), rows, what));
}
