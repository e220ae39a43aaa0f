/**
 * @module
 * @hyperdecoders/models
 */

export * from "./io/dtype.ts";
export * from "./io/byte_reader.ts";
export * from "./io/tensor_source.ts";
export * from "./io/safetensors.ts";
export * from "./io/safetensors_writer.ts";
export * from "./io/sharded.ts";
export * from "./io/zip_reader.ts";
export * from "./io/unpickler.ts";
export * from "./io/torch_checkpoint.ts";
export * from "./io/file_reader.ts";
export * from "./io/open_checkpoint.ts";
export * from "./t5/config.ts";
export * from "./t5/model.ts";
export * from "./t5/init.ts";
export * from "./t5/load.ts";
export * from "./t5/load_dir.ts";
export * from "./t5/generate.ts";
export * from "./t5/parity.ts";
export * from "./methods/config.ts";
export * from "./methods/parameters.ts";
export * from "./methods/adapters.ts";
export * from "./methods/hypernetwork.ts";
export * from "./methods/skills.ts";
export * from "./methods/model.ts";
export * from "./methods/checkpoint.ts";
export * from "./methods/report.ts";
export type { CrossEntropyOptions, DType as TensorDType, GradNode, PooledBuffer, Tensor } from "@hyperdecoders/core";
