/**
 * Evaluation for hyperdecoders: metrics matching scikit-learn, SciPy, the SQuAD script and `rouge_score` (web-standard);
 * decoding evaluation of a model over prepared task data with each task's decoding settings; result tables; and the
 * analysis of the hypernetwork's instance embeddings (PCA, t-SNE, SVG scatter plots).
 *
 * @example
 * ```ts
 * import { averageScore, scoreTask } from "@hyperdecoders/eval";
 *
 * const rte = scoreTask("rte", ["0", "1", "1"], ["0", "0", "1"]); // { acc: 66.67 }
 * const stsb = scoreTask("stsb", ["3.8", "1.0", "2.4"], ["4.0", "1.2", "2.0"]);
 * console.log(averageScore({ rte, stsb }));
 * ```
 * @module
 */

export {};
export * from "./metrics/mod.ts";
export * from "./evaluate.ts";
export { batchTensors } from "./_batches.ts";
export * from "./tables.ts";
export type {
  AdaptedForwardOptions,
  AdaptedT5,
  AdapterMode,
  AdapterWeights,
  ComponentCount,
  CrossEntropyOptions,
  DecoderCache,
  EncoderDecoder,
  FeedForwardHook,
  ForwardOptions,
  GenerateOptions,
  GradNode,
  LayerCache,
  MethodConfig,
  NoneTrains,
  ParameterCounts,
  ParameterGroup,
  ParameterGroupName,
  PooledBuffer,
  PreparedForward,
  ProjectionHook,
  ProjectionName,
  ProjectionSite,
  SkillPlacement,
  SkillsConfig,
  T5Config,
  T5Model,
  T5Output,
  T5Stack,
  TeacherForcedInputs,
  Tensor,
  TensorDType,
} from "@hyperdecoders/models";
export type { Batch, ShardRef, SplitPolicy, TargetKind, TaskSource, TaskSpec } from "@hyperdecoders/data";
export * from "./analysis/mod.ts";
export * from "./paper_table.ts";
export * from "./paper_table_svg.ts";
export * from "./best_per_task.ts";
