/**
 * Training for hyperdecoders: the experiment config (schema, defaults, validation, command-line overrides), the
 * base model a config names, the training step and loop on the WebGPU engine, atomic checkpoints with exact resume, and progress reporting.
 *
 * @example
 * ```ts
 * import { resolveConfig, train } from "@hyperdecoders/train";
 * const config = resolveConfig(JSON.parse(await Deno.readTextFile("configs/demo.json")), "configs/demo.json");
 * const result = await train(config);
 * console.log(result.results.validation?.average);
 * ```
 * @module
 */
export * from "./config.ts";
export * from "./checkpoint.ts";
export * from "./progress.ts";
export * from "./base_model.ts";
export * from "./step.ts";
export * from "./trainer.ts";
export * from "./eval_sources.ts";
export * from "./hub_config.ts";
export * from "./tune_store.ts";
// Types the public API above references, re-exported so that its documentation is complete (`deno doc --lint`).
export type {
  Access,
  AcquiredDevice,
  AdamW,
  AdamWOptions,
  AdamWState,
  AdamWStepOptions,
  AdapterIdentity,
  Binding,
  BufferPool,
  CrossEntropyOptions,
  DType as TensorDType,
  Engine,
  GradNode,
  Kernel,
  KernelTime,
  ParamType,
  PooledBuffer,
  Recorder,
  RecorderStats,
  Tensor,
  TuneBench,
  TuneCache,
  TuneCandidate,
  TuneEntry,
  TuneMode,
  TuneProblem,
  Tuner,
  TuneStore,
} from "@hyperdecoders/core";
export type {
  AdaptedForwardOptions,
  AdaptedT5,
  AdapterMode,
  AdapterWeights,
  ComponentCount,
  DecoderCache,
  EncoderDecoder,
  FeedForwardHook,
  ForwardOptions,
  GenerateOptions,
  LayerCache,
  MethodConfig,
  NoneTrains,
  ParameterCounts,
  ParameterGroup,
  ParameterGroupName,
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
} from "@hyperdecoders/models";
export type {
  BatchEncodeOptions,
  BatchEncoding,
  DecodeOptions,
  EncodedPieces,
  EncodeOptions,
  ShardRef,
  TaskSource,
  TextTokenizer,
  Tokenizer,
} from "@hyperdecoders/data";
export type { ChunkRecord, EvaluationResult, Prediction } from "@hyperdecoders/eval";
