/**
 * One optimiser step, the same for the trainer and `scripts/bench_t5.ts`: a teacher-forced forward and backward over
 * each micro-batch (its loss scaled by 1/n when n are accumulated), the global gradient-norm clip factor, each
 * optimiser's AdamW update with that factor fused in, and zeroGrad. It only encodes GPU work; nothing is read back.
 * @module
 */
import {
  type AdamW,
  backward,
  clipGradFactor,
  type CrossEntropyOptions,
  keep,
  scale,
  scope,
  type Tensor,
} from "@hyperdecoders/core";
import type { AdaptedT5 } from "@hyperdecoders/models";

/** A micro-batch on the GPU. */
export interface StepBatch {
  /** Source ids [B, S] (i32). */
  inputIds: Tensor;
  /** Source mask [B, S]. */
  attentionMask: Tensor;
  /** Target ids [B·T]. */
  labels: Int32Array;
  /** [B, T]. */
  labelShape: [number, number];
  /** Task of each example, for the methods that condition on it. */
  tasks?: readonly string[];
}

/** Settings of {@link trainStep}. */
export interface StepConfig {
  /** Dropout on. */
  dropout: boolean;
  /** Dropout seed of the first micro-batch; micro-batch i uses `(seed + i) >>> 0`. */
  seed: number;
  /** Clip the global gradient norm to this; 0: no clipping. */
  clipNorm: number;
  /** Learning rate of each optimiser for this step (default: each optimiser's own). */
  lr?: readonly number[];
  /** Loss options passed to the model's forward (default: the model's). */
  loss?: CrossEntropyOptions;
}

/**
 * Runs one optimiser step over `batch` (one micro-batch, or several whose gradients are accumulated) and returns each
 * micro-batch's loss, unscaled and kept: the caller reads and disposes them. Each micro-batch's activations are freed
 * once its backward pass is encoded.
 */
export function trainStep(
  model: AdaptedT5,
  batch: StepBatch | readonly StepBatch[],
  optimisers: readonly AdamW[],
  config: StepConfig,
): Tensor[] {
  const batches: readonly StepBatch[] = Array.isArray(batch) ? batch : [batch as StepBatch];
  const losses = batches.map((b, i) =>
    keep(scope(() => {
      const { loss } = model.forward(
        { inputIds: b.inputIds, attentionMask: b.attentionMask, labels: b.labels, labelShape: b.labelShape },
        { training: config.dropout, seed: (config.seed + i) >>> 0, tasks: b.tasks },
        config.loss,
      );
      backward(batches.length > 1 ? scale(loss, 1 / batches.length) : loss);
      return loss;
    }))
  );
  scope(() => {
    const params = optimisers.flatMap((o) => o.params);
    const gradScale = config.clipNorm > 0 ? clipGradFactor(params, config.clipNorm).factor : undefined;
    optimisers.forEach((o, i) => o.step(config.lr?.[i], { gradScale }));
    for (const o of optimisers) o.zeroGrad();
  });
  return losses;
}
