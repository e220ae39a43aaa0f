/**
 * How evaluation reads a split, shared by {@link evaluate} and the embedding analysis so that both see the same
 * examples (the same seeded subset when capped) in the same batches.
 * @module
 */
import { type Tensor, tensor } from "@hyperdecoders/core";
import { type Batch, sequentialBatches, type TaskSource } from "@hyperdecoders/data";
import type { EvalTokenizer } from "./evaluate.ts";

/** Options of {@link evaluationBatches}. */
export interface EvaluationBatchOptions {
  /** Examples per batch (default 32). */
  batchSize?: number;
  /** At most this many examples per task, a subset fixed by seed 42 (null or absent: all). */
  maxExamples?: number | null;
  /** Source tokens kept (default 512). */
  maxSourceLength?: number;
}

/** The batches of `sources` in order, task by task, padded to the longest source of each batch. */
export function evaluationBatches(
  sources: TaskSource[],
  tokenizer: EvalTokenizer,
  options: EvaluationBatchOptions,
): AsyncGenerator<Batch> {
  return sequentialBatches(sources, tokenizer, {
    batchSize: options.batchSize ?? 32,
    limit: options.maxExamples ?? undefined,
    limitSeed: options.maxExamples ? 42 : undefined,
    maxSourceLength: options.maxSourceLength ?? 512,
    maxTargetLength: 512,
  });
}

/** A batch's source ids (`i32`) and attention mask (`f32`) as `[batch, sourceLength]` tensors; the caller disposes them. */
export function batchTensors(batch: Batch): { inputIds: Tensor; mask: Tensor } {
  const inputIds = tensor(batch.inputIds, [batch.batchSize, batch.sourceLength], "i32");
  const mask = tensor(Float32Array.from(batch.attentionMask), [batch.batchSize, batch.sourceLength]);
  return { inputIds, mask };
}
