/**
 * Float64 references of slice and concat along one axis.
 * @module
 */
import type { RefTensor } from "./ref_tensor.ts";

function split(shape: number[], axis: number): [number, number, number] {
  const outer = shape.slice(0, axis).reduce((p, d) => p * d, 1);
  const inner = shape.slice(axis + 1).reduce((p, d) => p * d, 1);
  return [outer, shape[axis], inner];
}

/** Entries `start ≤ k < end` of `axis`. */
export function refSlice(x: RefTensor, axis: number, start: number, end: number): RefTensor {
  const [outer, size, inner] = split(x.shape, axis);
  const count = end - start;
  const shape = [...x.shape];
  shape[axis] = count;
  const out = new Float64Array(outer * count * inner);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < count; j++) {
      for (let k = 0; k < inner; k++) out[(o * count + j) * inner + k] = x.data[(o * size + start + j) * inner + k];
    }
  }
  return { shape, data: out };
}

/** Gradient of {@link refSlice}: `g` placed into zeros of `shape`. */
export function refSliceGrad(shape: number[], axis: number, start: number, g: RefTensor): RefTensor {
  const [outer, size, inner] = split(shape, axis);
  const count = g.shape[axis];
  const out = new Float64Array(outer * size * inner);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < count; j++) {
      for (let k = 0; k < inner; k++) out[(o * size + start + j) * inner + k] = g.data[(o * count + j) * inner + k];
    }
  }
  return { shape: [...shape], data: out };
}

/** Joins tensors along `axis`. */
export function refConcat(xs: RefTensor[], axis: number): RefTensor {
  const shape = [...xs[0].shape];
  shape[axis] = xs.reduce((s, t) => s + t.shape[axis], 0);
  const [outer, total, inner] = split(shape, axis);
  const out = new Float64Array(outer * total * inner);
  let off = 0;
  for (const t of xs) {
    const count = t.shape[axis];
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < count; j++) {
        for (let k = 0; k < inner; k++) out[(o * total + off + j) * inner + k] = t.data[(o * count + j) * inner + k];
      }
    }
    off += count;
  }
  return { shape, data: out };
}
