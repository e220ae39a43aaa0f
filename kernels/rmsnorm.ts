/**
 * T5LayerNorm (RMSNorm without mean subtraction or bias): `y = w · x / sqrt(mean(x²) + eps)` over the last axis.
 * Fused forward and input-gradient kernels (one 256-thread workgroup per row) and a column reduction for the weight
 * gradient that writes per-segment partial sums (combined by the sum kernel of reduce.ts when there are several).
 * @module
 */
import { type Kernel, LINEAR_MAIN_WGSL } from "./kernel.ts";
import { ROW_WG, WG_REDUCE_WGSL } from "./reduce.ts";

const HEAD = `${WG_REDUCE_WGSL}
${LINEAR_MAIN_WGSL}
  let row = group_index(wid, nwg);
  if (row >= p.rows) { return; }
  let t = lid.x;
  let base = row * p.cols;`;

/**
 * Forward: `ys = w · x · r` with `r = 1 / sqrt(Σx²/cols + eps)`, also saved per row in `rstd` for the backward.
 * Launch one workgroup per row with `rowGrid(rows)`.
 */
export const RMSNORM_KERNEL: Kernel = {
  name: "rmsnorm",
  bindings: [
    { name: "xs", access: "read" },
    { name: "w", access: "read" },
    { name: "ys", access: "read_write" },
    { name: "rstd", access: "read_write" },
  ],
  params: [["rows", "u32"], ["cols", "u32"], ["eps", "f32"]],
  workgroupSize: [ROW_WG, 1, 1],
  body: `${HEAD}
  var s = 0.0;
  for (var j = t; j < p.cols; j = j + ${ROW_WG}u) { let x = xs[base + j]; s = s + x * x; }
  s = wg_sum(s, t);
  let r = inverseSqrt(s / f32(p.cols) + p.eps);
  for (var j = t; j < p.cols; j = j + ${ROW_WG}u) { ys[base + j] = w[j] * (xs[base + j] * r); }
  if (t == 0u) { rstd[row] = r; }
}`,
};

function gradXKernel(accumulate: boolean): Kernel {
  const put = accumulate ? "dx[base + j] = dx[base + j] + v;" : "dx[base + j] = v;";
  return {
    name: `rmsnorm_grad_x${accumulate ? "_acc" : ""}`,
    bindings: [
      { name: "xs", access: "read" },
      { name: "w", access: "read" },
      { name: "rstd", access: "read" },
      { name: "gs", access: "read" },
      { name: "dx", access: "read_write" },
    ],
    params: [["rows", "u32"], ["cols", "u32"]],
    workgroupSize: [ROW_WG, 1, 1],
    body: `${HEAD}
  var d = 0.0;
  for (var j = t; j < p.cols; j = j + ${ROW_WG}u) { d = d + gs[base + j] * w[j] * xs[base + j]; }
  d = wg_sum(d, t);
  let r = rstd[row];
  let k = r * r * r * d / f32(p.cols);
  for (var j = t; j < p.cols; j = j + ${ROW_WG}u) {
    let v = r * gs[base + j] * w[j] - xs[base + j] * k;
    ${put}
  }
}`,
  };
}

/**
 * Input gradient: `dx = r · g·w − x · r³ · (Σ g·w·x) / cols`. Launch one workgroup per row with `rowGrid(rows)`.
 */
export const RMSNORM_GRAD_X_KERNEL: Kernel = gradXKernel(false);

/** {@link RMSNORM_GRAD_X_KERNEL} adding into `dx` (`dx = dx + …`): the in-place sum with x's other gradients. */
export const RMSNORM_GRAD_X_ACC_KERNEL: Kernel = gradXKernel(true);

/** Columns per workgroup of {@link RMSNORM_GRAD_W_KERNEL}. */
export const RMSNORM_GRAD_W_TILE = 32;

/**
 * Weight gradient partials: `partial[k, c] = Σ_{rows r in segment k} g[r, c] · x[r, c] · rstd[r]`. A workgroup of
 * 32 columns × 8 row lanes; launch `nseg · ⌈cols/32⌉` workgroups with `rowGrid`. With `nseg = 1` the partial is the
 * gradient.
 */
export const RMSNORM_GRAD_W_KERNEL: Kernel = {
  name: "rmsnorm_grad_w",
  bindings: [
    { name: "xs", access: "read" },
    { name: "rstd", access: "read" },
    { name: "gs", access: "read" },
    { name: "partial", access: "read_write" },
  ],
  params: [["rows", "u32"], ["cols", "u32"], ["seg", "u32"], ["nseg", "u32"], ["tiles", "u32"]],
  workgroupSize: [ROW_WG, 1, 1],
  body: `
var<workgroup> sv: array<f32, ${ROW_WG}>;
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid3: vec3<u32>) {
  let g = wid.y * nwg.x + wid.x;
  if (g >= p.nseg * p.tiles) { return; }
  let t = lid3.x;
  let lid = vec2<u32>(t % ${RMSNORM_GRAD_W_TILE}u, t / ${RMSNORM_GRAD_W_TILE}u);
  let tile = g % p.tiles;
  let k = g / p.tiles;
  let c = tile * ${RMSNORM_GRAD_W_TILE}u + lid.x;
  let r0 = k * p.seg;
  let r1 = min(r0 + p.seg, p.rows);
  var acc = 0.0;
  if (c < p.cols) {
    for (var r = r0 + lid.y; r < r1; r = r + ${ROW_WG / RMSNORM_GRAD_W_TILE}u) {
      acc = acc + gs[r * p.cols + c] * xs[r * p.cols + c] * rstd[r];
    }
  }
  sv[t] = acc;
  workgroupBarrier();
  for (var s = ${ROW_WG / RMSNORM_GRAD_W_TILE / 2}u; s > 0u; s = s >> 1u) {
    if (lid.y < s) { sv[t] = sv[t] + sv[t + s * ${RMSNORM_GRAD_W_TILE}u]; }
    workgroupBarrier();
  }
  if (lid.y == 0u && c < p.cols) { partial[k * p.cols + c] = sv[t]; }
}`,
};
