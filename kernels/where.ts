/**
 * `out = cond ? a : b` element-wise with NumPy broadcasting of all three operands (rank ≤ 6), over 32-bit words so
 * that `a`/`b` may be f32, i32 or u32. `cond` is true where nonzero (for f32 conditions: where not ±0).
 * @module
 */
import { EW_WG, MAX_RANK } from "./elementwise.ts";
import { grid1d, type Kernel, LINEAR_ID_WGSL, LINEAR_MAIN_WGSL } from "./kernel.ts";

const params: [string, "u32"][] = [["n", "u32"], ["condF32", "u32"]];
for (const prefix of ["d", "sc", "sa", "sb"]) {
  for (let d = 0; d < MAX_RANK; d++) params.push([`${prefix}${d}`, "u32"]);
}

const index: string[] = ["var rem = i;", "var ic = 0u;", "var ia = 0u;", "var ib = 0u;"];
for (let d = MAX_RANK - 1; d >= 0; d--) {
  index.push(
    `{ let c = rem % p.d${d}; rem = rem / p.d${d}; ic += c * p.sc${d}; ia += c * p.sa${d}; ib += c * p.sb${d}; }`,
  );
}

/**
 * Broadcasting select. Parameters: `n`, `condF32` (1: treat `cond` bits as f32, so −0 is false), the output dims
 * `d0..d5` (left-padded with 1) and element strides of `cond`, `a`, `b` (`sc*`, `sa*`, `sb*`; 0 on broadcast axes).
 */
export const WHERE_KERNEL: Kernel = {
  name: "where",
  bindings: [
    { name: "cs", access: "read", elem: "u32" },
    { name: "as_", access: "read", elem: "u32" },
    { name: "bs", access: "read", elem: "u32" },
    { name: "out", access: "read_write", elem: "u32" },
  ],
  params,
  workgroupSize: [EW_WG, 1, 1],
  body: `${LINEAR_ID_WGSL}
${LINEAR_MAIN_WGSL}
  let i = linear_id(wid, nwg, lid.x, ${EW_WG}u);
  if (i >= p.n) { return; }
  ${index.join("\n  ")}
  let c = cs[ic];
  let mask = select(0xffffffffu, 0x7fffffffu, p.condF32 == 1u);
  out[i] = select(bs[ib], as_[ia], (c & mask) != 0u);
}`,
};

/** Grid for {@link WHERE_KERNEL} over `n` output elements. */
export function whereGrid(n: number): [number, number, number] {
  return grid1d(n, EW_WG);
}
