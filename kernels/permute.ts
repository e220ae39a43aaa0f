/**
 * General strided copy: the output element at linear index `i` (row-major over the output dims) reads the input at
 * `Σ_d coord_d · stride_d`. Serves permute/transpose for any 4-byte dtype.
 * @module
 */
import { EW_WG, MAX_RANK } from "./elementwise.ts";
import { grid1d, type Kernel, LINEAR_ID_WGSL, LINEAR_MAIN_WGSL } from "./kernel.ts";

const params: [string, "u32"][] = [["n", "u32"]];
for (let d = 0; d < MAX_RANK; d++) params.push([`d${d}`, "u32"]);
for (let d = 0; d < MAX_RANK; d++) params.push([`s${d}`, "u32"]);

const index: string[] = ["var rem = i;", "var src = 0u;"];
for (let d = MAX_RANK - 1; d >= 0; d--) {
  index.push(`{ let c = rem % p.d${d}; rem = rem / p.d${d}; src += c * p.s${d}; }`);
}

/**
 * `ys[i] = xs[src(i)]` over 32-bit words. Parameters: `n`, the output dims `d0..d5` (left-padded with 1) and, per
 * output axis, the element stride of the input along it `s0..s5`.
 */
export const STRIDED_COPY_KERNEL: Kernel = {
  name: "strided_copy",
  bindings: [{ name: "xs", access: "read", elem: "u32" }, { name: "ys", access: "read_write", elem: "u32" }],
  params,
  workgroupSize: [EW_WG, 1, 1],
  body: `${LINEAR_ID_WGSL}
${LINEAR_MAIN_WGSL}
  let i = linear_id(wid, nwg, lid.x, ${EW_WG}u);
  if (i >= p.n) { return; }
  ${index.join("\n  ")}
  ys[i] = xs[src];
}`,
};

/** Grid for {@link STRIDED_COPY_KERNEL} over `n` output elements. */
export function stridedCopyGrid(n: number): [number, number, number] {
  return grid1d(n, EW_WG);
}
