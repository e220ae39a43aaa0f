/**
 * The common interface of checkpoint readers (safetensors, sharded safetensors, PyTorch zip pickles).
 * @module
 */
import type { DType, Float32Tensor, StoredTensor } from "./dtype.ts";

/** Element type and shape of one stored tensor, known without reading its data. */
export interface TensorInfo {
  /** Element type as stored. */
  dtype: DType;
  /** Dimensions, outermost first. */
  shape: number[];
}

/**
 * A set of named tensors whose data is read on demand, one tensor at a time, so a model never needs the whole
 * checkpoint in memory twice.
 */
export interface TensorSource {
  /** Where the tensors come from (a file path or label), for messages. */
  readonly label: string;
  /** Tensor names, in storage order where the format has one. */
  names(): string[];
  /** Whether a tensor of that name exists. */
  has(name: string): boolean;
  /** dtype and shape of a tensor; throws naming the source if absent. */
  info(name: string): TensorInfo;
  /** Reads and decodes one tensor (F32/F16/BF16 → `Float32Array`, I64 → `BigInt64Array`, ...). */
  read(name: string): Promise<StoredTensor>;
  /** Reads one tensor converted to float32 (integers are converted too). */
  readFloat32(name: string): Promise<Float32Tensor>;
  /** Releases file handles; further reads reject. */
  close(): void;
}

/** The error a source throws for an unknown tensor name, listing a few names that do exist. */
export function missingTensorError(label: string, name: string, names: readonly string[]): Error {
  const sample = names.slice(0, 5).map((n) => `'${n}'`).join(", ");
  return new Error(
    `${label}: no tensor named '${name}' (it holds ${names.length} tensors, e.g. ${sample}${
      names.length > 5 ? ", ..." : ""
    })`,
  );
}
