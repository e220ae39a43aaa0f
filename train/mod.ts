/**
 * Training of T5 methods (the hyperdecoder and its baselines) on WebGPU: the config schema, the trainer loop with
 * evaluation, atomic checkpoints and progress. The `train` CLI (`deno task train`) is built on it. Deno-only (it reads
 * and writes files).
 *
 * @example
 * ```ts
 * import { resolveConfig, train } from "@hyperdecoders/train";
 * const config = resolveConfig(JSON.parse(await Deno.readTextFile("configs/demo.json")), "configs/demo.json");
 * const { results } = await train(config);
 * ```
 * @module
 */
export * from "./config.ts";
export * from "./trainer.ts";
export * from "./checkpoint.ts";
export * from "./progress.ts";
// Types the public API above references, re-exported so that its documentation is complete.
export type { CrossEntropyOptions, DType as TensorDType, GradNode, PooledBuffer, Tensor } from "@hyperdecoders/core";
export type {
  AdaptedForwardOptions,
  AdaptedT5,
  AdapterMode,
  AdapterWeights,
  ComponentCount,
  DecoderCache,
  FeedForwardHook,
  ForwardOptions,
  GenerateOptions,
  LayerCache,
  MethodConfig,
  ParameterCounts,
  ParameterGroup,
  ParameterGroupName,
  PreparedForward,
  SkillPlacement,
  SkillsConfig,
  T5Config,
  T5Model,
  T5Output,
  T5Stack,
} from "@hyperdecoders/models";
export type {
  BatchEncodeOptions,
  BatchEncoding,
  DecodeOptions,
  EncodedPieces,
  EncodeOptions,
  TextTokenizer,
  Tokenizer,
} from "@hyperdecoders/data";
export type { ChunkRecord, EvaluationResult, Prediction } from "@hyperdecoders/eval";
