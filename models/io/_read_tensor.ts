/**
 * Decoding shared by the readers that fetch a tensor's raw bytes themselves (safetensors, PyTorch zips): one place
 * turns bytes into typed data and into float32, with messages naming the source and the tensor.
 * @module
 */
import { decodeTensorBytes, type Float32Tensor, type StoredTensor, toFloat32Array } from "./dtype.ts";
import type { TensorInfo } from "./tensor_source.ts";

/** A source of raw tensor bytes with their dtype and shape. */
export interface RawTensorReader {
  /** dtype and shape of a tensor; throws if absent. */
  info(name: string): TensorInfo;
  /** The tensor's raw little-endian bytes in row-major order. */
  readBytes(name: string): Promise<Uint8Array>;
}

/** Reads and decodes tensor `name`; `where` names the source in messages (e.g. `safetensors file 'x'`). */
export async function readDecoded(source: RawTensorReader, name: string, where: string): Promise<StoredTensor> {
  const { dtype, shape } = source.info(name);
  const bytes = await source.readBytes(name);
  return { dtype, shape, data: decodeTensorBytes(dtype, bytes, `${where}, tensor '${name}'`) };
}

/** Reads tensor `name` converted to float32 (integers too); `where` as in {@link readDecoded}. */
export async function readDecodedFloat32(
  source: RawTensorReader,
  name: string,
  where: string,
): Promise<Float32Tensor> {
  const t = await readDecoded(source, name, where);
  return { shape: t.shape, data: toFloat32Array(t.data, `${where}, tensor '${name}'`) };
}
