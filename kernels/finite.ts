/**
 * Counts NaN and ±Inf values by bit pattern. WGSL lets implementations assume floats are finite, so `x != x` is not
 * a reliable NaN test (it returns false on Mesa lavapipe); `(bits & 0x7fffffff) >= 0x7f800000` is.
 * @module
 */
import { type Kernel, LINEAR_MAIN_WGSL } from "./kernel.ts";

/** Threads per workgroup of {@link NON_FINITE_COUNT_KERNEL}. */
export const FINITE_WG = 256;

/** Most workgroups one dispatch of {@link NON_FINITE_COUNT_KERNEL} uses; threads stride over the tensor. */
export const MAX_FINITE_GROUPS = 1024;

/**
 * Adds the number of NaN/Inf among `xs[0..n)` (read as raw 32-bit words) to `count[0]`, one atomic add per
 * workgroup. Parameter `n`; dispatch {@link nonFiniteGrid}.
 */
export const NON_FINITE_COUNT_KERNEL: Kernel = {
  name: "non_finite_count",
  bindings: [{ name: "xs", access: "read", elem: "u32" }, { name: "count", access: "read_write", elem: "atomic<u32>" }],
  params: [["n", "u32"]],
  workgroupSize: [FINITE_WG, 1, 1],
  body: `
var<workgroup> sh: array<u32, ${FINITE_WG}>;
${LINEAR_MAIN_WGSL}
  var c = 0u;
  let stride = nwg.x * ${FINITE_WG}u;
  for (var i = wid.x * ${FINITE_WG}u + lid.x; i < p.n; i = i + stride) {
    if ((xs[i] & 0x7fffffffu) >= 0x7f800000u) { c = c + 1u; }
  }
  sh[lid.x] = c;
  workgroupBarrier();
  for (var s = ${FINITE_WG / 2}u; s > 0u; s = s >> 1u) {
    if (lid.x < s) { sh[lid.x] = sh[lid.x] + sh[lid.x + s]; }
    workgroupBarrier();
  }
  if (lid.x == 0u && sh[0] > 0u) { atomicAdd(&count[0], sh[0]); }
}`,
};

/** Grid for {@link NON_FINITE_COUNT_KERNEL} over `n` elements. */
export function nonFiniteGrid(n: number): [number, number, number] {
  return [Math.max(1, Math.min(MAX_FINITE_GROUPS, Math.ceil(n / FINITE_WG))), 1, 1];
}
