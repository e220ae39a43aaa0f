/**
 * Sums a tensor over its broadcast axes back to a smaller shape (the backward of broadcasting).
 * @module
 */
import { MAX_RANK } from "./elementwise.ts";
import { grid1d, type Kernel, LINEAR_ID_WGSL, LINEAR_MAIN_WGSL } from "./kernel.ts";

const WG = 64;

const params: [string, "u32"][] = [["m", "u32"], ["r", "u32"]];
for (let d = 0; d < MAX_RANK; d++) params.push([`od${d}`, "u32"]);
for (let d = 0; d < MAX_RANK; d++) params.push([`rd${d}`, "u32"]);
for (let d = 0; d < MAX_RANK; d++) params.push([`st${d}`, "u32"]);

function decompose(prefix: string, index: string): string {
  const lines = [`var rem_${prefix} = ${index};`];
  for (let d = MAX_RANK - 1; d >= 0; d--) {
    lines.push(
      `{ let c = rem_${prefix} % p.${prefix}${d}; rem_${prefix} = rem_${prefix} / p.${prefix}${d}; off += c * p.st${d}; }`,
    );
  }
  return lines.join("\n    ");
}

/**
 * `out[o] = Σ_j x[offset(o, j)]`: `m` outputs, `r` summed positions each. Per axis: `od` is the axis size where it is
 * kept (else 1), `rd` where it is summed (else 1), `st` the input's contiguous stride.
 */
export const SUM_TO_KERNEL: Kernel = {
  name: "sum_to",
  bindings: [{ name: "xs", access: "read" }, { name: "out", access: "read_write" }],
  params,
  workgroupSize: [WG, 1, 1],
  body: `${LINEAR_ID_WGSL}
${LINEAR_MAIN_WGSL}
  let o = linear_id(wid, nwg, lid.x, ${WG}u);
  if (o >= p.m) { return; }
  var off = 0u;
  {
    ${decompose("od", "o")}
  }
  let base = off;
  var acc = 0.0;
  for (var j = 0u; j < p.r; j++) {
    off = base;
    ${decompose("rd", "j")}
    acc += xs[off];
  }
  out[o] = acc;
}`,
};

/** Grid for {@link SUM_TO_KERNEL}. */
export function sumToGrid(m: number): [number, number, number] {
  return grid1d(m, WG);
}
