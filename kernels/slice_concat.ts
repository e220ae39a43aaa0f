/**
 * Block copy along one axis, for slice, concat and their backwards: with both tensors viewed as
 * `[outer, axis, inner]`, `dst[o, dstOff + j, k] = src[o, srcOff + j, k]` for `j < count`.
 * @module
 */
import { EW_WG } from "./elementwise.ts";
import { grid1d, type Kernel, LINEAR_ID_WGSL, LINEAR_MAIN_WGSL } from "./kernel.ts";

/**
 * Copies `outer × count × inner` 32-bit words. Parameters: `n = outer·count·inner`, `count`, `inner`, the axis
 * sizes of source and destination (`srcAxis`, `dstAxis`) and the start offsets along the axis (`srcOff`, `dstOff`).
 */
export const AXIS_COPY_KERNEL: Kernel = {
  name: "axis_copy",
  bindings: [{ name: "src", access: "read", elem: "u32" }, { name: "dst", access: "read_write", elem: "u32" }],
  params: [["n", "u32"], ["count", "u32"], ["inner", "u32"], ["srcAxis", "u32"], ["dstAxis", "u32"], [
    "srcOff",
    "u32",
  ], ["dstOff", "u32"]],
  workgroupSize: [EW_WG, 1, 1],
  body: `${LINEAR_ID_WGSL}
${LINEAR_MAIN_WGSL}
  let i = linear_id(wid, nwg, lid.x, ${EW_WG}u);
  if (i >= p.n) { return; }
  let k = i % p.inner;
  let r = i / p.inner;
  let j = r % p.count;
  let o = r / p.count;
  dst[(o * p.dstAxis + p.dstOff + j) * p.inner + k] = src[(o * p.srcAxis + p.srcOff + j) * p.inner + k];
}`,
};

/** Grid for {@link AXIS_COPY_KERNEL} over `n` copied elements. */
export function axisCopyGrid(n: number): [number, number, number] {
  return grid1d(n, EW_WG);
}

/**
 * {@link AXIS_COPY_KERNEL} adding instead of copying (f32): `dst[o, dstOff + j, k] += src[o, srcOff + j, k]`; the
 * in-place accumulation of a slice's gradient into the gradient of the sliced tensor.
 */
export const AXIS_ADD_KERNEL: Kernel = {
  name: "axis_add",
  bindings: [{ name: "src", access: "read" }, { name: "dst", access: "read_write" }],
  params: AXIS_COPY_KERNEL.params,
  workgroupSize: [EW_WG, 1, 1],
  body: `${LINEAR_ID_WGSL}
${LINEAR_MAIN_WGSL}
  let i = linear_id(wid, nwg, lid.x, ${EW_WG}u);
  if (i >= p.n) { return; }
  let k = i % p.inner;
  let r = i / p.inner;
  let j = r % p.count;
  let o = r / p.count;
  let d = (o * p.dstAxis + p.dstOff + j) * p.inner + k;
  dst[d] = dst[d] + src[(o * p.srcAxis + p.srcOff + j) * p.inner + k];
}`,
};
