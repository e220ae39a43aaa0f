/**
 * @module
 * @hyperdecoders/eval
 */

export {};
export * from "./metrics/mod.ts";
export * from "./evaluate.ts";
export * from "./tables.ts";
export type {
  CrossEntropyOptions,
  DecoderCache,
  FeedForwardHook,
  ForwardOptions,
  GenerateOptions,
  GradNode,
  LayerCache,
  PooledBuffer,
  PreparedForward,
  T5Config,
  T5Model,
  T5Output,
  Tensor,
  TensorDType,
} from "@hyperdecoders/models";
export type { ShardRef, SplitPolicy, TargetKind, TaskSource, TaskSpec } from "@hyperdecoders/data";
