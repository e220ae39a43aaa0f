/**
 * Tensors filled on the GPU: zeros, ones, full, and copies.
 * @module
 */
import { COPY_KERNEL, ewGrid, FILL_KERNEL } from "@hyperdecoders/kernels";
import { launch } from "../launch.ts";
import { type DType, empty, type Tensor } from "../tensor.ts";

const bitsView = new DataView(new ArrayBuffer(4));

function bitsOf(value: number, dtype: DType): number {
  if (dtype === "f32") bitsView.setFloat32(0, value, true);
  else if (dtype === "i32") bitsView.setInt32(0, value, true);
  else bitsView.setUint32(0, value, true);
  return bitsView.getUint32(0, true);
}

/** Sets every element of `target` to `value` in place. */
export function fill_(target: Tensor, value: number): Tensor {
  launch(FILL_KERNEL, [target], [target.size, bitsOf(value, target.dtype)], ewGrid(target.size));
  return target;
}

/** A new tensor with every element `value`. */
export function full(shape: readonly number[], value: number, dtype: DType = "f32"): Tensor {
  return fill_(empty(shape, dtype, "full"), value);
}

/** A new tensor of zeros. */
export function zeros(shape: readonly number[], dtype: DType = "f32"): Tensor {
  return full(shape, 0, dtype);
}

/** A new tensor of ones. */
export function ones(shape: readonly number[], dtype: DType = "f32"): Tensor {
  return full(shape, 1, dtype);
}

/** Zeros with the shape and dtype of `t`. */
export function zerosLike(t: Tensor): Tensor {
  return full(t.shape, 0, t.dtype);
}

/** Ones with the shape and dtype of `t`. */
export function onesLike(t: Tensor): Tensor {
  return full(t.shape, 1, t.dtype);
}

/** A copy with its own storage (no autograd). */
export function clone(t: Tensor): Tensor {
  const out = empty(t.shape, t.dtype, "clone");
  launch(COPY_KERNEL, [t, out], [t.size], ewGrid(t.size));
  return out;
}

/** Copies `src` into `dst` (same size) in place. */
export function copy_(dst: Tensor, src: Tensor): Tensor {
  if (dst.size !== src.size) throw new Error(`copy_: ${src.describe()} into ${dst.describe()}: sizes differ`);
  launch(COPY_KERNEL, [src, dst], [src.size], ewGrid(src.size));
  return dst;
}
