/**
 * Fused softmax cross-entropy with an ignore index and PyTorch-style label smoothing.
 *
 * Per row of logits `x` (length V) with label `y` and smoothing ε:
 * `loss = lse − (1−ε)·x_y − ε·mean_v x_v` (= (1−ε)·(−log p_y) + ε·mean_v(−log p_v)), `lse = log Σ_v exp(x_v)`;
 * 0 on rows whose label is the ignore index; NaN on rows whose label is outside [0, V) (kernels cannot throw).
 * The gradient is `scale_row · (softmax(x) − (1−ε)·onehot(y) − ε/V)`.
 * @module
 */
import { grid1d, type Kernel, LINEAR_ID_WGSL, LINEAR_MAIN_WGSL } from "./kernel.ts";
import { ROW_WG, WG_REDUCE_WGSL } from "./reduce.ts";

/**
 * Forward: per-row `loss` and `lse` (saved for the backward). Launch one workgroup per row with `rowGrid(rows)`.
 */
export const CROSS_ENTROPY_KERNEL: Kernel = {
  name: "cross_entropy",
  bindings: [
    { name: "xs", access: "read" },
    { name: "labels", access: "read", elem: "i32" },
    { name: "loss", access: "read_write" },
    { name: "lse", access: "read_write" },
  ],
  params: [["rows", "u32"], ["V", "u32"], ["ignore", "i32"], ["smoothing", "f32"]],
  workgroupSize: [ROW_WG, 1, 1],
  body: `${WG_REDUCE_WGSL}
${LINEAR_MAIN_WGSL}
  let row = group_index(wid, nwg);
  if (row >= p.rows) { return; }
  let t = lid.x;
  let base = row * p.V;
  var m = f32_lowest();
  for (var j = t; j < p.V; j = j + ${ROW_WG}u) { m = max(m, xs[base + j]); }
  m = wg_max(m, t);
  // Shifted by the max: s = Σ exp(x − m), sd = Σ (x − m), so the loss is log s − (1−ε)(x_y − m) − ε·sd/V.
  var s = 0.0;
  var sd = 0.0;
  for (var j = t; j < p.V; j = j + ${ROW_WG}u) { let d = xs[base + j] - m; s = s + exp(d); sd = sd + d; }
  s = wg_sum(s, t);
  sd = wg_sum(sd, t);
  if (t != 0u) { return; }
  let ls = log(s);
  lse[row] = m + ls;
  let y = labels[row];
  if (y == p.ignore) {
    loss[row] = 0.0;
  } else if (y < 0 || u32(y) >= p.V) {
    loss[row] = f32_nan();
  } else {
    loss[row] = ls - (1.0 - p.smoothing) * (xs[base + u32(y)] - m) - p.smoothing * (sd / f32(p.V));
  }
}`,
};

/**
 * Reduces per-row losses to one value: the sum, or (`mean` = 1) the sum over the count of rows whose label is not
 * the ignore index (NaN when every row is ignored, as PyTorch). Also writes that count (as f32) for the backward.
 * Launch a single workgroup: `[1, 1, 1]`.
 */
export const CROSS_ENTROPY_REDUCE_KERNEL: Kernel = {
  name: "cross_entropy_reduce",
  bindings: [
    { name: "loss", access: "read" },
    { name: "labels", access: "read", elem: "i32" },
    { name: "out", access: "read_write" },
    { name: "count", access: "read_write" },
  ],
  params: [["rows", "u32"], ["ignore", "i32"], ["mean", "u32"]],
  workgroupSize: [ROW_WG, 1, 1],
  body: `${WG_REDUCE_WGSL}
@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>) {
  let t = lid.x;
  var s = 0.0;
  var n = 0.0;
  for (var r = t; r < p.rows; r = r + ${ROW_WG}u) {
    s = s + loss[r];
    n = n + select(1.0, 0.0, labels[r] == p.ignore);
  }
  s = wg_sum(s, t);
  n = wg_sum(n, t);
  if (t != 0u) { return; }
  count[0] = n;
  if (p.mean == 0u) {
    out[0] = s;
  } else if (n == 0.0) {
    out[0] = f32_nan();
  } else {
    out[0] = s / n;
  }
}`,
};

/** Threads per workgroup of {@link CROSS_ENTROPY_GRAD_KERNEL}. */
export const CROSS_ENTROPY_GRAD_WG = 256;

/**
 * Backward, one thread per logit: `dx = scale · (exp(x − lse) − (1−ε)·[j = y] − ε/V)`, 0 on ignored rows, NaN on
 * rows with an out-of-range label. `mode` picks the row scale: 0 (`none`) `g[row]`, 1 (`sum`) `g[0]`, 2 (`mean`)
 * `g[0] / count[0]`. Launch with {@link crossEntropyGradGrid}.
 */
export const CROSS_ENTROPY_GRAD_KERNEL: Kernel = {
  name: "cross_entropy_grad",
  bindings: [
    { name: "xs", access: "read" },
    { name: "labels", access: "read", elem: "i32" },
    { name: "lse", access: "read" },
    { name: "gs", access: "read" },
    { name: "count", access: "read" },
    { name: "dx", access: "read_write" },
  ],
  params: [["n", "u32"], ["V", "u32"], ["ignore", "i32"], ["smoothing", "f32"], ["mode", "u32"]],
  workgroupSize: [CROSS_ENTROPY_GRAD_WG, 1, 1],
  body: `${LINEAR_ID_WGSL}
fn f32_nan() -> f32 {
  var bits = 0x7fc00000u;
  return bitcast<f32>(bits);
}
${LINEAR_MAIN_WGSL}
  let i = linear_id(wid, nwg, lid.x, ${CROSS_ENTROPY_GRAD_WG}u);
  if (i >= p.n) { return; }
  let row = i / p.V;
  let j = i % p.V;
  let y = labels[row];
  if (y == p.ignore) { dx[i] = 0.0; return; }
  if (y < 0 || u32(y) >= p.V) { dx[i] = f32_nan(); return; }
  var scale = gs[0];
  if (p.mode == 0u) { scale = gs[row]; } else if (p.mode == 2u) { scale = scale / count[0]; }
  let tgt = select(0.0, 1.0 - p.smoothing, u32(y) == j) + p.smoothing / f32(p.V);
  dx[i] = scale * (exp(xs[i] - lse[row]) - tgt);
}`,
};

/** Grid of {@link CROSS_ENTROPY_GRAD_KERNEL} over `n` logits. */
export function crossEntropyGradGrid(n: number): [number, number, number] {
  return grid1d(n, CROSS_ENTROPY_GRAD_WG);
}
