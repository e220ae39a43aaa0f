/**
 * Float64 references of the axis reductions (sum, mean, max) and their gradients.
 * @module
 */
import type { RefTensor } from "./ref_tensor.ts";

/** A reduction axis resolved against a shape: `[outer, len, inner]` and the output shape. */
export interface RefAxis {
  /** Product of the dimensions before the axis (all of them for a full reduction: outer = 1). */
  outer: number;
  /** Length of the reduced axis (the element count for a full reduction). */
  len: number;
  /** Product of the dimensions after the axis. */
  inner: number;
  /** Shape of the result. */
  shape: number[];
}

/** Resolves `axis` (undefined: every element) as the GPU ops do. */
export function refAxis(shape: number[], axis: number | undefined, keepDims: boolean): RefAxis {
  const size = shape.reduce((a, b) => a * b, 1);
  if (axis === undefined) {
    return { outer: 1, len: size, inner: 1, shape: keepDims ? shape.map(() => 1) : [] };
  }
  const a = axis < 0 ? axis + shape.length : axis;
  const outer = shape.slice(0, a).reduce((x, y) => x * y, 1);
  const inner = shape.slice(a + 1).reduce((x, y) => x * y, 1);
  const out = keepDims ? shape.map((d, i) => (i === a ? 1 : d)) : shape.filter((_, i) => i !== a);
  return { outer, len: shape[a], inner, shape: out };
}

/** Sum (`scale` 1) or mean (`scale` 1/len) over an axis. */
export function refSum(x: RefTensor, axis: number | undefined, keepDims = false, mean = false): RefTensor {
  const { outer, len, inner, shape } = refAxis(x.shape, axis, keepDims);
  const out = new Float64Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let r = 0; r < len; r++) {
      for (let c = 0; c < inner; c++) out[o * inner + c] += x.data[(o * len + r) * inner + c];
    }
  }
  if (mean) { for (let i = 0; i < out.length; i++) out[i] /= len; }
  return { shape, data: out };
}

/** Gradient of {@link refSum}: the output gradient broadcast back over the axis (divided by len for a mean). */
export function refSumGrad(x: RefTensor, g: RefTensor, axis: number | undefined, mean = false): RefTensor {
  const { outer, len, inner } = refAxis(x.shape, axis, false);
  const dx = new Float64Array(x.data.length);
  const s = mean ? 1 / len : 1;
  for (let o = 0; o < outer; o++) {
    for (let r = 0; r < len; r++) {
      for (let c = 0; c < inner; c++) dx[(o * len + r) * inner + c] = g.data[o * inner + c] * s;
    }
  }
  return { shape: [...x.shape], data: dx };
}

/** Max over an axis and the index of the first maximum (NaN counts as the maximum). */
export function refMax(
  x: RefTensor,
  axis: number | undefined,
  keepDims = false,
): { value: RefTensor; index: Int32Array } {
  const { outer, len, inner, shape } = refAxis(x.shape, axis, keepDims);
  const out = new Float64Array(outer * inner);
  const index = new Int32Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < inner; c++) {
      let best = -Infinity;
      let bi = -1;
      for (let r = 0; r < len; r++) {
        const v = x.data[(o * len + r) * inner + c];
        if (Number.isNaN(best)) break;
        if (bi < 0 || v > best || Number.isNaN(v)) {
          best = v;
          bi = r;
        }
      }
      out[o * inner + c] = best;
      index[o * inner + c] = bi;
    }
  }
  return { value: { shape, data: out }, index };
}

/** Gradient of {@link refMax}: the output gradient at the first arg-max, zero elsewhere. */
export function refMaxGrad(x: RefTensor, g: RefTensor, axis: number | undefined): RefTensor {
  const { outer, len, inner } = refAxis(x.shape, axis, false);
  const { index } = refMax(x, axis);
  const dx = new Float64Array(x.data.length);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < inner; c++) dx[(o * len + index[o * inner + c]) * inner + c] = g.data[o * inner + c];
  }
  return { shape: [...x.shape], data: dx };
}
